"""``VectorizedBackend(near_misses=False)``: the same match, without the outreach list."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings

from policymatch.backends.base import DTYPES, BatchResult
from policymatch.backends.vectorized import VectorizedBackend, to_batch
from policymatch.registry.generate import generate_frame
from policymatch.testing.policygen import generate_policy_set
from tests.backends.conftest import outcome
from tests.strategies import Case, cases


def run(case: Case, threads: int, near_misses: bool = True) -> BatchResult:
    backend = VectorizedBackend(near_misses=near_misses)
    return to_batch(
        backend.match_raw(case.policies, case.frame, case.as_of, case.schema, threads=threads)
    )


def assert_same_but_near(case: Case, threads: int = 1) -> None:
    full = outcome(lambda: run(case, threads))
    lean = outcome(lambda: run(case, threads, near_misses=False))
    if isinstance(full, tuple) or isinstance(lean, tuple):
        assert full == lean == ("PM311",)  # an amount beyond the most a grant may be
        return
    for name in ("grants", "unknown", "counts"):
        pd.testing.assert_frame_equal(getattr(lean, name), getattr(full, name), obj=name)
    assert lean.near.empty
    assert list(lean.near.columns) == list(DTYPES["near"])
    assert lean.near.dtypes.astype(str).to_dict() == DTYPES["near"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(max_rows=12))
def test_everything_but_near_misses_is_unchanged(case: Case) -> None:
    assert_same_but_near(case)


def test_generated_set_with_near_misses_in_two_threads() -> None:
    ps = generate_policy_set(40, seed=3)
    as_of = dt.date(2024, 3, 1)
    frame = generate_frame(2_000, 5, schema=ps.schema)
    case = Case(ps.in_force(as_of), frame, as_of, ps.schema)
    assert len(run(case, threads=2).near) > 0
    assert_same_but_near(case, threads=2)
