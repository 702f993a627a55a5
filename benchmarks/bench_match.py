"""The batch core: enterprises × 200 policies, against baselines timed in the same run.

    .venv/bin/pytest benchmarks/bench_match.py -s --benchmark-columns=min,median,mean,rounds

What is timed: ``VectorizedBackend.match`` (three-valued logic, exact amounts in fen, the
missing fields of every unknown pair, the near misses with their failed condition, counts;
once more without the near misses, ``VectorizedBackend(near_misses=False)``)
of the generated 200-policy set (:mod:`policymatch.testing.policygen`, seed 0) against
generated registries (:mod:`policymatch.registry.generate`, seed 1: 2% nulls, skewed sizes and
revenues, Chinese names and tags, 90% of rows in 361126), on 2024-03-01; the result frames are
built. Compiling the policy set and generating the registry are not timed.

Baselines, same run, same inputs (see :mod:`benchmarks.baselines`): the reference evaluator on
a 100-row sample (its time is scaled to the registry), pandas boolean masks per policy, and
polars expressions. Curves: rows from 12,500 to 400,000 at 200 policies, policies from 25 to
800 at 50,000 rows. The ratios are printed at the end of the session (``-s``) and written to
``.benchmarks/batch-core.json``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import pandas as pd
import pytest

from benchmarks.baselines import PandasMasks, PolarsExpressions
from benchmarks.summary import record
from policymatch.backends.reference import ReferenceBackend
from policymatch.backends.vectorized import VectorizedBackend
from policymatch.registry.generate import generate_frame
from policymatch.rules import PolicySet
from policymatch.testing.policygen import generate_policy_set

AS_OF = dt.date(2024, 3, 1)
SEED = 1
SAMPLE = 100


@cache
def policies(n: int = 200) -> PolicySet:
    return generate_policy_set(n, seed=0)


@cache
def registry(rows: int) -> pd.DataFrame:
    return generate_frame(rows, SEED, schema=policies().schema)


def timed(benchmark: Any, key: str, fn: Callable[[], Any], rounds: int, scale: float = 1.0) -> Any:
    """Run ``fn`` under pytest-benchmark and keep its best wall and CPU time under ``key``."""
    cpu: list[float] = []

    def run() -> Any:
        start = time.process_time()
        out = fn()
        cpu.append(time.process_time() - start)
        return out

    out = benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=1 if rounds > 2 else 0)
    if benchmark.stats is not None:  # None under --benchmark-disable: each ran once, untimed
        record(key, benchmark.stats.stats.min * scale, min(cpu) * scale)
    return out


def vectorized(
    rows: int, n_policies: int = 200, workers: int | None = None, near_misses: bool = True
) -> Callable[[], Any]:
    ps = policies(n_policies)
    frame = registry(rows)
    backend = VectorizedBackend(workers, near_misses=near_misses)
    in_force = ps.in_force(AS_OF)
    backend.program(in_force)  # compiled once per policy set, as a run does
    return lambda: backend.match(in_force, frame, AS_OF, ps.schema)


@pytest.mark.benchmark(group="50,000 x 200")
def test_vectorized_50k(benchmark: Any) -> None:
    result = timed(benchmark, "vectorized 50k", vectorized(50_000), rounds=7)
    benchmark.extra_info.update(
        grants=len(result.grants), unknown=len(result.unknown), near=len(result.near)
    )


@pytest.mark.benchmark(group="50,000 x 200")
def test_vectorized_50k_one_thread(benchmark: Any) -> None:
    timed(benchmark, "vectorized 50k, 1 thread", vectorized(50_000, workers=1), rounds=7)


@pytest.mark.benchmark(group="50,000 x 200")
def test_vectorized_50k_without_near_misses(benchmark: Any) -> None:
    """The match a payment needs: everything but the near misses (the outreach list)."""
    timed(
        benchmark,
        "vectorized 50k, without near misses",
        vectorized(50_000, near_misses=False),
        rounds=7,
    )


@pytest.mark.benchmark(group="50,000 x 200")
def test_pandas_masks_50k(benchmark: Any) -> None:
    ps = policies()
    frame = registry(50_000)
    out = timed(
        benchmark,
        "pandas masks 50k",
        lambda: PandasMasks().match(ps.in_force(AS_OF), frame, AS_OF, ps.schema),
        rounds=2,
    )
    check_same_work(out, "pandas")


@pytest.mark.benchmark(group="50,000 x 200")
def test_polars_50k(benchmark: Any) -> None:
    ps = policies()
    frame = registry(50_000)
    out = timed(
        benchmark,
        "polars 50k",
        lambda: PolarsExpressions().match(ps.in_force(AS_OF), frame, AS_OF, ps.schema),
        rounds=3,
    )
    check_same_work(out, "polars")


@pytest.mark.benchmark(group="50,000 x 200")
def test_reference_sample_50k(benchmark: Any) -> None:
    """The reference evaluator on the first 100 rows, its time scaled to 50,000 rows."""
    ps = policies()
    sample = registry(50_000).iloc[:SAMPLE].reset_index(drop=True)
    timed(
        benchmark,
        "reference 50k (scaled from 100 rows)",
        lambda: ReferenceBackend().match(ps.in_force(AS_OF), sample, AS_OF, ps.schema),
        rounds=1,
        scale=50_000 / SAMPLE,
    )


def check_same_work(baseline: Any, name: str) -> None:
    """A baseline found the same grants and near misses as the batch core (so it did the work)."""
    ps = policies()
    result = VectorizedBackend().match(ps.in_force(AS_OF), registry(50_000), AS_OF, ps.schema)
    assert len(baseline.grants) == len(result.grants), name
    assert len(baseline.near) == len(result.near), name


@pytest.mark.benchmark(group="500,000 x 200")
def test_vectorized_500k(benchmark: Any) -> None:
    result = timed(benchmark, "vectorized 500k", vectorized(500_000), rounds=3)
    benchmark.extra_info.update(
        grants=len(result.grants), unknown=len(result.unknown), near=len(result.near)
    )


@pytest.mark.benchmark(group="500,000 x 200")
def test_vectorized_500k_one_thread(benchmark: Any) -> None:
    timed(benchmark, "vectorized 500k, 1 thread", vectorized(500_000, workers=1), rounds=3)


@pytest.mark.benchmark(group="rows (200 policies)")
@pytest.mark.parametrize("rows", [12_500, 25_000, 50_000, 100_000, 200_000, 400_000])
def test_rows_curve(benchmark: Any, rows: int) -> None:
    timed(benchmark, f"rows {rows}", vectorized(rows), rounds=3)


@pytest.mark.benchmark(group="policies (50,000 rows)")
@pytest.mark.parametrize("n", [25, 50, 100, 200, 400, 800])
def test_policies_curve(benchmark: Any, n: int) -> None:
    timed(benchmark, f"policies {n}", vectorized(50_000, n), rounds=3)
