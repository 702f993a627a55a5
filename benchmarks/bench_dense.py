"""The batch core on a dense workload: an enterprise qualifies for some 18 of 200 policies.

    .venv/bin/python -m benchmarks.bench_dense            # 50,000 rows; --rows 500000
    .venv/bin/python -m benchmarks.bench_dense --rows 500000 --no-pandas   # polars and the floor only
    .venv/bin/pytest benchmarks/bench_dense.py -s

What is matched: ``policygen``'s dense profile (``generate_policy_set(200, seed=0, dense=True)``:
4 to 8 top-level conditions, loose thresholds on the generated registries, a third with an
``any:`` group; amounts as in the sparse profile) against ``generate_frame(rows, seed=1)``. At
50,000 rows: about 900,000 grants, 210,000 unknown pairs and 150,000 near misses (one threshold
short, within 20%).

The batch core is timed as a first match of a policy set is (a new backend each time, so its
program is built from the IR in every run); the program build alone and a match that reuses
the program (a second match of the same set) are printed below it.

Baselines in the same run, on the same frame (:mod:`benchmarks.baselines`): pandas masks per
policy with nullable booleans and polars expressions in one lazy query, each checked to find the
same grants and the same near misses as the batch core; and two two-valued baselines with float
amounts that produce grants only (issue 15 item 1): pandas with plain ``bool`` masks, nulls as
false, checked to find the same (row, policy) grants with amounts within 0.01 yuan, and the
hand-written numpy floor, checked on the grant set alone. Best wall time of ``--repeat`` runs
each, conversion of the frame included for every engine, with the best CPU time of the process
(every thread: polars runs several) in parentheses; the ratios are what to read on a shared
machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd

from benchmarks.baselines import NumpyFloor, PandasBoolMasks, PandasMasks, PolarsExpressions
from policymatch.backends.base import BatchResult
from policymatch.backends.vectorized import VectorizedBackend, forget_programs
from policymatch.backends.vectorized.program import compile_program
from policymatch.registry.generate import generate_frame
from policymatch.testing.policygen import generate_policy_set

AS_OF = dt.date(2024, 3, 1)


#: The best CPU time (``time.process_time``, every thread of the process) of each timing, by the
#: name it is printed under: on a shared machine CPU time is steadier than wall time.
CPU: dict[str, float] = {}


def best(fn: Callable[[], Any], repeat: int, name: str) -> tuple[float, Any]:
    """The best wall time of ``repeat`` runs of ``fn`` and its last result (the best CPU time
    goes to :data:`CPU`)."""
    times, cpu, out = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU[name] = min(cpu)
    return min(times), out


def run(rows: int, repeat: int, pandas: bool = True) -> list[str]:
    policy_set = generate_policy_set(200, seed=0, dense=True)
    policies = policy_set.in_force(AS_OF)
    frame = generate_frame(rows, seed=1, schema=policy_set.schema)
    schema = policy_set.schema

    def first() -> BatchResult:
        forget_programs()
        return VectorizedBackend().match(policies, frame, AS_OF, schema)

    core, result = best(first, repeat, "core")
    again, _ = best(
        lambda: VectorizedBackend().match(policies, frame, AS_OF, schema), repeat, "again"
    )
    backend = VectorizedBackend()
    backend.program(policies)
    matched, _ = best(lambda: backend.match(policies, frame, AS_OF, schema), repeat, "kept")
    built, _ = best(lambda: compile_program(policies), max(repeat, 5), "program")
    lines = [
        f"dense 200 policies x {rows:,} rows: {len(result.grants):,} grants "
        f"({len(result.grants) / rows:.1f} per enterprise), {len(result.unknown):,} unknown, "
        f"{len(result.near):,} near misses",
        f"  {'batch core (VectorizedBackend)':<36} {core:8.3f} s  (CPU {CPU['core']:.3f} s)",
        f"    {'of which the program (IR -> nodes)':<34} {built:8.3f} s  (CPU {CPU['program']:.3f} s)",
        f"    {'a new backend, program kept':<34} {again:8.3f} s  (CPU {CPU['again']:.3f} s)",
        f"    {'match with the program kept':<34} {matched:8.3f} s  (CPU {CPU['kept']:.3f} s)",
    ]
    for baseline in (PandasMasks(), PolarsExpressions()) if pandas else (PolarsExpressions(),):
        took, out = best(
            partial(baseline.match, policies, frame, AS_OF, schema), repeat, baseline.name
        )
        assert len(out.grants) == len(result.grants), baseline.name
        assert len(out.near) == len(result.near), baseline.name
        lines.append(timing(baseline.name, took, core))
    # Two-valued, float amounts: the pandas masks to the cent within 0.01 yuan (float rounding
    # can land one fen off at a half), the floor on the grant set alone (it does the least work).
    two_valued: list[tuple[PandasBoolMasks | NumpyFloor, bool]] = [
        *([(PandasBoolMasks(), True)] if pandas else []),
        (NumpyFloor(), False),
    ]
    for two, cents in two_valued:
        took, grants = best(partial(two.match, policies, frame, AS_OF, schema), repeat, two.name)
        same_grants(result.grants, grants, two.name, cents)
        lines.append(timing(two.name, took, core))
    return lines


def timing(name: str, took: float, core: float) -> str:
    ratio = (
        f"batch core {took / core:.1f}x faster"
        if took >= core
        else f"batch core {took / core:.2f}x"
    )
    return f"  {name:<36} {took:8.3f} s  {ratio}  (CPU {CPU[name]:.3f} s)"


def same_grants(core: pd.DataFrame, other: pd.DataFrame, name: str, cents: bool) -> None:
    """The same (row, policy_id) pairs as the batch core, and with ``cents`` the same amounts
    within 0.01 yuan."""
    ours = core.assign(policy_id=core["policy_id"].astype(str))
    theirs = other.assign(policy_id=other["policy_id"].astype(str))
    both = ours.merge(theirs, on=["row", "policy_id"], how="outer", indicator=True)
    assert (both["_merge"] == "both").all(), f"{name}: grants differ from the batch core's"
    if cents:
        off = (both["amount_fen"] / 100 - both["amount"]).abs().max()
        assert off <= 0.01 + 1e-9, f"{name}: amounts off by up to {off} yuan"


def test_dense_50k() -> None:
    for line in run(50_000, repeat=3):
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-pandas",
        action="store_true",
        help="skip the two pandas baselines (minutes at 500,000)",
    )
    args = parser.parse_args()
    for line in run(args.rows, args.repeat, pandas=not args.no_pandas):
        print(line)
