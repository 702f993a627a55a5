"""Any sequence of returns, recoveries, re-openings and 回补, valid or not, leaves a ledger that
reconciles: refused operations change nothing, accepted ones keep the balance identity."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policymatch import load
from policymatch.errors import PolicymatchError
from policymatch.rounds.afterpay import Action, record
from policymatch.rounds.journal import Kind, read_events
from policymatch.rounds.ledger import Ledger
from policymatch.rounds.ledger_reads import LedgerReads
from policymatch.rounds.pool import Replenishment, replenish, statement
from policymatch.rounds.reconcile import check
from policymatch.rounds.round import write_draft
from policymatch.rules import PolicySet
from tests.rounds.helpers import (
    AS_OF,
    GOLDEN_RECORDS,
    POLICY_SET,
    read_entry,
    registry,
    write_policies,
)

POOLED = POLICY_SET.replace("    budget: 1000\n", "    budget: 1000\n    scale: 1500\n", 1)


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list, PolicySet]:
    """A ledger file holding the golden round, committed; the round id and its grants."""
    root = tmp_path_factory.mktemp("prop")
    policy_set = load(str(write_policies(root / "policies", POOLED)))
    ledger = Ledger(str(root / "ledger.sqlite"))
    draft = LedgerReads.of(ledger).draft(policy_set, registry(GOLDEN_RECORDS, policy_set), AS_OF)
    write_draft(draft, root / "r1")
    entry = read_entry(root / "r1")
    ledger.commit(entry)
    ledger.dispose()
    return root / "ledger.sqlite", entry.round_id, list(entry.grants), policy_set


operations = st.lists(
    st.tuples(
        st.sampled_from(["return", "recover", "reopen", "replenish"]),
        st.integers(0, 20),  # which grant
        st.integers(-1, 80_000),  # amount in fen (or a departure from the right one)
        st.sampled_from(["县人社局", "县工信局", "县税务局", "县科技局"]),
    ),
    max_size=8,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=operations)
def test_any_sequence_reconciles(
    committed: tuple[Path, str, list, PolicySet], ops: list[tuple[str, int, int, str]]
) -> None:
    source, round_id, grants, policy_set = committed
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.sqlite"
        shutil.copy(source, path)
        ledger = Ledger(str(path))
        for kind, which, amount, dept in ops:
            g = grants[which % len(grants)]
            with ledger.engine.connect() as conn:
                before = read_events(conn)
            try:
                if kind == "replenish":
                    r = Replenishment("pool", max(amount, 1), dept, "本级", "x", AS_OF)
                    replenish(ledger, policy_set, r)
                else:
                    exact = amount % 3 == 0  # a third of the time, the right amount
                    value = g.amount_fen if exact else max(amount, 1)
                    value = 0 if kind == "reopen" else value
                    action = Action(Kind(kind), g.uscc, g.policy_id, round_id, value, "r", "x", "t")  # fmt: skip
                    record(ledger, [action], dt.date(2024, 4, 1))
            except PolicymatchError:
                with ledger.engine.connect() as conn:
                    assert read_events(conn) == before  # refused: nothing changed
        report = check(ledger)
        assert report.problems == []
        with ledger.engine.connect() as conn:
            events = read_events(conn)
        for fund in {e.fund for e in events}:
            s = statement(events, fund)
            assert s.balance_fen == s.totals[Kind.OPENING] - sum(s.owed.values())
            assert report.balances[fund] == s.balance_fen
        ledger.dispose()
