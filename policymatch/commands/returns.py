"""``policymatch returns FILE``: transfers the bank returned (退票): payable again, money back."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from ..moneytext import fen_text
from ..rounds.afterpay import Action, record
from ..rounds.csvin import positive_fen, read_rows, required_cell
from ..rounds.ledger import Ledger
from ..rounds.ledger_records import Kind
from .arguments import add_ledger_argument, iso_date

COLUMNS = ("uscc", "policy_id", "round", "amount", "reason")
HINT = "列为 uscc, policy_id, round, amount, reason（可加 ref）；金额为退回的整笔兑现金额"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "returns",
        help="record transfers the bank returned (退票): payable again, money back to the pool",
        description="Record bank returns from a CSV file (uscc, policy_id, round, amount, "
        "reason[, ref]). Each grant becomes payable again (a later round pays it, with the "
        "registry's corrected details) and its amount goes back to the pool. The whole file is "
        "recorded, or nothing.",
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--date", type=iso_date, metavar="DATE", help="date returned (default: today)")
    add_ledger_argument(p)
    p.set_defaults(handler=run)


def fen_cell(row: dict[str, str], column: str) -> int:
    text = required_cell(row, column)
    try:
        return positive_fen(text)
    except ValueError as exc:
        raise ValueError(f"'{column}': {exc}") from None


def run(args: argparse.Namespace) -> int:
    def parse(row: dict[str, str], where: str) -> Action:
        return Action(
            Kind.RETURN,
            required_cell(row, "uscc"),
            required_cell(row, "policy_id"),
            required_cell(row, "round"),
            fen_cell(row, "amount"),
            required_cell(row, "reason"),
            row.get("ref") or None,
            where,
        )

    actions = read_rows(args.file, COLUMNS, parse, "PM761", HINT)
    ledger = Ledger(args.ledger)
    try:
        rows = record(ledger, actions, args.date or dt.date.today())
    finally:
        ledger.dispose()
    total = sum(r["amount_fen"] for r in rows)
    sys.stdout.write(
        f"已登记退票 {len(rows):,} 笔，{fen_text(total, grouped=True)} 元退回资金池；这些兑现可在下一轮重新兑现\n"
    )
    return 0
