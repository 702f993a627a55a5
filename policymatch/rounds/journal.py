"""The pool journal: every movement of a fund's money and every change of a grant's state, in order.

``pm_journal`` is append-only (nothing is updated or deleted): one row per event, numbered in
the order recorded.

=========  ======================================================================================
kind       meaning
=========  ======================================================================================
opening    the fund's scale (规模), recorded once, when its journal opens (first commit or 回补)
advance    one grant of a committed round, advanced from the pool (先行拨付)
replenish  a 回补: money a department (``department``) put back into the pool (``source``:
           上级 or 本级 funds, ``ref``: the 文号)
return     a transfer the bank returned (退票): the money is back, the grant is payable again
recover    money recovered from a grant found wrong (追回): back in the pool, never paid again
reopen     a recovered grant explicitly made payable again
withhold   a grant of a round held back at commit after an objection in 公示 (no money moves)
=========  ======================================================================================

The state of a grant (policy, enterprise, period) is derived by replaying its events: paid,
withheld, returned, recovered, reopened, re-paid. A fund's balance is
``opening + replenish - advance + return + recover``, in fen.

Every write takes the ledger's lock row first (:func:`policymatch.rounds.ledger._lock`), so
commits, returns, recoveries and 回补 from separate processes are serialized and each checks the
journal as it is once it holds the lock.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import LedgerError, simple
from ..moneytext import fen_text
from .ledger import LedgerGrant, RoundEntry, metadata

journal_table = sa.Table(
    "pm_journal",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("fund", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("on_date", sa.Date, nullable=False),
    #: The appropriation year an advance counts against (its round's as-of year); for a return,
    #: the year of the advance it undoes.
    sa.Column("year", sa.Integer, nullable=True),
    sa.Column("round_id", sa.String(64), nullable=True),
    sa.Column("policy_id", sa.String(200), nullable=True),
    sa.Column("uscc", sa.String(18), nullable=True),
    sa.Column("period", sa.String(8), nullable=True),
    sa.Column("department", sa.String(200), nullable=True),
    sa.Column("source", sa.String(40), nullable=True),
    sa.Column("ref", sa.String(200), nullable=True),
    sa.Column("reason", sa.String(500), nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("pm_journal_grant", "policy_id", "uscc", "period"),
)


class Kind(StrEnum):
    OPENING = "opening"
    ADVANCE = "advance"
    REPLENISH = "replenish"
    RETURN = "return"
    RECOVER = "recover"
    REOPEN = "reopen"
    WITHHOLD = "withhold"
    CARRY = "carry"


#: How each kind moves a fund's balance.
SIGN = {
    Kind.OPENING: 1,
    Kind.ADVANCE: -1,
    Kind.REPLENISH: 1,
    Kind.RETURN: 1,
    Kind.RECOVER: 1,
    Kind.REOPEN: 0,
    Kind.WITHHOLD: 0,
    Kind.CARRY: 0,
}


class State(StrEnum):
    """A grant's state, from its events."""

    PAID = "paid"
    REPAID = "repaid"
    WITHHELD = "withheld"
    RETURNED = "returned"
    RECOVERED = "recovered"
    REOPENED = "reopened"
    PARTIAL = "partial"


#: States in which a grant counts as paid (frequency and stacking see it); the others are due.
PAID_STATES = (State.PAID, State.REPAID, State.RECOVERED, State.PARTIAL)

GrantKey = tuple[str, str, str]  # policy_id, uscc, period


@dataclass(frozen=True)
class Event:
    seq: int
    fund: str
    kind: Kind
    amount_fen: int
    on_date: dt.date
    year: int | None = None
    round_id: str | None = None
    policy_id: str | None = None
    uscc: str | None = None
    period: str | None = None
    department: str | None = None
    source: str | None = None
    ref: str | None = None
    reason: str | None = None

    @property
    def key(self) -> GrantKey | None:
        if self.policy_id is None or self.uscc is None or self.period is None:
            return None
        return self.policy_id, self.uscc, self.period


