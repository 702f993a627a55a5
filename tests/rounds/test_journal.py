"""A grant's state is derived from its journal events; what a state does not allow is a problem
``ledger check`` reports (never silently accepted)."""

from __future__ import annotations

import datetime as dt

import pytest

from policymatch.rounds.journal import Event, GrantHistory, Kind, State, balances, carried
from policymatch.rounds.pool import statement

KEY = ("A", "91361126MA3500001D", "once")
DAY = dt.date(2024, 3, 1)


def ev(kind: Kind, amount: int = 100, rnd: str = "r1", dept: str = "县人社局") -> Event:
    return Event(0, "pool", kind, amount, DAY, 2024, rnd, *KEY, department=dept)


def replay(*events: Event) -> GrantHistory:
    h = GrantHistory(KEY)
    for e in events:
        h.apply(e)
    return h


@pytest.mark.parametrize(
    ("events", "state", "problems"),
    [
        ((ev(Kind.ADVANCE),), State.PAID, 0),
        ((ev(Kind.WITHHOLD), ev(Kind.ADVANCE, rnd="r2")), State.PAID, 0),
        ((ev(Kind.ADVANCE), ev(Kind.RETURN)), State.RETURNED, 0),
        ((ev(Kind.ADVANCE), ev(Kind.RETURN), ev(Kind.ADVANCE, rnd="r2")), State.REPAID, 0),
        ((ev(Kind.ADVANCE), ev(Kind.RECOVER, 40)), State.RECOVERED, 0),
        ((ev(Kind.ADVANCE), ev(Kind.RECOVER), ev(Kind.REOPEN, 0)), State.REOPENED, 0),
        ((ev(Kind.ADVANCE), ev(Kind.CARRY, 50)), State.PARTIAL, 0),
        ((ev(Kind.ADVANCE), ev(Kind.CARRY, 50), ev(Kind.ADVANCE, 50, "r2")), State.PAID, 0),
        # what a state does not allow
        ((ev(Kind.ADVANCE), ev(Kind.ADVANCE, rnd="r2")), State.REPAID, 1),  # paid twice
        ((ev(Kind.RETURN),), State.RETURNED, 1),  # never paid
        ((ev(Kind.ADVANCE), ev(Kind.RETURN, 99)), State.RETURNED, 1),  # part of a transfer
        ((ev(Kind.ADVANCE), ev(Kind.RECOVER, 101)), State.RECOVERED, 1),  # more than paid
        ((ev(Kind.ADVANCE), ev(Kind.REOPEN, 0)), State.REOPENED, 1),  # not recovered
        ((ev(Kind.ADVANCE), ev(Kind.RECOVER), ev(Kind.ADVANCE, rnd="r2")), State.REPAID, 1),
        ((ev(Kind.ADVANCE), ev(Kind.CARRY, 50), ev(Kind.ADVANCE, 60, "r2")), State.PAID, 1),
    ],
)
def test_states(events: tuple[Event, ...], state: State, problems: int) -> None:
    h = replay(*events)
    assert h.state is state
    assert len(h.problems) == problems, h.problems


def test_balance_and_what_each_department_owes() -> None:
    events = [
        Event(0, "pool", Kind.OPENING, 1000, DAY),
        ev(Kind.ADVANCE, 300),
        ev(Kind.RETURN, 300),
        ev(Kind.ADVANCE, 300, "r2"),
        ev(Kind.CARRY, 70, "r2"),  # a carry moves no money
        Event(0, "pool", Kind.REPLENISH, 200, DAY, department="县人社局", source="上级", ref="x"),
        ev(Kind.RECOVER, 50, "r2"),
    ]
    assert balances(events) == {"pool": 1000 - 300 + 300 - 300 + 200 + 50}
    st = statement(events, "pool")
    assert st.balance_fen == 950
    assert st.owed == {"县人社局": 600 - 300 - 50 - 200}
    assert st.totals[Kind.OPENING] - sum(st.owed.values()) == st.balance_fen
    # the advances of a round and department make one line, with the balance after it
    advances = [ln for ln in st.lines if ln.kind is Kind.ADVANCE]
    assert [(ln.round_id, ln.grants, ln.amount_fen) for ln in advances] == [
        ("r1", 1, 300),
        ("r2", 1, 300),
    ]
    assert carried(events) == {}  # recovered: nothing more is due


def test_a_carried_remainder_is_due_until_paid() -> None:
    assert carried([ev(Kind.ADVANCE, 50), ev(Kind.CARRY, 50)]) == {KEY: 50}
    assert carried([ev(Kind.ADVANCE, 50), ev(Kind.CARRY, 50), ev(Kind.ADVANCE, 20, "r2")]) == {
        KEY: 30
    }
