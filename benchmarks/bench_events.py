"""Events: the watcher's updates per second and per-update latency, against the batch core.

    .venv/bin/pytest benchmarks/bench_events.py --benchmark-columns=median,mean,ops,rounds

The 200-policy generated set (:func:`policymatch.testing.policygen.generate_policy_set`) and a
generated registry of 5,000 enterprises (:func:`policymatch.registry.generate.generate_frame`)
loaded into the watcher first (``Watcher.load``; its time per row is reported too); then one seeded stream of 2,000 registry changes of the kinds the
registry learns every day: a qualification granted, last year's tax figures in, a credit record
cleared, a head count corrected, a new enterprise registered. Each benchmark applies the same
changes, one per round:

* ``watcher``: :meth:`Watcher.update` of the changed row (durable selects, the reference
  evaluator confirms);
* ``batch core, one row``: the baseline, :class:`~policymatch.engine.Engine` (the default, batch
  backend) matched on a one-row frame of the changed row, as a county would re-run the batch on
  whatever changed. It is slow, so it takes the first 200 changes of the stream.

pytest-benchmark prints both in one group, each with its ratio to the faster. Each also records
its median and 99th-percentile latency, wall and CPU (``time.thread_time``: on a busy machine
the steadier figure), and changes per second, in ``extra_info`` (and prints them).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from policymatch.backends.durable import Watcher
from policymatch.engine import Engine
from policymatch.registry.frame import frame_from_records, iter_records
from policymatch.registry.generate import generate_frame
from policymatch.rules import PolicySet
from policymatch.testing.policygen import generate_policy_set
from policymatch.values import Value

AS_OF = dt.date(2024, 3, 1)
ENTERPRISES = 5_000
CHANGES = 2_000
BASELINE_CHANGES = 200
TAGS = ("高新技术企业", "科技型中小企业", "专精特新", "规上企业", "外贸企业", "瞪羚企业")

Row = dict[str, Value]


def _stream(rows: list[Row], newcomers: list[Row], seed: int) -> list[Row]:
    """Seeded registry changes, each the whole new row of one enterprise."""
    rng = np.random.default_rng(seed)
    current = {str(r["uscc"]): r for r in rows}
    codes = list(current)
    fresh = iter(newcomers)
    out: list[Row] = []
    for _ in range(CHANGES):
        kind = rng.random()
        if kind < 0.1:
            row = next(fresh)
            codes.append(str(row["uscc"]))
        else:
            old = current[codes[int(rng.integers(len(codes)))]]
            if kind < 0.35:
                tags = old["tags"]
                assert isinstance(tags, frozenset)
                row = {**old, "tags": tags | {TAGS[int(rng.integers(len(TAGS)))]}}
            elif kind < 0.75:
                scale = Decimal(int(rng.integers(50, 200))) / 100
                row = {
                    **old,
                    **{
                        k: (old[k] * scale).quantize(Decimal("0.01"))  # type: ignore[operator]
                        for k in ("tax_paid", "revenue", "rd_expense")
                        if old[k] is not None
                    },
                }
            elif kind < 0.85:
                row = {**old, "credit_blacklisted": False}
            else:
                row = {**old, "employees": int(rng.integers(1, 500))}
        current[str(row["uscc"])] = row
        out.append(row)
    return out


@pytest.fixture(scope="module")
def scenario() -> tuple[PolicySet, list[Row], list[Row]]:
    policy_set = generate_policy_set(200, seed=0)
    rows = list(iter_records(generate_frame(ENTERPRISES, seed=1), policy_set.schema))
    newcomers = list(iter_records(generate_frame(CHANGES, seed=2), policy_set.schema))
    return policy_set, rows, _stream(rows, newcomers, seed=3)


def _latency(samples: list[tuple[float, float]]) -> dict[str, float]:
    """Wall and CPU time per change: on a busy machine the CPU time is the steadier figure."""
    wall, cpu = ([s[i] for s in samples] for i in (0, 1))

    def ms(x: float) -> float:
        return round(x * 1000, 3)

    return {
        "median_ms": ms(statistics.median(wall)),
        "p99_ms": ms(float(np.percentile(wall, 99))),
        "updates_per_s": round(len(wall) / sum(wall), 1),
        "cpu_median_ms": ms(statistics.median(cpu)),
        "cpu_p99_ms": ms(float(np.percentile(cpu, 99))),
    }


def _timed(work: Any, samples: list[tuple[float, float]]) -> None:
    wall, cpu = time.perf_counter(), time.thread_time()
    work()
    samples.append((time.perf_counter() - wall, time.thread_time() - cpu))


def _rounds(changes: list[Row]) -> Iterator[Row]:
    yield from changes


@pytest.mark.benchmark(group="events: one registry change")
def test_watcher(benchmark: Any, scenario: tuple[PolicySet, list[Row], list[Row]]) -> None:
    policy_set, rows, changes = scenario
    samples: list[tuple[float, float]] = []
    with Watcher(policy_set, AS_OF) as watcher:
        start = time.perf_counter()
        watcher.load(rows)
        load_ms = (time.perf_counter() - start) * 1000 / len(rows)
        pending = _rounds(changes)

        def one() -> None:
            row = next(pending)
            _timed(lambda: watcher.update(row), samples)

        benchmark.pedantic(one, rounds=len(changes), iterations=1)
        benchmark.extra_info.update(
            _latency(samples), shards=watcher._session.shards, load_ms_per_row=round(load_ms, 3)
        )
    print("\nwatcher:", benchmark.extra_info)


@pytest.mark.benchmark(group="events: one registry change")
def test_batch_core_one_row(
    benchmark: Any, scenario: tuple[PolicySet, list[Row], list[Row]]
) -> None:
    policy_set, _, changes = scenario
    engine = Engine(policy_set)
    samples: list[tuple[float, float]] = []
    pending = _rounds(changes[:BASELINE_CHANGES])

    def one() -> None:
        row = next(pending)
        _timed(lambda: engine.match(frame_from_records([row], policy_set.schema), AS_OF), samples)

    benchmark.pedantic(one, rounds=BASELINE_CHANGES, iterations=1)
    benchmark.extra_info.update(_latency(samples), backend=engine.backend.name)
    print("\nbatch core, one row:", benchmark.extra_info)
