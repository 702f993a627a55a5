"""The ``policymatch`` command: argument parsing and the one place errors become exit codes.

Each subcommand lives in :mod:`policymatch.commands` as a module with ``register(subparsers)``
and ``run(args) -> int``. A :class:`~policymatch.errors.PolicymatchError` anywhere is printed
as its diagnostics (no traceback) and exits 1; a usage error exits 2.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence

from . import __version__
from .commands.flags import in_flags
from .commands.language import add_language_argument, chosen_language
from .errors import PolicymatchError, UsageError, language, set_language

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

#: What ``policymatch --help`` says of each command, so that it imports none of them (they bring
#: pandas, numba, SQLAlchemy: seconds on a cold start). Each must equal the ``help=`` its module
#: registers (tests/cli/test_startup.py); a command missing here is imported to be listed.
SUMMARIES = {
    "check": "compile a policy set and report every error",
    "test": "run every policy's examples",
    "run": "match the registry and write a draft round (lists for review, manifest)",
    "commit": "record a reviewed draft round in the ledger (once)",
    "explain": "why an enterprise does or does not qualify",
    "sample-registry": "write a seeded, realistic sample registry",
    "watch": "report the grants each registry change makes due or revokes (JSON lines)",
    "fields": "list the registry fields (with a policy set's extensions)",
    "functions": "list the functions of the expression language",
    "preview": "政策沙盘: compare a proposed policy set with the one in force (nothing recorded)",
    "serve": "the 政策计算器 HTTP service for other county systems (docs/serve.md)",
    "pool": "资金池: statement and 回补清单 (pool replenish: record a 回补)",
    "returns": "record transfers the bank returned (退票): payable again, money back to the pool",
    "recover": "record money recovered from a grant (追回): never paid again unless --reopen",
    "ledger": "ledger check: every grant's history, nothing paid twice, balances to the fen",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        if language() == "zh":
            from .messages import translate

            # The usage line stays as the command is typed; "用法： " is as wide as "usage: ".
            usage = self.format_usage().removeprefix("usage: ")
            sys.stderr.write(f"用法： {usage}{self.prog}: 错误: {translate('usage', message)}\n")
        else:
            self.print_usage(sys.stderr)
            sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``only``, the other commands are listed by their summaries
    without importing their modules (they cannot be parsed by this parser then)."""
    parser = _Parser(
        prog="policymatch",
        description="Match 惠企政策 policies against an enterprise registry (免申即享).",
    )
    parser.add_argument("--version", action="version", version=f"policymatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        if only is not None and name != only and name in SUMMARIES:
            sub.add_parser(name, help=SUMMARIES[name], add_help=False)
            continue
        importlib.import_module(f"policymatch.commands.{name.replace('-', '_')}").register(sub)
        add_language_argument(sub.choices[name])
    return parser


def _command(argv: Sequence[str]) -> str:
    """The command ``argv`` names, or "" (``--help``, ``--version``, a mistake): the top-level
    parser has no option that takes a value, so it is the first word not starting with ``-``."""
    first = next((a for a in argv if not a.startswith("-")), "")
    return first if first in COMMANDS else ""


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # The language of the messages (--lang, else the locale) is set in a copy of the context,
    # so the choice ends with the command (tests call main() many times in one process).
    return contextvars.copy_context().run(_main, argv)


def _main(argv: list[str]) -> int:
    set_language(chosen_language(argv))  # before parsing: argparse's errors follow it too
    parser = build_parser(only=_command(argv))
    args = parser.parse_args(argv)
    if "lang" in args:  # as argparse read it (``--la zh`` abbreviates ``--lang zh``)
        set_language(args.lang)
    with _terminable():
        return _dispatch(args)


class _Terminated(BaseException):
    """SIGTERM (a service manager or ``kill`` stopping a run), raised in the main thread so that
    every ``finally`` runs: a file half-written to its temporary name, or the UTF-8 copy of a
    GB18030 registry (the whole registry, bank accounts included), is removed as on Ctrl-C."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated


@contextlib.contextmanager
def _terminable() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set a handler (a caller running main() on a thread)
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        code: int = args.handler(args)
    except UsageError as exc:
        sys.stderr.write(in_flags(exc).render() + "\n")
        return 2
    except PolicymatchError as exc:
        sys.stderr.write(in_flags(exc).render() + "\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("已中断\n" if language() == "zh" else "interrupted\n")
        return 130
    except _Terminated:
        sys.stderr.write("已终止\n" if language() == "zh" else "terminated\n")
        return 143
    except BrokenPipeError:
        # The reader went away (``policymatch explain ... | head``): not an error of ours.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
