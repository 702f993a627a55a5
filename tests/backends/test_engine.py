"""The engine API: default backend, effective periods, registry files, explanations, errors.

Explanations are compared with golden files (``tests/backends/golden/``): they are what a policy
author reads. Run with ``UPDATE_GOLDEN=1`` to rewrite them after an intended change, and review
the diff like any other change to user-facing text.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from policymatch.backends.vectorized import VectorizedBackend
from policymatch.engine import Engine
from policymatch.errors import UsageError
from policymatch.registry.writers import write_parquet
from policymatch.rules import PolicySet
from policymatch.values import Value
from tests.backends.conftest import AS_OF, Compile, frame_of
from tests.golden import assert_golden

D = Decimal
GOLDEN = Path(__file__).parent / "golden"

POLICIES = """\
define:
  本地企业: region == "361126" and not credit_blacklisted
policies:
  - id: KJ-RD
    title: 研发投入奖励
    effective: {from: 2023-01-01, to: 2025-12-31}
    eligibility:
      all:
        - 本地企业
        - label: 研发投入达标
          when:
            all:
              - rd_expense >= 100万
              - rd_expense >= revenue * 3%
        - any:
            - '"高新技术企业" in tags'
            - label: 成立不满5年
              when: age_years < 5
    amount: rd_expense * 5%
    cap: 50万
  - id: SW-TAX
    title: 纳税贡献奖励
    effective: {from: 2023-01-01, to: 2025-12-31}
    eligibility: 本地企业
    amount:
      tiers:
        - when: tax_paid >= 5000万
          value: 50万
        - when: tax_paid >= 1000万
          value: 20万
  - id: OLD
    title: 已过期政策
    effective: {from: 2020-01-01, to: 2022-12-31}
    eligibility: 本地企业
    amount: 1万
