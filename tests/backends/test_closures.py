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
        for c, got in zip(chosen.policies, outcomes(chosen, record, as_of), strict=True):
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


SHAPES = """\
version: 1
defaults: {issuer: 县科技局, fund: f, effective: {from: 2023-01-01}}
funds:
  - {id: f, title: 测试资金}
policies:
  - id: ONE
    title: 一个条件
    mode: 免申即享
    frequency: once
    eligibility: {all: [{label: 本地, when: region == "361126"}]}
    amount: 1万
  - id: BARE
    title: 不是 all 的根
    mode: 免申即享
    frequency: once
    eligibility: {any: ['"高新技术企业" in tags', "employees >= 50"]}
    amount: employees * 100
  - id: TIERS
    title: 分档
    mode: 免申即享
    frequency: once
    eligibility:
      all:
        - {label: 有营收, when: revenue > 0}
        - {label: 非大型, when: size != "大型"}
    amount:
      tiers:
        - {when: tax_paid >= 100万, value: 5万}
        - {when: tax_paid >= 10万, value: tax_paid / revenue * 1万}
"""


def test_one_condition_roots_and_tiers_agree(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(SHAPES, encoding="utf-8")
    policy_set = load(tmp_path)
    assert _same(policy_set, 300, 5, 0.2, dt.date(2024, 3, 1)) == 900
