"""A full disbursement round on a county-sized registry: the 5-second target.

    .venv/bin/pytest benchmarks/bench_round.py -s            # prints each step's share
    .venv/bin/pytest benchmarks/bench_round.py -s --benchmark-json=round.json

What is timed: ``run_round`` on the shipped policies (policies/) and a 50,000-row sample registry
(``policymatch sample-registry`` with seed 1, as scripts/demo.sh makes it): read the CSV, match,
allocate against an empty ledger, build the lists, write every CSV, the two workbooks, the
manifest and report.html.
Python start-up, imports and compiling the policy set are not in it (they are printed apart).
The wall time is the target; the CPU time (all threads) is printed too, as the steadier number
on a shared machine (the write step runs on two threads, so its wall time can be below its CPU
time).

Baselines, timed in the same run so that the ratios hold on any machine:

* ``read_csv + to_csv``: pandas reading the same registry CSV and writing it back, as text: the
  I/O any round does at the least. The round's time is reported as a multiple of it.
* XlsxWriter (constant-memory mode) writing the round's grant and near-miss lists, against the
  workbook writer of policymatch.rounds.xlsx on the same lists.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import xlsxwriter

from policymatch import load
from policymatch.registry.generate import generate_frame
from policymatch.registry.load import read_registry
from policymatch.registry.writers import write_csv
from policymatch.rounds.draft import draft_round
from policymatch.rounds.lists import build_lists
from policymatch.rounds.progress import Progress
from policymatch.rounds.round import RoundRequest, run_round
from policymatch.rounds.tables import Table
from policymatch.rounds.workbook import write_workbook
from policymatch.rules import PolicySet

ROWS = 50_000
SEED = 1
AS_OF = dt.date(2024, 3, 1)
POLICIES = Path(__file__).resolve().parent.parent / "policies"
RESULTS: dict[str, float] = {}


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PolicySet, Path]]:
    folder = tmp_path_factory.mktemp("round")
    start = time.perf_counter()
    policy_set = load(str(POLICIES))
    print(f"\ncompile policies/: {time.perf_counter() - start:.2f} s")
    frame = generate_frame(ROWS, SEED, schema=policy_set.schema)
    write_csv(frame, folder / "registry.csv", policy_set.schema)
    yield policy_set, folder
    _report()


def best_of(runs: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def test_full_round(benchmark: Any, county: tuple[PolicySet, Path]) -> None:
    policy_set, folder = county
    timings: list[dict[str, float]] = []
    cpus: list[dict[str, float]] = []

    def one_round() -> None:
        progress = Progress()
        request = RoundRequest(
            str(folder / "registry.csv"),
            AS_OF,
            folder / "out",
            ledger=str(folder / "empty-ledger.sqlite"),
        )
        run_round(policy_set, request, progress)
        timings.append(progress.timings)
        cpus.append(progress.cpu)

    benchmark.pedantic(one_round, rounds=3, iterations=1, warmup_rounds=1)
    index = min(range(len(timings)), key=lambda i: sum(timings[i].values()))
    best, cpu = timings[index], cpus[index]
    total = sum(best.values())
    RESULTS["round"] = total
    RESULTS["round cpu"] = sum(cpu.values())
    RESULTS["load"] = os.getloadavg()[0]
    for step, seconds in best.items():
        RESULTS[f"step {step}"] = seconds
        RESULTS[f"cpu {step}"] = cpu[step]
    benchmark.extra_info.update({"steps": best, "total": total, "cpu": cpu})


def test_baseline_pandas_csv_round_trip(county: tuple[PolicySet, Path]) -> None:
    _, folder = county

    def round_trip() -> None:
        pd.read_csv(folder / "registry.csv", dtype=str, keep_default_na=False).to_csv(
            folder / "copy.csv", index=False
        )

    RESULTS["baseline read_csv + to_csv"] = best_of(3, round_trip)


def _xlsxwriter(path: Path, tables: list[Table]) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    for table in tables:
        sheet = book.add_worksheet(table.sheet)
        sheet.write_row(0, 0, [c.label for c in table.columns])
        for r, row in enumerate(zip(*(t.to_pylist() for t in table.texts()), strict=True), 1):
            sheet.write_row(r, 0, row)
    book.close()


def test_workbook_writer_against_xlsxwriter(county: tuple[PolicySet, Path]) -> None:
    policy_set, folder = county
    draft = draft_round(
        policy_set, read_registry(folder / "registry.csv", policy_set.schema), AS_OF, []
    )
    lists = build_lists(draft)
    tables = [lists.grants, lists.near_miss]
    RESULTS["xlsx: policymatch writer"] = best_of(
        2,
        lambda: write_workbook(
            folder / "ours.xlsx",
            as_of=AS_OF,
            summary=lists.summary,
            funds=lists.funds,
            sheets=tables,
        ),
    )
    RESULTS["xlsx: XlsxWriter baseline"] = best_of(
        1, lambda: _xlsxwriter(folder / "theirs.xlsx", tables)
    )
    RESULTS["xlsx cells"] = float(sum(t.num_rows * len(t.columns) for t in tables))


def _report() -> None:
    if "round" not in RESULTS:
        return
    total = RESULTS["round"]
    print(
        f"\nfull round, {ROWS:,} rows, shipped policies: {total:.2f} s wall (best of 3), "
        f"{RESULTS['round cpu']:.2f} s CPU (all threads); load average {RESULTS['load']:.1f}"
    )
    cpu = RESULTS["round cpu"]
    print(f"  {'step':<10} {'wall':>8} {'share':>7} {'cpu':>8} {'share':>7}")
    for key, seconds in RESULTS.items():
        if key.startswith("step "):
            step_cpu = RESULTS["cpu " + key[5:]]
            print(
                f"  {key[5:]:<10} {seconds:6.2f} s {seconds / total:7.1%} "
                f"{step_cpu:6.2f} s {step_cpu / cpu:7.1%}"
            )
    base = RESULTS.get("baseline read_csv + to_csv")
    if base:
        print(
            f"baseline pandas read_csv + to_csv: {base:.2f} s; round / baseline = {total / base:.1f}"
        )
    ours, theirs = RESULTS.get("xlsx: policymatch writer"), RESULTS.get("xlsx: XlsxWriter baseline")
    if ours and theirs:
        print(
            f"workbook of {RESULTS['xlsx cells']:,.0f} cells: policymatch {ours:.2f} s, "
            f"XlsxWriter {theirs:.2f} s; XlsxWriter / policymatch = {theirs / ours:.1f}"
        )