"""

BASE: dict[str, Value] = {
    "name": "弋阳县红星科技有限公司",
    "region": "361126",
    "credit_blacklisted": False,
    "revenue": D("20000000"),
    "rd_expense": D("1234567.89"),
    "tax_paid": D("12000000"),
    "registered_on": dt.date(2021, 3, 1),
    "tags": frozenset({"高新技术企业"}),
}

RECORDS: dict[str, dict[str, Value]] = {
    "eligible": {},
    "capped": {"rd_expense": D("20000000"), "revenue": D("100000000")},
    "near-miss": {"rd_expense": D("500000")},
    "unknown": {"credit_blacklisted": None, "tags": frozenset(), "registered_on": None},
    "tier-unknown": {"tax_paid": None},
    "elsewhere": {"region": "361102", "rd_expense": D("90000")},
}


@pytest.fixture
def policy_set(compile_yaml: Compile) -> PolicySet:
    return compile_yaml(POLICIES)


@pytest.fixture
def frame(policy_set: PolicySet) -> pd.DataFrame:
    return frame_of([{**BASE, **changes} for changes in RECORDS.values()], policy_set)


def test_vectorized_is_the_default_and_only_policies_in_force_are_matched(
    policy_set: PolicySet, frame: pd.DataFrame
) -> None:
    engine = Engine(policy_set)
    assert isinstance(engine.backend, VectorizedBackend)
    result = engine.match(frame, AS_OF)
    assert list(result.counts["policy_id"]) == ["KJ-RD", "SW-TAX"]
    assert list(engine.match(frame, dt.date(2022, 6, 1)).counts["policy_id"]) == ["OLD"]
    assert engine.match(frame, dt.date(2026, 1, 1)).counts.empty
    grants = result.grants
    assert list(grants.columns) == [
        "uscc",
        "name",
        "row",
        "policy_id",
        "amount_fen",
        "tier",
        "amount",
    ]
    kj = grants.loc[grants["policy_id"] == "KJ-RD", "amount"].tolist()
    assert kj == [D("61728.39"), D("500000"), D("61728.39")]  # 5% of 1234567.89; the cap


def test_a_registry_file_can_be_matched_directly(
    policy_set: PolicySet, frame: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "registry.parquet"
    write_parquet(frame, path, policy_set.schema)
    engine = Engine(policy_set)
    from_file = engine.match(path, AS_OF)
    in_memory = engine.match(frame, AS_OF)
    for name in ("grants", "unknown", "near", "counts"):
        pd.testing.assert_frame_equal(
            getattr(from_file.batch, name), getattr(in_memory.batch, name)
        )


@pytest.mark.parametrize("case", sorted(RECORDS))
@pytest.mark.parametrize("policy_id", ["KJ-RD", "SW-TAX"])
def test_explanations_match_golden_files(
    policy_set: PolicySet, frame: pd.DataFrame, case: str, policy_id: str
) -> None:
    result = Engine(policy_set).match(frame, AS_OF)
    uscc = str(frame["uscc"].iloc[list(RECORDS).index(case)])
    text = result.explain(uscc, policy_id).render()
    assert_golden(GOLDEN / f"explain-{policy_id}-{case}.txt", text)


def test_explanation_agrees_with_the_batch_result(
    policy_set: PolicySet, frame: pd.DataFrame
) -> None:
    result = Engine(policy_set).match(frame, AS_OF)
    for row, uscc in enumerate(frame["uscc"]):
        for policy_id in ("KJ-RD", "SW-TAX"):
            e = result.explain(uscc, policy_id)
            grants = result.batch.grants
            granted = grants[(grants["row"] == row) & (grants["policy_id"] == policy_id)]
            unknown = result.batch.unknown
            missing = unknown[(unknown["row"] == row) & (unknown["policy_id"] == policy_id)]
            assert (e.status == "eligible") == (len(granted) == 1)
            assert (e.status == "unknown") == (len(missing) == 1)
            if len(granted):
                assert e.amount == D(int(granted["amount_fen"].iloc[0])) / 100
            if len(missing):
                assert ",".join(e.missing) == missing["fields"].iloc[0]


def test_engine_explains_a_record_or_a_code(policy_set: PolicySet, frame: pd.DataFrame) -> None:
    engine = Engine(policy_set)
    by_record = engine.explain(BASE, "KJ-RD", AS_OF)
    by_code = engine.explain(str(frame["uscc"].iloc[0]), "KJ-RD", AS_OF, registry=frame)
    assert by_record.status == by_code.status == "eligible"
    assert by_record.amount == D("61728.39")
    old = engine.explain(BASE, "OLD", AS_OF)
    assert "不在政策有效期" in old.render()


def test_lookup_errors_say_what_is_missing(policy_set: PolicySet, frame: pd.DataFrame) -> None:
    engine = Engine(policy_set)
    result = engine.match(frame, AS_OF)
    with pytest.raises(UsageError, match="no enterprise with USCC '9136'"):
        result.explain("9136", "KJ-RD")
    with pytest.raises(UsageError, match="did you mean 'KJ-RD'"):
        result.explain(str(frame["uscc"].iloc[0]), "KJ-RX")
    with pytest.raises(UsageError, match="pass the registry"):
        engine.explain("9136", "KJ-RD", AS_OF)
    chunked = engine.match_chunks([frame], AS_OF)
    with pytest.raises(UsageError, match="keeps only the columns uscc, name"):
        chunked.explain(str(frame["uscc"].iloc[0]), "KJ-RD")


def test_fields_name_the_columns_a_chunk_reader_needs(
    policy_set: PolicySet, frame: pd.DataFrame
) -> None:
    engine = Engine(policy_set)
    fields = engine.fields(AS_OF)
    assert fields == [
        "uscc",
        "name",
        "region",
        "registered_on",  # for age_years
        "revenue",
        "tax_paid",
        "rd_expense",
        "tags",
        "credit_blacklisted",
    ]
    whole = engine.match(frame, AS_OF)
    pruned = engine.match_chunks([frame[fields]], AS_OF)
    for name in ("grants", "unknown", "near", "counts"):
        pd.testing.assert_frame_equal(getattr(pruned.batch, name), getattr(whole.batch, name))
