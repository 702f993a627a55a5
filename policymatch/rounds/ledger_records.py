"""What the ledger records, without the database: a round as a commit records it, and the pool
journal's events with what replaying them gives.

:mod:`.ledger` and :mod:`.journal` store these in their tables and read them back (the
journal's docstring says what each kind of event means); here they are only computed with: a
grant's state, a fund's balance, what a fund may still pay out. Nothing here imports SQLAlchemy,
so a round whose embedded ledger does not exist yet works out its limits and writes its manifest
without loading it (:mod:`.round`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .allocate import Paid, Terms


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


def histories(events: Iterable[Event]) -> dict[GrantKey, GrantHistory]:
    out: dict[GrantKey, GrantHistory] = {}
    for e in events:
        key = e.key
        if key is not None:
            out.setdefault(key, GrantHistory(key)).apply(e)
    return out


def payable_again(events: Iterable[Event]) -> set[GrantKey]:
    """Grants the ledger recorded as paid that are due again (returned or re-opened)."""
    return {k for k, h in histories(events).items() if h.state in (State.RETURNED, State.REOPENED)}


def still_paid(grants: Iterable[Paid], events: Iterable[Event]) -> list[Paid]:
    """The recorded ``grants`` that count as paid by the journal ``events``: not those returned
    or re-opened since (what frequency and stacking are checked against)."""
    due = payable_again(events)
    return [p for p in grants if (p.policy_id, p.uscc, p.period) not in due]


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


@dataclass(frozen=True)
class LedgerGrant:
    """One grant of a round, as recorded."""

    uscc: str
    name: str | None
    policy_id: str
    demand_fen: int
    amount_fen: int


@dataclass(frozen=True)
class RoundEntry:
    """A reviewed round, as the commit reads it from the round folder."""

    round_id: str
    as_of: dt.date
    policy_set_sha256: str
    registry_sha256: str | None
    software_version: str
    folder: str
    terms: Mapping[str, Terms]
    grants: Sequence[LedgerGrant]
    #: The pool terms of the round (scale, appropriations, issuers); None: no pool accounting.
    pool: RoundPool | None = None
    #: Grants of the round held back at commit after an objection (policymatch commit --withhold).
    withheld: Sequence[Withheld] = ()


def absent_sqlite(target: str) -> str | None:
    """The display URL of an embedded ledger (a SQLite file) whose file does not exist yet, as
    ``Ledger(target).display`` renders it (tests/rounds/test_ledger.py checks they agree); None
    for a database URL or a file that exists. An absent ledger holds nothing: reading it needs
    no database, nor SQLAlchemy."""
    from ..registry.urls import is_database_url

    if is_database_url(target) or Path(target).exists():
        return None
    return "sqlite:///" + quote(str(Path(target)), safe=" +/")
