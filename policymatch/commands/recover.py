"""``policymatch recover``: money recovered from a grant found wrong (追回), or re-opening it."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from ..errors import UsageError, simple
from ..moneytext import fen_text
from ..rounds.afterpay import Action, record
from ..rounds.ledger import Ledger
from ..rounds.ledger_records import Kind
from .arguments import add_ledger_argument, iso_date
from .pool import amount_fen


def register(sub: Any) -> None:
    p = sub.add_parser(
        "recover",
        help="record money recovered from a grant (追回): never paid again unless --reopen",
        description="Record money recovered from a paid grant found wrong. The amount goes "
        "back to the pool; the grant counts as paid and is never paid again, unless it is "
        "explicitly re-opened (--reopen, with the document that decides it).",
    )
    p.add_argument("--uscc", required=True)
    p.add_argument("--policy", required=True, metavar="ID")
    p.add_argument("--round", required=True, metavar="ROUND", help="the round that paid it")
    p.add_argument("--amount", metavar="AMOUNT", help="amount recovered (not with --reopen)")
    p.add_argument("--reason", required=True)
    p.add_argument("--ref", required=True, metavar="文号", help="the document number")
    p.add_argument("--reopen", action="store_true", help="re-open a recovered grant instead")
    p.add_argument("--date", type=iso_date, metavar="DATE", help="default: today")
    add_ledger_argument(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.reopen == (args.amount is not None):
        raise UsageError(
            [
                simple(
                    "PM762",
                    "须给出 --amount（登记追回）或 --reopen（重新开放），二者选一",
                    file="--amount/--reopen",
                    hint="追回：--amount 5万；重新开放已追回的兑现：--reopen（不带 --amount）",
                )
            ]
        )
    for option, value in (("--reason", args.reason), ("--ref", args.ref)):
        if not value.strip():
            raise UsageError(
                [simple("PM762", "不能为空", file=option, hint="填写原因和文号，留档备查")]
            )
    kind = Kind.REOPEN if args.reopen else Kind.RECOVER
    amount = 0 if args.reopen else amount_fen(args.amount, "--amount")
    action = Action(
        kind,
        args.uscc.strip(),
        args.policy.strip(),
        args.round.strip(),
        amount,
        args.reason.strip(),
        args.ref.strip(),
        f"{args.uscc} {args.policy} (round {args.round})",
    )
    ledger = Ledger(args.ledger)
    try:
        record(ledger, [action], args.date or dt.date.today())
    finally:
        ledger.dispose()
    if args.reopen:
        sys.stdout.write(f"已重新开放：{args.uscc} {args.policy}，可在以后轮次兑现（{args.ref}）\n")
    else:
        sys.stdout.write(
            f"已登记追回：{args.uscc} {args.policy} {fen_text(amount, grouped=True)} 元退回资金池；"
            f"该笔不再兑现（{args.ref}）\n"
        )
    return 0
