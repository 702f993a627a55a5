"""The ``policymatch`` command: argument parsing and the one place errors become exit codes.

Each subcommand lives in :mod:`policymatch.commands` as a module with ``register(subparsers)``
and ``run(args) -> int``. A :class:`~policymatch.errors.PolicymatchError` anywhere is printed
as its diagnostics (no traceback) and exits 1; a usage error exits 2.
"""

from __future__ import annotations

import argparse
import contextvars
import importlib
import os
import sys
from collections.abc import Sequence

from . import __version__
from .errors import PolicymatchError, UsageError

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = (
    "check",
    "test",
    "run",
    "commit",
    "explain",
    "sample-registry",
    "watch",
    "fields",
    "functions",
    "preview",
    "serve",
    "pool",
    "returns",
    "recover",
    "ledger",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="policymatch",
        description="Match 惠企政策 policies against an enterprise registry (免申即享).",
    )
    parser.add_argument("--version", action="version", version=f"policymatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"policymatch.commands.{name.replace('-', '_')}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # A command may choose the language of its messages (--lang): in a copy of the context, so
    # the choice ends with the command (tests call main() many times in one process).
    return contextvars.copy_context().run(_dispatch, args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        code: int = args.handler(args)
    except UsageError as exc:
        sys.stderr.write(exc.render() + "\n")
        return 2
    except PolicymatchError as exc:
        sys.stderr.write(exc.render() + "\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (``policymatch explain ... | head``): not an error of ours.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
