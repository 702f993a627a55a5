"""The compiled closures (:mod:`policymatch.backends.closures`) against the reference evaluator.

Every outcome the HTTP service reads (status, eligibility, amount, missing fields, failed
top-level conditions) must be the oracle's, on generated policy sets and registries with nulls,
and on the shipped policies.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policymatch import load
from policymatch.backends.closures import compile_policies, outcomes
from policymatch.backends.reference import evaluate_policy
from policymatch.registry.frame import iter_records
from policymatch.registry.generate import generate_frame
from policymatch.rules import PolicySet
from policymatch.testing.policygen import generate_policy_set

ROOT = Path(__file__).parents[2]


def _same(policy_set: PolicySet, rows: int, seed: int, null_rate: float, as_of: dt.date) -> int:
    frame = generate_frame(rows, seed, null_rate=null_rate, schema=policy_set.schema)
    chosen = compile_policies(policy_set.in_force(as_of))
    compared = 0
    for record in iter_records(frame, policy_set.schema):
        for c, got in zip(chosen, outcomes(chosen, record, as_of), strict=True):
            want = evaluate_policy(c.policy, record, as_of)
            assert (got.status, got.eligible, got.amount, got.missing, got.failed_top) == (
                want.status,
                want.eligible,
                want.amount,
                want.missing,
                want.failed_top,
            ), (c.policy.id, record.get("uscc"))
            compared += 1
    return compared


@pytest.fixture(scope="module")
def generated() -> PolicySet:
    return generate_policy_set(60, 3)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), null_rate=st.sampled_from([0.0, 0.05, 0.3]))
def test_generated_policies_agree(generated: PolicySet, seed: int, null_rate: float) -> None:
    assert _same(generated, 40, seed, null_rate, dt.date(2024, 3, 1)) > 0


@pytest.mark.parametrize("as_of", [dt.date(2024, 3, 1), dt.date(2025, 6, 30)])
def test_shipped_policies_agree(as_of: dt.date) -> None:
    assert _same(load(ROOT / "policies"), 200, 11, 0.1, as_of) > 0
