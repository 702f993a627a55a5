"""``policymatch pool``: the 资金池 statement and 回补清单; ``policymatch pool replenish``: a 回补."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError, simple
from ..moneytext import fen_text
from ..rounds.csvin import positive_fen
from ..rounds.ledger import Ledger
from ..rounds.ledger_records import Kind
from ..rounds.pool import KIND_TEXT, Replenishment, replenish, statements
from ..rounds.pool_files import write_statement
from ..rules import compile_policy_set
from .arguments import add_ledger_argument, iso_date


def register(sub: Any) -> None:
    p = sub.add_parser(
        "pool",
        help="资金池: statement and 回补清单 (pool replenish: record a 回补)",
        description="Print and write the statement of each fund's pool from the ledger: opening "
        "scale, advances by round and department, 回补, returns, recoveries, balance, and the "
        "回补清单 (per department, what was advanced and not yet replenished).",
    )
    p.add_argument("--fund", metavar="ID", help="one fund (default: every fund in the ledger)")
    p.add_argument("--as-of", type=iso_date, metavar="DATE", help="up to this date (YYYY-MM-DD)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("pool-statement"),
        metavar="DIR",
        help="folder for pool_statement.csv, replenish_due.csv, 资金池对账单.xlsx "
        "(default: pool-statement/)",
    )
    add_ledger_argument(p)
    p.set_defaults(handler=run)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    r = actions.add_parser(
        "replenish",
        help="record a 回补: money a department put back into the pool",
        description="Record a 回补 in the ledger's pool journal. Refused (nothing recorded) when "
        "the amount exceeds what the department still owes the pool.",
    )
    r.add_argument("--fund", required=True, metavar="ID")
    r.add_argument("--amount", required=True, metavar="AMOUNT", help="e.g. 300万 or 1234.50")
    r.add_argument("--from", dest="department", required=True, metavar="单位", help="e.g. 县科技局")
    r.add_argument("--source", default="本级", help="上级 or 本级 (default: 本级)")
    r.add_argument("--ref", required=True, metavar="文号", help="the document number")
    r.add_argument("--date", type=iso_date, metavar="DATE", help="date received (default: today)")
    r.add_argument("--policies", default="policies", help="policy folder (default: policies/)")
    add_ledger_argument(r)
    r.set_defaults(handler=run_replenish)


def amount_fen(text: str, option: str) -> int:
    """A positive amount in whole fen (``300万``, ``1234.50``), or a usage error."""
    try:
        return positive_fen(text)
    except ValueError as exc:
        raise UsageError(
            [simple("PM753", str(exc), file=option, hint="例如 300万、1234.50")]
        ) from exc


def run_replenish(args: argparse.Namespace) -> int:
    amount = amount_fen(args.amount, "--amount")
    for option, value in (("--from", args.department), ("--ref", args.ref)):
        if not value.strip():
            raise UsageError([simple("PM753", "不能为空", file=option, hint="填写回补单位和文号")])
    policy_set = compile_policy_set(args.policies)
    ledger = Ledger(args.ledger)
    r = Replenishment(
        args.fund,
        amount,
        args.department.strip(),
        args.source,
        args.ref.strip(),
        args.date or dt.date.today(),
    )
    try:
        balance = replenish(ledger, policy_set, r)
    finally:
        ledger.dispose()
    sys.stdout.write(
        f"已记录回补：{r.department} → {r.fund} {fen_text(amount, grouped=True)} 元（{r.source}，{r.ref}）；"
        f"资金池余额 {fen_text(balance, grouped=True)} 元\n"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    ledger = Ledger(args.ledger)
    try:
        found = statements(ledger, args.fund, args.as_of)
    finally:
        ledger.dispose()
    as_of = args.as_of or dt.date.today()
    notes = [f"截至：{as_of.isoformat()}", f"台账：{ledger.display}"]
    try:
        written = write_statement(found, args.out, as_of, notes)  # before any output
    except OSError as exc:
        raise UsageError(
            [
                simple(
                    "PM756",
                    f"无法写出对账单：{exc.strerror}",
                    file=str(args.out),
                    hint="换一个 --out",
                )
            ]
        ) from exc
    out = sys.stdout
    for st in found:
        t = st.totals
        out.write(f"资金 {st.fund}（截至 {as_of}）\n")
        for kind in (Kind.OPENING, Kind.ADVANCE, Kind.REPLENISH, Kind.RETURN, Kind.RECOVER):
            out.write(f"  {KIND_TEXT[kind]}  {fen_text(t.get(kind, 0), grouped=True)}\n")
        out.write(f"  余额  {fen_text(st.balance_fen, grouped=True)}\n")
        owed = {d: v for d, v in st.owed.items() if v}
        out.write("  回补清单（应回补）：" + ("无" if not owed else "") + "\n")
        for dept, value in sorted(owed.items()):
            out.write(f"    {dept}  {fen_text(value, grouped=True)}\n")
    if not found:
        out.write("台账中还没有资金池记录\n")
    for path in written:
        out.write(f"  {path}\n")
    return 0
