"""``policymatch watch``: registry changes in (JSON lines), grants and revocations out.

Reads one change per line from ``--events`` (a file, or ``-`` for standard input, as it
arrives) and writes, for each, the grants it makes due and the ones it revokes, one JSON object
per line on standard output (starting from ``--registry`` when given, else from nothing), flushed after every change so that a pipe sees them at once. A
line that is not a valid change is reported on standard error with its line number and skipped;
the stream goes on, and the exit status is 1 if any line was skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import Diagnostic, RegistryError, Span, UsageError, simple
from ..registry.frame import iter_records
from ..registry.load import read_registry
from ..rounds.history import LedgerHistory
from ..rounds.ledger import Ledger
from ..rules import compile_policy_set
from .arguments import add_ledger_argument, add_registry_arguments, iso_date

if TYPE_CHECKING:
    from ..backends.durable import Watcher

#: Registry rows set aside that are listed one by one when starting from a registry.
SHOWN = 5


def register(sub: Any) -> None:
    p = sub.add_parser(
        "watch",
        help="report the grants each registry change makes due or revokes (JSON lines)",
        description="Read registry changes as JSON lines and write, for each, the grants it "
        "makes due and revokes, as JSON lines. See docs/events.md for both formats.",
    )
    p.add_argument(
        "--events",
        required=True,
        metavar="FILE_OR_-",
        help="JSON-lines file of changes, or - for standard input",
    )
    p.add_argument(
        "--policies", default="policies", help="policy folder or file (default: policies/)"
    )
    add_registry_arguments(
        p,
        required=False,
        help="start from this registry (.csv, .xlsx, .parquet or SQLAlchemy URL): its grants "
        "are taken as already reported, so the first change can revoke them",
    )
    p.add_argument(
        "--as-of",
        type=iso_date,
        default=None,
        metavar="DATE",
        help="YYYY-MM-DD: policies in force and ages on this date (default: today)",
    )
    add_ledger_argument(p)
    p.set_defaults(handler=run)


def _lines(stream: IO[bytes], limit: int) -> Iterator[tuple[int, str | bytes | None]]:
    """Numbered lines; None for a line that is not UTF-8, ``b""`` for one over ``limit`` bytes.

    A line is read ``limit`` bytes at a time, so one endless line cannot fill the memory: the
    rest of an over-long line is read and dropped.
    """
    number = 0
    while raw := stream.readline(limit + 1):
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while (rest := stream.readline(limit)) and not rest.endswith(b"\n"):
                pass
            yield number, b""
            continue
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, None


def _open(source: str) -> IO[bytes]:
    if source == "-":
        return sys.stdin.buffer
    try:
        return Path(source).open("rb")
    except OSError as exc:
        raise RegistryError(
            [simple("PM401", f"cannot read the events: {exc.strerror}", file=source)]
        ) from None


def _start_from(watcher: Watcher, args: argparse.Namespace) -> None:
    """Load the registry into the watcher; report the rows it set aside on standard error."""
    schema = watcher.policy_set.schema
    load = read_registry(args.registry, schema, table=args.table, query=args.query)
    watcher.load(iter_records(load.frame, schema))
    if load.rejected:
        lines = [f"{load.source}: {len(load.rejected)} row(s) set aside, not watched:"]
        lines += [f"    row {r.row}: {r.reason}" for r in load.rejected[:SHOWN]]
        if len(load.rejected) > SHOWN:
            lines.append(f"    ... and {len(load.rejected) - SHOWN} more")
        sys.stderr.write("\n".join(lines) + "\n")


def run(args: argparse.Namespace) -> int:
    try:
        from ..backends.durable import Watcher
    except ImportError:
        raise UsageError(
            [
                simple(
                    "PM405",
                    "watch needs the events extra (durable-rules), which is not installed: "
                    "pip install 'policymatch[events]'",
                )
            ]
        ) from None
    from ..backends.durable.events import MAX_LINE, EventError, apply_line, notification_json

    policy_set = compile_policy_set(args.policies)
    as_of = args.as_of or dt.date.today()
    ledger = LedgerHistory.read(Ledger(args.ledger), policy_set.policies)
    name = "<stdin>" if args.events == "-" else args.events
    out, err = sys.stdout, sys.stderr
    skipped = 0
    stream = _open(args.events)
    try:
        with Watcher(policy_set, as_of, ledger=ledger) as watcher:
            if args.registry is not None:
                _start_from(watcher, args)
            for number, text in _lines(stream, MAX_LINE):
                try:
                    if text is None:
                        raise EventError("PM402", "not UTF-8 text")
                    if isinstance(text, bytes):
                        raise EventError("PM406", f"a line over {MAX_LINE:,} bytes")
                    if not text.strip():
                        continue
                    notes = apply_line(watcher, text)
                except EventError as exc:
                    skipped += 1
                    where = Span(number, 1)
                    diag = Diagnostic(exc.code, f"{exc.message}; skipped", file=name, span=where)
                    err.write(diag.render() + "\n")
                    err.flush()
                    continue
                for note in notes:
                    out.write(json.dumps(notification_json(note, number), ensure_ascii=False))
                    out.write("\n")
                out.flush()
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    return 1 if skipped else 0