@dataclass
class GrantHistory:
    """A grant's events replayed: its state, the payment outstanding, what was recovered."""

    key: GrantKey
    state: State | None = None
    events: list[Event] = field(default_factory=list)
    #: The advance that is paid now (None when returned, withheld or never paid).
    advance: Event | None = None
    recovered_fen: int = 0
    payments: int = 0
    #: What a ``shortfall: carry`` policy still owes the enterprise (补发).
    due_fen: int = 0
    problems: list[str] = field(default_factory=list)

    def apply(self, e: Event) -> None:
        """One more event; a problem (an event its state does not allow) is noted, not raised,
        so that ``ledger check`` can report every one."""
        self.events.append(e)
        paid = self.state in (State.PAID, State.REPAID, State.PARTIAL)
        if e.kind is Kind.ADVANCE and self.state is State.PARTIAL:
            if e.amount_fen > self.due_fen:
                self.problems.append(f"补发 {e.amount_fen} fen of {self.due_fen} fen due")
            self.due_fen -= e.amount_fen
            self.state = State.PARTIAL if self.due_fen > 0 else State.PAID
            self.payments += 1
            self.advance, self.recovered_fen = e, 0
        elif e.kind is Kind.CARRY:
            if not paid:
                self.problems.append(f"carried while {self.state or 'never paid'}")
            self.due_fen += e.amount_fen
            self.state = State.PARTIAL
        elif e.kind is Kind.ADVANCE:
            if self.state in PAID_STATES:
                self.problems.append(f"paid again in round {_short(e.round_id)} while {self.state}")
            self.state = State.REPAID if self.payments else State.PAID
            self.payments += 1
            self.advance, self.recovered_fen = e, 0
        elif e.kind is Kind.RETURN:
            if not paid or self.advance is None:
                self.problems.append(f"returned while {self.state or 'never paid'}")
            elif e.amount_fen != self.advance.amount_fen:
                self.problems.append(
                    f"returned {e.amount_fen} fen of a payment of {self.advance.amount_fen} fen"
                )
            self.state, self.advance, self.due_fen = State.RETURNED, None, 0
        elif e.kind is Kind.RECOVER:
            outstanding = 0 if self.advance is None else self.advance.amount_fen
            if self.state not in (State.PAID, State.REPAID, State.RECOVERED, State.PARTIAL):
                self.problems.append(f"recovered while {self.state or 'never paid'}")
            elif self.recovered_fen + e.amount_fen > outstanding:
                self.problems.append(
                    f"recovered {self.recovered_fen + e.amount_fen} fen of a payment of "
                    f"{outstanding} fen"
                )
            self.recovered_fen += e.amount_fen
            self.state, self.due_fen = State.RECOVERED, 0
        elif e.kind is Kind.REOPEN:
            if self.state is not State.RECOVERED:
                self.problems.append(f"re-opened while {self.state or 'never paid'}")
            self.state, self.advance = State.REOPENED, None
        elif e.kind is Kind.WITHHOLD:
            if self.state in PAID_STATES:
                self.problems.append(f"withheld while {self.state}")
            self.state = State.WITHHELD


def _short(round_id: str | None) -> str:
    return (round_id or "?")[:12]


def exists(conn: Connection) -> bool:
    return sa.inspect(conn).has_table(journal_table.name)


def read_events(conn: Connection, *, until: dt.date | None = None) -> list[Event]:
    """The journal in the order recorded (up to ``until``'s events, when given)."""
    if not exists(conn):
        return []
    j = journal_table.c
    query = sa.select(journal_table).order_by(j.seq)
    if until is not None:
        query = query.where(j.on_date <= until)
    out = []
    for r in conn.execute(query).mappings():
        row: dict[str, Any] = dict(r)
        del row["recorded_at"]
        row["kind"] = Kind(row["kind"])
        row["amount_fen"] = int(row["amount_fen"])
        out.append(Event(**row))
    return out


def histories(events: Iterable[Event]) -> dict[GrantKey, GrantHistory]:
    out: dict[GrantKey, GrantHistory] = {}
    for e in events:
        key = e.key
        if key is not None:
            out.setdefault(key, GrantHistory(key)).apply(e)
    return out


def payable_again(conn: Connection) -> set[GrantKey]:
    """Grants the ledger recorded as paid that are due again (returned or re-opened)."""
    return {
        k
        for k, h in histories(read_events(conn)).items()
        if h.state in (State.RETURNED, State.REOPENED)
    }


def carried(events: Iterable[Event]) -> dict[GrantKey, int]:
    """Grants of ``shortfall: carry`` policies paid in part: what is still due (补发)."""
    return {k: h.due_fen for k, h in histories(events).items() if h.state is State.PARTIAL}


def balances(events: Iterable[Event]) -> dict[str, int]:
    """Each fund's balance in fen: opening + 回补 - advances + returns + recoveries."""
    out: dict[str, int] = defaultdict(int)
    for e in events:
        out[e.fund] += SIGN[e.kind] * e.amount_fen
    return dict(out)


def opened(events: Iterable[Event]) -> set[str]:
    """Funds whose journal holds an opening (funds with a scale: pools with a balance)."""
    return {e.fund for e in events if e.kind is Kind.OPENING}


def year_used(events: Iterable[Event], fund: str, year: int) -> int:
    """What a fund's annual appropriation for ``year`` has paid out: advances of rounds of that
    year, less returns of them (a returned transfer is paid again from the same year's money)."""
    used = 0
    for e in events:
        if e.fund == fund and e.year == year:
            used += {Kind.ADVANCE: e.amount_fen, Kind.RETURN: -e.amount_fen}.get(e.kind, 0)
    return used


def append(conn: Connection, events: Sequence[dict[str, Any]]) -> None:
    """Record events (dicts of ``pm_journal`` columns, without ``seq`` and ``recorded_at``)."""
    if not events:
        return
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # Every row with every column: an executemany takes its columns from the first row.
    blank = dict.fromkeys(c.name for c in journal_table.columns if c.name != "seq")
    conn.execute(sa.insert(journal_table), [{**blank, **e, "recorded_at": now} for e in events])


