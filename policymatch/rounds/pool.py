"""The 惠企政策资金池 as a revolving fund: what a round may spend, 回补, and the statement.

A fund with a ``scale`` is a pool: its journal (:mod:`.journal`) opens with the scale, every
committed grant is an advance (先行拨付) that lowers the balance, every 回补 from the department
that owns a policy raises it, returns (退票) and recoveries (追回) bring money back. A round may
pay at most the lowest of the fund's ``budget`` (a per-round cap), its balance at run time and
what is left of its appropriation for the as-of year (``annual``); commit checks the balance
again. The 回补清单 says, per department (the issuer of the policies), what the pool advanced
for its policies and it has not yet put back.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import LedgerError, UsageError, simple
from ..moneytext import fen_text
from ..rules import PolicySet
from .allocate import budget_fen
from .ledger_records import (
    SIGN,
    Event,
    FundTerms,
    Kind,
    RoundPool,
    available,
    balances,
    carried,
    openings,
)

# The ledger's modules bring SQLAlchemy: they are imported where the database is read or
# written, not by a round that has no ledger yet, nor by its manifest (the pool block).
if TYPE_CHECKING:
    from .ledger import Ledger


def fund_terms(policy_set: PolicySet) -> dict[str, FundTerms]:
    return {
        f.id: FundTerms(
            None if f.scale is None else budget_fen(f.scale),
            {y: budget_fen(a) for y, a in f.annual},
            f.sources,
        )
        for f in policy_set.funds.values()
    }


def round_pool(policy_set: PolicySet) -> RoundPool:
    return RoundPool(
        fund_terms(policy_set),
        {p.id: p.issuer or None for p in policy_set.policies},
        frozenset(p.id for p in policy_set.policies if p.shortfall == "carry"),
    )


# --- the manifest's "pool" block --------------------------------------------------------------


def pool_manifest(pool: RoundPool, limits: Mapping[str, int]) -> dict[str, Any]:
    """What commit needs of the pool (and what the round was allowed to spend), as JSON."""
    return {
        "funds": {
            fid: {
                "scale": None if t.scale_fen is None else fen_text(t.scale_fen),
                "annual": {str(y): fen_text(a) for y, a in sorted(t.annual_fen.items())},
                "sources": list(t.sources),
                "available": fen_text(limits[fid]) if fid in limits else None,
            }
            for fid, t in sorted(pool.funds.items())
        },
        "issuers": dict(sorted(pool.issuers.items())),
        "carry": sorted(pool.carry),
    }


def _fen(text: str) -> int:
    try:
        return int(Decimal(text) * 100)
    except ArithmeticError:
        raise ValueError(f"'{text}' is not an amount") from None


def read_pool(block: Any) -> RoundPool | None:
    """The manifest's pool block back (None for a round written before pools existed)."""
    if block is None:
        return None
    funds = {
        fid: FundTerms(
            None if f["scale"] is None else _fen(f["scale"]),
            {int(y): _fen(a) for y, a in f["annual"].items()},
            tuple(f["sources"]),
        )
        for fid, f in block["funds"].items()
    }
    return RoundPool(funds, dict(block["issuers"]), frozenset(block.get("carry", ())))


# --- what a round may spend ------------------------------------------------------------------


def journal_events(ledger: Ledger, until: dt.date | None = None) -> list[Event]:
    from sqlalchemy.exc import SQLAlchemyError

    from .journal import read_events

    try:
        if ledger.is_sqlite_file and not ledger._exists():
            return []
        with ledger.engine.connect() as conn:
            return read_events(conn, until=until)
    except SQLAlchemyError as exc:
        raise ledger._error("cannot read", exc) from exc


def fund_limits(events: Sequence[Event], policy_set: PolicySet, as_of: dt.date) -> dict[str, int]:
    """Per fund with a scale or an appropriation for the year: what a round may pay out now,
    from the journal's ``events`` (none: a ledger that does not exist)."""
    terms = fund_terms(policy_set)
    out = {}
    for fid in terms:
        left = available(events, terms, fid, as_of.year)
        if left is not None:
            out[fid] = left
    return out


def carried_due(ledger: Ledger) -> dict[tuple[str, str, str], int]:
    """What ``shortfall: carry`` policies still owe, by (policy, enterprise, period)."""
    return carried(journal_events(ledger))


# --- 回补 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replenishment:
    fund: str
    amount_fen: int
    department: str
    source: str
    ref: str
    on_date: dt.date


def _refuse(code: str, message: str, place: str, hint: str | None = None) -> UsageError:
    return UsageError([simple(code, message, file=place, hint=hint)])


