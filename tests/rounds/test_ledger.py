"""The ledger: commit once, atomically, never twice, never a tampered or stale round."""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing as mp
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from policymatch import load
from policymatch.errors import LedgerError
from policymatch.rounds import ledger as ledger_module
from policymatch.rounds.allocate import Terms
from policymatch.rounds.draft import draft_round
from policymatch.rounds.ledger import Ledger, LedgerGrant, RoundEntry
from policymatch.rounds.manifest import read_round
from policymatch.rounds.round import write_draft
from policymatch.rules import PolicySet, ir
from tests.rounds.helpers import AS_OF, GOLDEN_RECORDS, code, read_entry, registry, write_policies


def make_round(root: Path, out: str, ledger: Ledger, records: Any = GOLDEN_RECORDS) -> Path:
    """A round drafted against the ledger as it is now, written into root/out."""
    policy_set = load(str(write_policies(root / "policies")))
    draft = draft_round(
        policy_set, registry(records, policy_set), AS_OF, ledger.history(), ledger=ledger.display
    )
    write_draft(draft, root / out)
    return root / out


def grant_keys(ledger: Ledger) -> list[tuple[str, str, str]]:
    with ledger.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT policy_id, uscc, period FROM pm_grants"))
        return sorted((r[0], r[1], r[2]) for r in rows)


def rounds(ledger: Ledger) -> int:
    with ledger.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM pm_rounds")).scalar_one())


def test_commit_once_then_no_op(tmp_path: Path, ledger: Ledger) -> None:
    folder = make_round(tmp_path, "r1", ledger)
    entry = read_entry(folder)
    first = ledger.commit(entry)
    assert first.recorded
    assert first.grants == len(entry.grants) == 11
    assert first.amount_fen == sum(g.amount_fen for g in entry.grants)
    keys = grant_keys(ledger)
    assert len(keys) == 11
    assert ("W", GOLDEN_RECORDS[0]["uscc"], "2024") in keys
    assert ("Z2", GOLDEN_RECORDS[0]["uscc"], "once") in keys
    again = ledger.commit(read_entry(folder))
    assert not again.recorded
    assert again.committed_at == first.committed_at
    assert grant_keys(ledger) == keys
    assert rounds(ledger) == 1


def test_a_second_round_never_repays(tmp_path: Path, ledger: Ledger) -> None:
    ledger.commit(read_entry(make_round(tmp_path, "r1", ledger)))
    second = read_entry(make_round(tmp_path, "r2", ledger))
    assert second.grants == []  # every grant of the first round is now in the ledger
    result = ledger.commit(second)
    assert result.recorded  # an empty round is still a round
    assert len(grant_keys(ledger)) == 11


def test_a_stale_round_is_refused(tmp_path: Path, ledger: Ledger) -> None:
    """Two drafts run before either is committed: the second would pay twice."""
    first = read_entry(make_round(tmp_path, "a", ledger))
    stale = read_entry(make_round(tmp_path, "b", ledger, GOLDEN_RECORDS[:2]))
    ledger.commit(first)
    with pytest.raises(LedgerError, match=r"PM703") as err:
        ledger.commit(stale)
    assert "already paid according to the ledger" in str(err.value)
    assert rounds(ledger) == 1


def test_a_round_edited_after_the_run_is_refused(tmp_path: Path, ledger: Ledger) -> None:
    folder = make_round(tmp_path, "r1", ledger)
    grants = folder / "grants.csv"
    grants.write_bytes(grants.read_bytes().replace(b",600.00,600.00,", b",600.00,6000.00,"))
    with pytest.raises(LedgerError, match=r"files changed or missing since the run: grants\.csv"):
        read_entry(folder)
    (folder / "公示名单.csv").unlink()
    with pytest.raises(LedgerError, match=r"grants\.csv, 公示名单\.csv"):
        read_entry(folder)


def test_an_edited_manifest_does_not_pass_for_the_round(tmp_path: Path, ledger: Ledger) -> None:
    folder = make_round(tmp_path, "r1", ledger)
    original = read_entry(folder).round_id
    manifest = folder / "manifest.json"
    manifest.write_text(manifest.read_text("utf-8").replace("2024-03-01", "2025-03-01"), "utf-8")
    # the lists carry the period they were computed for: a moved as-of date shows
    with pytest.raises(LedgerError, match=r"period"):
        read_entry(folder)
    manifest.write_text(manifest.read_text("utf-8").replace("2025-03-01", "2024-03-01"), "utf-8")
    assert read_entry(folder).round_id == original


