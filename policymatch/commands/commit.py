"""``policymatch commit DIR``: record a reviewed round in the ledger, once."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..moneytext import fen_text
from ..rounds.ledger import Ledger
from ..rounds.manifest import read_round
from .run import add_ledger_argument


def register(sub: Any) -> None:
    p = sub.add_parser(
        "commit",
        help="record a reviewed draft round in the ledger (once)",
        description="Record the grants of a reviewed round in the ledger, in one transaction. "
        "Committing a round again does nothing; a round whose files changed since the run, "
        "or that would pay a grant the ledger already holds, is refused.",
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="round folder written by policymatch run")
    add_ledger_argument(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    entry = read_round(args.dir)
    ledger = Ledger(args.ledger)
    try:
        result = ledger.commit(entry)
    finally:
        ledger.dispose()
    what = (
        f"round {result.round_id[:12]} ({result.grants} grants, {fen_text(result.amount_fen)} yuan)"
    )
    if result.recorded:
        sys.stdout.write(f"committed {what} to {ledger.display}\n")
    else:
        sys.stdout.write(
            f"already committed: {what} was recorded in {ledger.display} on "
            f"{result.committed_at:%Y-%m-%d %H:%M} UTC; nothing to do\n"
        )
    return 0