def replenish(ledger: Ledger, policy_set: PolicySet, r: Replenishment) -> int:
    """Record a 回补 in one transaction (the lock held); returns the fund's new balance.
    Refused, with nothing recorded: an unknown fund, a source the fund does not take, a
    department that owes the pool less than the amount."""
    from sqlalchemy.exc import SQLAlchemyError

    from . import journal
    from .ledger import _lock

    terms = fund_terms(policy_set)
    if r.fund not in terms:
        raise _refuse(
            "PM752",
            f"资金 '{r.fund}' 不在政策集中",
            "--fund",
            hint="可用的资金：" + "、".join(sorted(terms)) if terms else None,
        )
    if r.source not in terms[r.fund].sources:
        raise _refuse(
            "PM754",
            f"资金 '{r.fund}' 的回补来源没有 '{r.source}'",
            "--source",
            hint="可用的来源：" + "、".join(terms[r.fund].sources),
        )
    try:
        ledger.create()
        with ledger.engine.begin() as conn:
            _lock(conn)
            events = journal.read_events(conn)
            owed = statement(events, r.fund).owed.get(r.department, 0)
            if r.amount_fen > owed:
                raise LedgerError(
                    [
                        simple(
                            "PM755",
                            f"回补 {fen_text(r.amount_fen)} 元超过 {r.department} 尚未回补的垫付额 "
                            f"{fen_text(owed)} 元（资金 {r.fund}）",
                            file=ledger.display,
                            hint="核对金额和单位名称（与政策的责任单位一致）；"
                            "policymatch pool --fund " + r.fund + " 列出回补清单",
                        )
                    ]
                )
            rows = openings(events, terms, [r.fund], r.on_date)
            rows.append(
                {
                    "fund": r.fund,
                    "kind": Kind.REPLENISH.value,
                    "amount_fen": r.amount_fen,
                    "on_date": r.on_date,
                    "department": r.department,
                    "source": r.source,
                    "ref": r.ref,
                }
            )
            journal.append(conn, rows)  # through the module: the seam the kill tests break
            return balances([*events, *_as_events(rows)])[r.fund]
    except SQLAlchemyError as exc:
        raise ledger._error("cannot record", exc) from exc


def _as_events(rows: Iterable[dict[str, Any]]) -> list[Event]:
    return [Event(seq=0, **{**r, "kind": Kind(r["kind"])}) for r in rows]


# --- the statement ---------------------------------------------------------------------------

#: The department of grants whose policy names no issuer.
NO_ISSUER = "（未指定责任单位）"

KIND_TEXT = {
    Kind.OPENING: "期初规模",
    Kind.ADVANCE: "垫付兑现",
    Kind.REPLENISH: "回补",
    Kind.RETURN: "退票退回",
    Kind.RECOVER: "追回",
    Kind.REOPEN: "重新开放",
    Kind.WITHHOLD: "公示异议暂缓",
    Kind.CARRY: "核减待补发",
}


@dataclass
class Line:
    """One line of the statement: an event, or a round's advances for one department."""

    kind: Kind
    on_date: dt.date
    round_id: str | None = None
    department: str | None = None
    source: str | None = None
    ref: str | None = None
    policy_id: str | None = None
    uscc: str | None = None
    reason: str | None = None
    grants: int = 0
    amount_fen: int = 0
    balance_fen: int = 0


@dataclass
class Statement:
    """One fund's journal summed up (up to an as-of date), in the order it was recorded."""

    fund: str
    lines: list[Line] = field(default_factory=list)
    totals: dict[Kind, int] = field(default_factory=lambda: defaultdict(int))
    #: department -> advanced, returned, recovered, replenished (fen)
    by_department: dict[str, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0] * 4)
    )

    @property
    def balance_fen(self) -> int:
        return sum(SIGN[k] * v for k, v in self.totals.items())

    @property
    def owed(self) -> dict[str, int]:
        """回补清单: per department, advanced less returned, recovered and replenished."""
        return {d: a - ret - rec - rep for d, (a, ret, rec, rep) in self.by_department.items()}


_COLUMN = {Kind.ADVANCE: 0, Kind.RETURN: 1, Kind.RECOVER: 2, Kind.REPLENISH: 3}


def statement(events: Sequence[Event], fund: str) -> Statement:
    st = Statement(fund)
    rounds: dict[tuple[str | None, str], Line] = {}
    balance = 0
    for e in events:
        if e.fund != fund:
            continue
        st.totals[e.kind] += e.amount_fen
        balance += SIGN[e.kind] * e.amount_fen
        dept = e.department or NO_ISSUER
        if e.kind in _COLUMN:
            st.by_department[dept][_COLUMN[e.kind]] += e.amount_fen
        if e.kind is Kind.ADVANCE:
            line = rounds.get((e.round_id, dept))
            if line is None:
                line = rounds[e.round_id, dept] = Line(e.kind, e.on_date, e.round_id, dept)
                st.lines.append(line)
            line.grants += 1
            line.amount_fen += e.amount_fen
            line.balance_fen = balance
        else:
            st.lines.append(
                Line(
                    e.kind, e.on_date, e.round_id, e.department, e.source, e.ref, e.policy_id,
                    e.uscc, e.reason, 1 if e.key else 0, e.amount_fen,
                )
            )  # fmt: skip
            st.lines[-1].balance_fen = balance
    return st


def statements(ledger: Ledger, fund: str | None, as_of: dt.date | None) -> list[Statement]:
    """The statement of every fund in the journal (or of ``fund``), up to ``as_of``."""
    events = journal_events(ledger, as_of)
    funds = sorted({e.fund for e in events})
    if fund is not None:
        if fund not in funds:
            raise _refuse(
                "PM752",
                f"台账中没有资金 '{fund}' 的记录",
                "--fund",
                hint="台账中的资金：" + "、".join(funds) if funds else "台账中还没有资金池记录",
            )
        funds = [fund]
    return [statement(events, f) for f in funds]
