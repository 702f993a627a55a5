"""The pool journal under concurrent processes and kills, on every ledger database.

Commits, returns and 回补 from separate processes queue on the ledger's lock row; each checks
the journal as it is once it holds the lock. A process killed at any point leaves the ledger
exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import time
from pathlib import Path
from typing import Any

import pytest

from policymatch import load
from policymatch.errors import LedgerError
from policymatch.rounds import journal as journal_module
from policymatch.rounds.afterpay import Action, record
from policymatch.rounds.journal import Kind, read_events
from policymatch.rounds.ledger import Ledger
from policymatch.rounds.ledger_reads import LedgerReads
from policymatch.rounds.pool import Replenishment, replenish
from policymatch.rounds.reconcile import check
from policymatch.rounds.round import write_draft
from tests.rounds.helpers import AS_OF, GOLDEN_RECORDS, POLICY_SET, read_entry, write_policies

#: The golden policies with a pool of 1500.00 behind fund ``pool`` (budget 1000.00 a round).
POOLED = POLICY_SET.replace("    budget: 1000\n", "    budget: 1000\n    scale: 1500\n", 1)
#: Two disjoint rounds: pool grants of 774.07 (甲, 乙) and 900.00 (丁, 庚): each fits, not both.
A_RECORDS = GOLDEN_RECORDS[:2]
B_RECORDS = [GOLDEN_RECORDS[3], GOLDEN_RECORDS[6]]


def make_round(root: Path, out: str, ledger: Ledger, records: Any) -> Path:
    from tests.rounds.helpers import registry

    policy_set = load(str(write_policies(root / "policies", POOLED)))
    draft = LedgerReads.of(ledger).draft(policy_set, registry(records, policy_set), AS_OF)
    write_draft(draft, root / out)
    return root / out


def events(ledger: Ledger) -> list[Any]:
    with ledger.engine.connect() as conn:
        return read_events(conn)


def _slow_append() -> None:
    """Hold the transaction open between the checks and the write."""
    real = journal_module.append

    def slow(*args: Any) -> None:
        time.sleep(0.3)
        real(*args)

    journal_module.append = slow  # type: ignore[assignment]


def _commit(folder: str, db: str, barrier: Any, results: Any) -> None:
    _slow_append()
    entry = read_entry(Path(folder))
    barrier.wait()
    try:
        Ledger(db).commit(entry)
        results.put(("recorded", ""))
    except LedgerError as exc:
        results.put(("refused", str(exc)))


def test_two_rounds_the_pool_cannot_both_pay(tmp_path: Path, ledger_target: str) -> None:
    ledger = Ledger(ledger_target)
    a = make_round(tmp_path, "a", ledger, A_RECORDS)
    b = make_round(tmp_path, "b", ledger, B_RECORDS)
    ledger.create()
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_commit, args=(str(f), ledger_target, barrier, results)) for f in (a, b)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    outcomes = sorted(results.get(timeout=5) for _ in procs)
    assert [o for o, _ in outcomes] == ["recorded", "refused"]
    assert "[PM750]" in outcomes[1][1]
    assert check(ledger).problems == []
    pool = [e for e in events(ledger) if e.fund == "pool"]
    balance = sum(e.amount_fen * journal_module.SIGN[e.kind] for e in pool)
    assert balance in (150_000 - 77_407, 150_000 - 90_000)
    ledger.dispose()


def _return(db: str, barrier: Any, uscc: str, policy: str, round_id: str, amount: int) -> None:
    _slow_append()
    barrier.wait()
    action = Action(Kind.RETURN, uscc, policy, round_id, amount, "退票", None, "test")
    record(Ledger(db), [action], AS_OF)


def _replenish(db: str, barrier: Any, policies: str, amount: int) -> None:
    _slow_append()
    barrier.wait()
    r = Replenishment("pool", amount, "县人社局", "本级", "余财1号", AS_OF)
    replenish(Ledger(db), load(policies), r)


def _commit_b(folder: str, db: str, barrier: Any) -> None:
    _slow_append()
    entry = read_entry(Path(folder))
    barrier.wait()
    Ledger(db).commit(entry)


def test_returns_replenishment_and_a_commit_at_once(tmp_path: Path, ledger_target: str) -> None:
    ledger = Ledger(ledger_target)
    a = make_round(tmp_path, "a", ledger, A_RECORDS)
    ledger.commit(read_entry(a))
    rid = read_entry(a).round_id
    # 丁 alone: Z2 300.00 fits what is left (1500 - 774.07); the 回补 (50.00) is less than
    # 县人社局 owes whichever comes first (W paid 374.07, 300.00 of it returned)
    b = make_round(tmp_path, "b", ledger, [GOLDEN_RECORDS[3]])
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(3)
    first = GOLDEN_RECORDS[0]["uscc"]
    procs = [
        ctx.Process(target=_return, args=(ledger_target, barrier, first, "W", rid, 30_000)),
        ctx.Process(
            target=_replenish, args=(ledger_target, barrier, str(tmp_path / "policies"), 5_000)
        ),
        ctx.Process(target=_commit_b, args=(str(b), ledger_target, barrier)),
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert check(ledger).problems == []
    pool = [e for e in events(ledger) if e.fund == "pool"]
    kinds = sorted(e.kind.value for e in pool if e.kind is not Kind.ADVANCE)
    assert kinds == ["opening", "replenish", "return"]
    balance = sum(e.amount_fen * journal_module.SIGN[e.kind] for e in pool)
    assert balance == 150_000 - 77_407 + 30_000 + 5_000 - 30_000
    ledger.dispose()


def _die_after_append(kind: str, folder: str, db: str) -> None:
    """In a child process: write the journal rows, then die without committing."""
    real = journal_module.append

    def dying(*args: Any) -> None:
        real(*args)
        os._exit(3)

    journal_module.append = dying  # type: ignore[assignment]
    ledger = Ledger(db)
    if kind == "commit":
        ledger.commit(read_entry(Path(folder)))
    elif kind == "return":
        entry = read_entry(Path(folder))
        g = entry.grants[0]
        action = Action(Kind.RETURN, g.uscc, g.policy_id, entry.round_id, g.amount_fen, "r", None, "t")  # fmt: skip
        record(ledger, [action], dt.date(2024, 4, 1))
    else:
        r = Replenishment("pool", 100, "县人社局", "本级", "x", AS_OF)
        replenish(ledger, load(str(Path(folder).parent / "policies")), r)


@pytest.mark.parametrize("kind", ["commit", "return", "replenish"])
def test_a_kill_leaves_the_ledger_as_it_was(tmp_path: Path, ledger_target: str, kind: str) -> None:
    ledger = Ledger(ledger_target)
    a = make_round(tmp_path, "a", ledger, A_RECORDS)
    if kind != "commit":
        ledger.commit(read_entry(a))
    before = events(ledger) if kind != "commit" else []
    child = mp.get_context("spawn").Process(
        target=_die_after_append, args=(kind, str(a), ledger_target)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 3
    after = events(ledger) if kind != "commit" or ledger.history() else []
    assert after == before
    if kind == "commit":
        assert ledger.history() == []
        assert ledger.committed(read_entry(a).round_id) is None
    assert check(ledger).problems == []
    ledger.dispose()
