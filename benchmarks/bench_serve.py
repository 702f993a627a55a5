"""The 政策计算器's core in process: one enterprise against the 200-policy generated set.

    .venv/bin/pytest benchmarks/bench_serve.py --benchmark-columns=min,median,mean,rounds

Both benchmarks answer the same 300 generated enterprises (seed 1, 2% nulls) as of 2024-03-01,
one enterprise per round, against :func:`policymatch.testing.policygen.generate_policy_set`
(200 policies, seed 0):

* ``closures``: :func:`policymatch.serve.answers.answer`, what ``POST /v1/match`` runs (the
  closures of :mod:`policymatch.backends.closures`, the answer's dicts built);
* ``closures_json``: the same, written as the JSON body the service sends (orjson);
* ``reference``: the baseline, :func:`~policymatch.backends.reference.evaluate_policy` for each
  policy (what the service would do without the closures).

Target (issue 16): ≤ 2 ms an enterprise. CPU time (``time.thread_time``) per enterprise is
recorded in ``extra_info`` too: on a busy machine the steadier figure.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from policymatch.backends.reference import evaluate_policy
from policymatch.registry.frame import iter_records
from policymatch.registry.generate import generate_frame
from policymatch.rules import PolicySet
from policymatch.serve.answers import answer, prepared
from policymatch.testing.policygen import generate_policy_set
from policymatch.values import Value

AS_OF = dt.date(2024, 3, 1)
Row = dict[str, Value]


@pytest.fixture(scope="module")
def scenario() -> tuple[PolicySet, list[Row]]:
    policy_set = generate_policy_set(200, 0)
    frame = generate_frame(300, 1, schema=policy_set.schema)
    return policy_set, list(iter_records(frame, policy_set.schema))


def _run(benchmark: Any, one: Callable[[Row], object], rows: list[Row]) -> None:
    cycle = itertools.cycle(rows)
    cpu: list[float] = []

    def step() -> None:
        start = time.thread_time()
        one(next(cycle))
        cpu.append(time.thread_time() - start)

    benchmark.pedantic(step, rounds=len(rows), iterations=1, warmup_rounds=20)
    cpu.sort()
    benchmark.extra_info["cpu_median_ms"] = round(cpu[len(cpu) // 2] * 1000, 3)
    benchmark.extra_info["cpu_p99_ms"] = round(cpu[int(len(cpu) * 0.99)] * 1000, 3)
    print(benchmark.extra_info)


@pytest.mark.benchmark(group="one enterprise x 200 policies")
def test_closures(benchmark: Any, scenario: tuple[PolicySet, list[Row]]) -> None:
    policy_set, rows = scenario
    prepared(policy_set, AS_OF)  # compiled once per policy set and date, as in the service
    _run(benchmark, lambda row: answer(policy_set, row, AS_OF), rows)


@pytest.mark.benchmark(group="one enterprise x 200 policies")
def test_closures_json(benchmark: Any, scenario: tuple[PolicySet, list[Row]]) -> None:
    policy_set, rows = scenario
    prepared(policy_set, AS_OF)
    _run(benchmark, lambda row: orjson.dumps(answer(policy_set, row, AS_OF)), rows)


@pytest.mark.benchmark(group="one enterprise x 200 policies")
def test_reference(benchmark: Any, scenario: tuple[PolicySet, list[Row]]) -> None:
    policy_set, rows = scenario
    policies = policy_set.in_force(AS_OF)
    _run(benchmark, lambda row: [evaluate_policy(p, row, AS_OF) for p in policies], rows[:100])
