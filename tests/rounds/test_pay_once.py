"""A remainder (补发) or a withheld grant is paid once, whatever drafts were made while it was due.

Two rounds run from the same ledger both pay what was then owed; whichever is committed second,
after the first or at the same moment from another process, is refused (PM703) under the
ledger's lock and changes nothing. A process killed inside such a commit leaves the ledger as
it was.
"""

from __future__ import annotations

import csv
import multiprocessing as mp
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from policymatch import load
from policymatch.cli import main
from policymatch.errors import LedgerError
from policymatch.registry.frame import frame_from_records
from policymatch.registry.writers import write_csv
from policymatch.rounds import journal as journal_module
from policymatch.rounds.ledger import Ledger, RoundEntry
from policymatch.rounds.manifest import read_round
from policymatch.rounds.pool import carried_due
from policymatch.rounds.reconcile import check
from policymatch.rounds.withhold import withhold
from tests.rounds.helpers import cli_on, code
from tests.rounds.test_pool_concurrency import _slow_append, events

#: C pays 100.00 to each enterprise and carries what a cut leaves (补发); ``{limit}`` is the
#: fund's scale or per-round budget.
POLICIES = """\
version: 1
funds:
  - id: pool
    title: 资金池
    {limit}
policies:
  - id: C
    title: 补发政策
    issuer: 县工信局
    fund: pool
    shortfall: carry
    eligibility: ui_paid > 0
    amount: 100
"""


class Pool:
    """Two enterprises under C, and the CLI on one ledger."""

    def __init__(self, root: Path, ledger: str, capsys: Any, limit: str = "scale: 100") -> None:
        self.root, self.ledger, self.capsys = root, ledger, capsys
        self.policies = root / "policies"
        self.policies.mkdir()
        (self.policies / "p.yaml").write_text(POLICIES.format(limit=limit), encoding="utf-8")
        schema = load(str(self.policies)).schema
        people = [
            {
                "uscc": code(n),
                "name": f"企业{n}",
                "ui_paid": Decimal(1),
                "bank_account": "62284800001",
            }
            for n in (1, 2)
        ]
        write_csv(frame_from_records(people, schema), root / "r.csv", schema)

    def cli(self, *argv: str, code: int = 0) -> str:
        return cli_on(self.ledger, self.capsys, *argv, code=code)

    def run(self, name: str, as_of: str = "2024-03-01") -> Path:
        """A draft round (another ``as_of``: another round, though from the same ledger)."""
        folder = self.root / name
        self.cli(
            "run", "--registry", str(self.root / "r.csv"), "--as-of", as_of,
            "--out", str(folder), "--policies", str(self.policies),
        )  # fmt: skip
        return folder

    def commit(self, folder: Path, *more: str, code: int = 0) -> str:
        return self.cli("commit", str(folder), "--policies", str(self.policies), *more, code=code)

    def replenish(self, amount: str) -> None:
        self.cli(
            "pool", "replenish", "--fund", "pool", "--amount", amount, "--from", "县工信局",
            "--ref", f"回补{amount}", "--policies", str(self.policies),
        )  # fmt: skip

    def state(self) -> tuple[Any, ...]:
        ledger = Ledger(self.ledger)
        try:
            return events(ledger), ledger.history()
        finally:
            ledger.dispose()

    def entry(self, folder: Path, *withheld: Path) -> RoundEntry:
        """The round as policymatch commit reads it now, before it takes the lock."""
        ledger = Ledger(self.ledger)
        try:
            entry = read_round(
                folder, load(str(self.policies)), registry=True, carried=carried_due(ledger)
            )
        finally:
            ledger.dispose()
        return withhold(entry, withheld[0]) if withheld else entry

    def refused(self, folder: Path, stale: RoundEntry, *more: str, cli: str = "PM703") -> str:
        """``stale`` (read before another round was committed) is refused under the lock, and
        ``policymatch commit`` of its folder now (``cli``: the code it gives), changing nothing;
        the refusal under the lock."""
        before = self.state()
        ledger = Ledger(self.ledger)
        with pytest.raises(LedgerError) as refusal:
            ledger.commit(stale)
        assert "[PM703]" in str(refusal.value)
        assert self.state() == before
        assert f"[{cli}]" in self.commit(folder, *more, code=1)
        assert self.state() == before
        assert check(ledger).problems == []
        ledger.dispose()
        return str(refusal.value)