@dataclass(frozen=True)
class FundTerms:
    """What the pool needs of a fund: its scale and annual appropriations, in fen."""

    scale_fen: int | None = None
    annual_fen: Mapping[int, int] = field(default_factory=dict)
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoundPool:
    """The pool terms a round was run with (from its manifest): each fund's terms and each
    policy's issuer (the department that owes the pool what its policies advanced)."""

    funds: Mapping[str, FundTerms] = field(default_factory=dict)
    issuers: Mapping[str, str | None] = field(default_factory=dict)
    #: Policies with ``shortfall: carry``.
    carry: frozenset[str] = frozenset()


def openings(
    events: Sequence[Event], funds: Mapping[str, FundTerms], wanted: Iterable[str], on: dt.date
) -> list[dict[str, Any]]:
    """Opening events for the ``wanted`` funds that have a scale and no journal yet."""
    have = opened(events)
    return [
        {"fund": f, "kind": Kind.OPENING.value, "amount_fen": t.scale_fen, "on_date": on}
        for f in sorted(set(wanted))
        if (t := funds.get(f)) is not None and t.scale_fen is not None and f not in have
    ]


def available(
    events: Sequence[Event], funds: Mapping[str, FundTerms], fund: str, year: int
) -> int | None:
    """What a fund can still pay out now: the lower of its pool balance (a fund with a scale)
    and what is left of its appropriation for ``year``; None when neither limits it."""
    terms = funds.get(fund, FundTerms())
    limits: list[int] = []
    if terms.scale_fen is not None:
        opening = 0 if fund in opened(events) else terms.scale_fen
        limits.append(opening + balances(events).get(fund, 0))
    if year in terms.annual_fen:
        limits.append(terms.annual_fen[year] - year_used(events, fund, year))
    return max(0, min(limits)) if limits else None


@dataclass(frozen=True)
class Withheld:
    """A grant of a round held back at commit (an objection in 公示), and why."""

    uscc: str
    policy_id: str
    amount_fen: int
    reason: str
    ref: str | None = None


def record_round(conn: Connection, entry: RoundEntry) -> list[LedgerGrant]:
    """The journal side of a commit, inside its transaction (the lock held): re-check each fund
    against the pool as it is now, then record the advances and the withheld grants. Returns the
    grants to key in ``pm_grants``: all but those paid before and due again (a re-payment)."""
    events = read_events(conn)
    pool = entry.pool or RoundPool()
    need: dict[str, int] = defaultdict(int)
    for g in entry.grants:
        need[entry.terms[g.policy_id].fund] += g.amount_fen
    short = []
    for fund in sorted(need):
        left = available(events, pool.funds, fund, entry.as_of.year)
        if left is not None and need[fund] > left:
            short.append(
                f"{fund}: 本轮需 {fen_text(need[fund])} 元，资金池可用 {fen_text(left)} 元"
            )
    if short:
        raise LedgerError(
            [
                simple(
                    "PM750",
                    f"轮次 {entry.round_id[:12]} 未入账：资金池余额不足（运行之后有其他支出入账）：\n  "
                    + "\n  ".join(short),
                    file=entry.folder,
                    hint="按当前台账重新运行本轮（policymatch run），复核后再入账",
                )
            ]
        )
    rows = openings(events, pool.funds, need, entry.as_of)

    def row(kind: Kind, policy_id: str, uscc: str, amount: int, **more: Any) -> dict[str, Any]:
        t = entry.terms[policy_id]
        return {
            "fund": t.fund,
            "kind": kind.value,
            "amount_fen": amount,
            "on_date": entry.as_of,
            "year": entry.as_of.year,
            "round_id": entry.round_id,
            "policy_id": policy_id,
            "uscc": uscc,
            "period": t.period(entry.as_of),
            "department": pool.issuers.get(policy_id),
            **more,
        }

    rows += [row(Kind.ADVANCE, g.policy_id, g.uscc, g.amount_fen) for g in entry.grants]
    rows += [
        row(Kind.WITHHOLD, w.policy_id, w.uscc, w.amount_fen, ref=w.ref, reason=w.reason[:500])
        for w in entry.withheld
    ]
    before = histories(events)
    for g in entry.grants:
        key = g.policy_id, g.uscc, entry.terms[g.policy_id].period(entry.as_of)
        partial = key in before and before[key].state is State.PARTIAL
        # A 补发 lowers what is due by its advance; a first payment cut short opens the due.
        if g.policy_id in pool.carry and g.amount_fen < g.demand_fen and not partial:
            rows.append(row(Kind.CARRY, g.policy_id, g.uscc, g.demand_fen - g.amount_fen))
    append(conn, rows)
    paid_before = {k for k, h in before.items() if h.payments}
    return [
        g
        for g in entry.grants
        if (g.policy_id, g.uscc, entry.terms[g.policy_id].period(entry.as_of)) not in paid_before
    ]
