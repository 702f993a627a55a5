"""``policymatch ledger check``: reconcile the ledger (grants, journal, pool balances) to the fen."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import LedgerError, simple
from ..moneytext import fen_text
from ..rounds.ledger_records import absent_sqlite
from .arguments import add_ledger_argument

SHOWN = 20


def register(sub: Any) -> None:
    p = sub.add_parser(
        "ledger",
        help="ledger check: every grant's history, nothing paid twice, balances to the fen",
        description="Check the ledger against itself (docs/rounds.md, 'Reconciliation').",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    c = actions.add_parser("check", help="reconcile the ledger; exit 1 on any problem")
    add_ledger_argument(c)
    c.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    display = absent_sqlite(args.ledger)
    if display is not None:
        # No file: nothing recorded, nothing to reconcile (scripts/demo.sh's last step), and
        # neither SQLAlchemy nor the reconciliation imported (about 0.6 s).
        sys.stdout.write(_passed(display, 0, 0, 0))
        return 0
    from ..rounds.ledger import Ledger
    from ..rounds.reconcile import check

    ledger = Ledger(args.ledger)
    try:
        report = check(ledger)
    finally:
        ledger.dispose()
    if report.problems:
        shown = report.problems[:SHOWN]
        more = len(report.problems) - len(shown)
        raise LedgerError(
            [
                simple(
                    "PM780",
                    f"台账核对发现 {len(report.problems)} 个问题：\n  "
                    + "\n  ".join(shown)
                    + (f"\n  ……另有 {more} 个" if more else ""),
                    file=ledger.display,
                    hint="台账只追加不修改：请保留现状并联系维护人员核查",
                )
            ]
        )
    sys.stdout.write(_passed(ledger.display, report.rounds, report.grants, report.events))
    for fund, balance in sorted(report.balances.items()):
        sys.stdout.write(f"  资金 {fund} 余额 {fen_text(balance, grouped=True)} 元\n")
    return 0


def _passed(ledger: str, rounds: int, grants: int, events: int) -> str:
    return (
        f"台账核对通过（{ledger}）：{rounds:,} 个轮次，{grants:,} 笔兑现，{events:,} 条资金池流水\n"
    )