def grants(folder: Path) -> dict[str, str]:
    with (folder / "grants.csv").open(encoding="utf-8-sig", newline="") as f:
        return {r["uscc"]: r["amount"] for r in csv.DictReader(f)}


def cut_round(pool: Pool) -> None:
    """Round 1: 200.00 asked of a pool of 100.00, 50.00 each paid, 50.00 each carried."""
    r1 = pool.run("r1")
    assert set(grants(r1).values()) == {"50.00"}
    pool.commit(r1)


def test_a_remainder_paid_by_one_draft_is_not_paid_by_another(
    tmp_path: Path, ledger_target: str, capsys: Any
) -> None:
    pool = Pool(tmp_path, ledger_target, capsys)
    cut_round(pool)
    pool.replenish("100")
    r2, r3 = pool.run("r2"), pool.run("r3", "2024-03-02")
    assert grants(r2) == grants(r3) == {code(1): "50.00", code(2): "50.00"}
    stale = pool.entry(r3)
    pool.commit(r2)
    # policymatch commit reads the remainder first: r3's demand is no longer what is owed
    pool.refused(r3, stale, cli="PM722")


def test_a_draft_asking_a_remainder_that_changed_since_is_refused(
    tmp_path: Path, ledger_target: str, capsys: Any
) -> None:
    pool = Pool(tmp_path, ledger_target, capsys)
    cut_round(pool)
    pool.replenish("60")
    # Both drafts: 30.00 of the 50.00 each is owed (the pool holds 60.00)
    r2, r3 = pool.run("r2"), pool.run("r3", "2024-03-02")
    assert grants(r2) == grants(r3) == {code(1): "30.00", code(2): "30.00"}
    stale = pool.entry(r3)
    pool.commit(r2)
    # The pool could pay r3 now: only the ledger's remainder (20.00 each) stops it
    pool.replenish("100")
    out = pool.refused(r3, stale, cli="PM722")
    assert "carried remainder due 20.00, this round pays 30.00 of 50.00" in out
    r4 = pool.run("r4")
    assert grants(r4) == {code(1): "20.00", code(2): "20.00"}
    pool.commit(r4)
    assert grants(pool.run("r5")) == {}  # paid in full now


def test_two_first_payments_cut_short_are_not_both_paid(
    tmp_path: Path, ledger_target: str, capsys: Any
) -> None:
    # A per-round budget, no pool balance: nothing but the ledger stands between the two
    pool = Pool(tmp_path, ledger_target, capsys, limit="budget: 100")
    r1a, r1b = pool.run("r1a"), pool.run("r1b", "2024-03-02")
    assert grants(r1a) == grants(r1b) == {code(1): "50.00", code(2): "50.00"}
    stale = pool.entry(r1b)
    pool.commit(r1a)
    out = pool.refused(r1b, stale, cli="PM722")
    assert "carried remainder due 50.00, this round pays 50.00 of 100.00" in out


def _withheld_then_two_drafts(
    tmp_path: Path, ledger_target: str, capsys: Any
) -> tuple[Pool, Path, Path, Path]:
    """Round r1 committed with C's grant to enterprise 1 withheld, then two drafts (r2, r3) made
    from that same ledger state, each releasing it."""
    pool = Pool(tmp_path, ledger_target, capsys, limit="scale: 1000")
    r1 = pool.run("r1")
    objections = tmp_path / "objections.csv"
    objections.write_text(
        f"uscc,policy_id,reason,reference\n{code(1)},C,公示异议,异议1号\n", encoding="utf-8"
    )
    pool.commit(r1, "--withhold", str(objections))
    return pool, objections, pool.run("r2"), pool.run("r3", "2024-03-02")


