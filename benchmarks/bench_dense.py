"""The batch core on a dense workload: an enterprise qualifies for some 18 of 200 policies.

    .venv/bin/python -m benchmarks.bench_dense            # 50,000 rows; --rows 500000
    .venv/bin/pytest benchmarks/bench_dense.py -s

What is matched: ``policygen``'s dense profile (``generate_policy_set(200, seed=0, dense=True)``:
4 to 8 top-level conditions, loose thresholds on the generated registries, a third with an
``any:`` group; amounts as in the sparse profile) against ``generate_frame(rows, seed=1)``. At
50,000 rows: about 900,000 grants, 210,000 unknown pairs and 150,000 near misses (one threshold
short, within 20%).

Baselines in the same run, on the same frame, each checked to find the same grants and the same
near misses as the batch core (:mod:`benchmarks.baselines`): pandas masks per policy and polars
expressions in one lazy query. Best wall time of ``--repeat`` runs each; the ratios are what to
read on a shared machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from benchmarks.baselines import PandasMasks, PolarsExpressions
from policymatch.backends.vectorized import VectorizedBackend
from policymatch.registry.generate import generate_frame
from policymatch.testing.policygen import generate_policy_set

AS_OF = dt.date(2024, 3, 1)


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def run(rows: int, repeat: int) -> list[str]:
    policy_set = generate_policy_set(200, seed=0, dense=True)
    policies = policy_set.in_force(AS_OF)
    frame = generate_frame(rows, seed=1, schema=policy_set.schema)
    schema = policy_set.schema
    core, result = best(lambda: VectorizedBackend().match(policies, frame, AS_OF, schema), repeat)
    lines = [
        f"dense 200 policies x {rows:,} rows: {len(result.grants):,} grants "
        f"({len(result.grants) / rows:.1f} per enterprise), {len(result.unknown):,} unknown, "
        f"{len(result.near):,} near misses",
        f"  {'batch core (VectorizedBackend)':<36} {core:8.3f} s",
    ]
    for baseline in (PandasMasks(), PolarsExpressions()):
        took, out = best(lambda b=baseline: b.match(policies, frame, AS_OF, schema), repeat)
        assert len(out.grants) == len(result.grants), baseline.name
        assert len(out.near) == len(result.near), baseline.name
        lines.append(f"  {baseline.name:<36} {took:8.3f} s  batch core {took / core:.1f}x faster")
    return lines


def test_dense_50k() -> None:
    for line in run(50_000, repeat=3):
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for line in run(args.rows, args.repeat):
        print(line)