def test_not_a_round_folder(tmp_path: Path, policy_set: PolicySet) -> None:
    with pytest.raises(LedgerError, match=r"no manifest\.json here"):
        read_round(tmp_path, policy_set)


def test_a_failure_mid_commit_leaves_the_ledger_as_it_was(
    tmp_path: Path, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_round(tmp_path, "r1", ledger)
    monkeypatch.setattr(ledger_module, "BATCH", 2)
    real = ledger_module.insert_grants
    calls = []

    def failing(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        real(*args)

    monkeypatch.setattr(ledger_module, "insert_grants", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        ledger.commit(read_entry(folder))
    assert len(calls) == 3  # two batches went in before the failure ...
    assert grant_keys(ledger) == []  # ... and were rolled back
    assert rounds(ledger) == 0
    monkeypatch.setattr(ledger_module, "insert_grants", real)
    assert ledger.commit(read_entry(folder)).recorded
    assert len(grant_keys(ledger)) == 11


def _crash_mid_commit(folder: str, db: str) -> None:
    """In a child process: die (no cleanup at all) after two batches of the commit."""
    from policymatch.rounds import ledger as module

    module.BATCH = 2
    real = module.insert_grants
    calls = []

    def dying(*args: Any) -> None:
        real(*args)
        calls.append(1)
        if len(calls) == 2:
            os._exit(3)

    module.insert_grants = dying  # type: ignore[assignment]
    Ledger(db).commit(read_entry(Path(folder)))


def test_a_crash_mid_commit_leaves_the_ledger_as_it_was(
    tmp_path: Path, ledger: Ledger, ledger_target: str
) -> None:
    folder = make_round(tmp_path, "r1", ledger)
    child = mp.get_context("spawn").Process(
        target=_crash_mid_commit, args=(str(folder), ledger_target)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 3
    if ledger.is_sqlite_file:
        with sqlite3.connect(ledger_target) as conn:  # recovers the hot journal
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert grant_keys(ledger) == []
    assert rounds(ledger) == 0
    assert ledger.commit(read_entry(folder)).recorded


def _commit_at_once(folder: str, db: str, barrier: Any, results: Any) -> None:
    from policymatch.rounds import ledger as module

    real = module.insert_grants

    def slow(*args: Any) -> None:
        import time

        time.sleep(0.2)  # hold the transaction open while the other process tries
        real(*args)

    module.insert_grants = slow  # type: ignore[assignment]
    entry = read_entry(Path(folder))
    barrier.wait()
    try:
        results.put(("recorded" if Ledger(db).commit(entry).recorded else "already", ""))
    except LedgerError as exc:
        results.put(("refused", str(exc)))


def run_two(folders: list[Path], db: str) -> list[tuple[str, str]]:
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_commit_at_once, args=(str(f), db, barrier, results)) for f in folders
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    return sorted(results.get(timeout=5) for _ in procs)


def test_two_processes_commit_the_same_round(
    tmp_path: Path, ledger: Ledger, ledger_target: str
) -> None:
    folder = make_round(tmp_path, "r1", ledger)
    ledger.create()  # both children find the tables; creation races are tested below
    outcomes = run_two([folder, folder], ledger_target)
    assert [o for o, _ in outcomes] == ["already", "recorded"]
    assert len(grant_keys(ledger)) == 11
    assert rounds(ledger) == 1


def test_two_processes_commit_the_same_round_on_a_new_ledger(
    tmp_path: Path, ledger: Ledger, ledger_target: str
) -> None:
    """Issue 11: on a ledger no commit created yet, the loser of the race to create the tables
    got MariaDB's "Deadlock found" or "Table definition has changed" (PM702). It must wait for
    the whole schema, run its transaction again if the database aborts it, and find the round
    already committed."""
    folder = make_round(tmp_path, "r1", ledger)
    outcomes = run_two([folder, folder], ledger_target)
    assert outcomes == [("already", ""), ("recorded", "")]
    assert len(grant_keys(ledger)) == 11
    assert rounds(ledger) == 1


def test_two_processes_commit_overlapping_rounds(
    tmp_path: Path, ledger: Ledger, ledger_target: str
) -> None:
    a = make_round(tmp_path, "a", ledger)
    b = make_round(tmp_path, "b", ledger, GOLDEN_RECORDS[:2])
    sizes = {len(read_entry(a).grants), len(read_entry(b).grants)}
    outcomes = run_two([a, b], ledger_target)
    assert sorted(o for o, _ in outcomes) == ["recorded", "refused"]
    assert len(grant_keys(ledger)) in sizes  # one round or the other, whole
    assert rounds(ledger) == 1


def test_an_unreachable_ledger_is_a_clear_error() -> None:
    ledger = Ledger("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(LedgerError, match=r"ledger: cannot read: .*PM702"):
        ledger.history()
    with pytest.raises(LedgerError, match=r"PM701"):
        Ledger("postgresql+psycopg://x:y@host:port/db")


def test_the_ledger_keeps_its_word_on_a_policys_terms(tmp_path: Path, ledger: Ledger) -> None:
    """A round whose terms contradict what the ledger recorded of a policy (a once policy read
    as yearly, a policy moved out of the stacking group it was paid in) is refused."""
    ledger.commit(read_entry(make_round(tmp_path, "r1", ledger)))
    history = {(p.policy_id, p.uscc): p for p in ledger.history()}
    assert history["Z2", code(1)].once
    assert not history["W", code(1)].once
    before = grant_keys(ledger)
    policy_set = load(str(tmp_path / "policies"))
    terms = {p.id: Terms.of(p) for p in policy_set.policies}

    def later(pid: str, as_of: dt.date = dt.date(2025, 3, 1), **changed: Any) -> RoundEntry:
        return RoundEntry(
            f"forged-{pid}",
            as_of,
            policy_set.digest,
            None,
            "test",
            str(tmp_path / "forged"),
            {**terms, pid: dataclasses.replace(terms[pid], **changed)},
            [LedgerGrant(code(4), None, pid, 30_000, 30_000)],
        )

    with pytest.raises(
        LedgerError, match=r"Z2: recorded as once \(round \w+\), this round says yearly.*PM724"
    ):
        ledger.commit(later("Z2", frequency=ir.Frequency.YEARLY))
    with pytest.raises(LedgerError, match=r"Z2: paid in stacking group 专精特新 .* says no group"):
        ledger.commit(later("Z2", stacking_group=None))
    assert grant_keys(ledger) == before
    assert rounds(ledger) == 1
    # joining a group is no contradiction: the old payments count in it too (W joins 专精特新,
    # where code(4) was paid Z2 this year, so W is refused as a second payment of the group)
    with pytest.raises(LedgerError, match=r"W \S+: group_paid \(Z2\).*PM703"):
        ledger.commit(later("W", AS_OF, stacking_group="专精特新"))


def _deadlock() -> OperationalError:
    import pymysql

    return OperationalError(
        "UPDATE pm_ledger", {}, pymysql.err.OperationalError(1213, "Deadlock found")
    )


def test_a_transaction_aborted_for_a_conflict_is_run_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger_module, "RETRY_PAUSE", 0)
    tries: list[int] = []

    def flaky() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise _deadlock()
        return "done"

    assert ledger_module.retrying(flaky) == "done"
    assert len(tries) == 3

    def always() -> None:
        tries.append(1)
        raise _deadlock()

    tries.clear()
    with pytest.raises(OperationalError, match="Deadlock"):
        ledger_module.retrying(always)
    assert len(tries) == ledger_module.ATTEMPTS

    def other() -> None:
        tries.append(1)
        raise OperationalError("SELECT", {}, Exception("no such table"))

    tries.clear()
    with pytest.raises(OperationalError):
        ledger_module.retrying(other)
    assert len(tries) == 1  # not a conflict: not run again


@pytest.mark.parametrize(
    "path", ["ledger.sqlite", "/tmp/l.sqlite", "./a//b.sqlite", "台账 #1?%&+.sqlite", ":memory:"]
)
def test_a_ledger_not_opened_is_named_as_sqlalchemy_names_it(path: str) -> None:
    """A round whose SQLite file does not exist yet names the ledger without SQLAlchemy; its
    manifest says what ``Ledger.display`` would (the round id depends on it)."""
    from policymatch.rounds.ledger_records import absent_sqlite

    assert absent_sqlite(path) == Ledger(path).display