def test_a_withheld_grant_released_is_paid_once(
    tmp_path: Path, ledger_target: str, capsys: Any
) -> None:
    pool, _, r2, r3 = _withheld_then_two_drafts(tmp_path, ledger_target, capsys)
    assert grants(r2) == grants(r3) == {code(1): "100.00"}
    stale = pool.entry(r3)
    pool.commit(r2)
    pool.refused(r3, stale)


def test_a_withhold_of_a_grant_paid_since_is_refused(
    tmp_path: Path, ledger_target: str, capsys: Any
) -> None:
    pool, objections, r2, r3 = _withheld_then_two_drafts(tmp_path, ledger_target, capsys)
    stale = pool.entry(r3, objections)
    pool.commit(r2)
    # r3 withholds what r2 paid: recording it would say a paid grant was never paid
    pool.refused(r3, stale, "--withhold", str(objections))


def _commit(folder: str, policies: str, db: str, barrier: Any, results: Any) -> None:
    _slow_append()
    ledger = Ledger(db)
    # As policymatch commit does: the remainder read before the lock, checked again under it
    entry = read_round(Path(folder), load(policies), carried=carried_due(ledger))
    barrier.wait()
    try:
        ledger.commit(entry)
        results.put(("recorded", ""))
    except LedgerError as exc:
        results.put(("refused", str(exc)))


def test_two_processes_paying_one_remainder(
    tmp_path: Path, ledger_target: str, capsys: Any
) -> None:
    pool = Pool(tmp_path, ledger_target, capsys)
    cut_round(pool)
    pool.replenish("100")
    folders = [pool.run("r2"), pool.run("r3", "2024-03-02")]
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(
            target=_commit, args=(str(f), str(pool.policies), ledger_target, barrier, results)
        )
        for f in folders
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    outcomes = sorted(results.get(timeout=5) for _ in procs)
    assert [o for o, _ in outcomes] == ["recorded", "refused"]
    assert "[PM703]" in outcomes[1][1]
    ledger = Ledger(ledger_target)
    assert check(ledger).problems == []
    paid = [e for e in events(ledger) if e.kind is journal_module.Kind.ADVANCE]
    assert sorted(e.amount_fen for e in paid) == [5_000] * 4  # 50.00 + 50.00 补发, each
    ledger.dispose()


def _die_in_commit(folder: str, policies: str, db: str, more: list[str]) -> None:
    """In a child process: policymatch commit writes its journal rows, then dies."""
    real = journal_module.append

    def dying(*args: Any) -> None:
        real(*args)
        os._exit(3)

    journal_module.append = dying  # type: ignore[assignment]
    main(["commit", folder, "--policies", policies, "--ledger", db, *more])


@pytest.mark.parametrize("kind", ["withhold", "carry", "补发"])
def test_a_kill_inside_the_commit_leaves_the_ledger_as_it_was(
    tmp_path: Path, ledger_target: str, capsys: Any, kind: str
) -> None:
    pool = Pool(tmp_path, ledger_target, capsys)
    more: list[str] = []
    if kind == "withhold":
        objections = tmp_path / "objections.csv"
        objections.write_text(
            f"uscc,policy_id,reason,reference\n{code(1)},C,公示异议,异议1号\n", encoding="utf-8"
        )
        more = ["--withhold", str(objections)]
    if kind == "补发":
        cut_round(pool)
        pool.replenish("100")
    folder = pool.run("r")
    before = pool.state()
    child = mp.get_context("spawn").Process(
        target=_die_in_commit, args=(str(folder), str(pool.policies), ledger_target, more)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 3
    assert pool.state() == before
    ledger = Ledger(ledger_target)
    assert ledger.committed(read_round(folder, load(str(pool.policies))).round_id) is None
    assert check(ledger).problems == []
    ledger.dispose()
    # The round commits as it would have
    assert "已记入台账" in pool.commit(folder, *more)
