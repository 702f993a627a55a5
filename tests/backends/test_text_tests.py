"""Text tests (``==``, ``in``, ``startswith``): by a mask per distinct value when a column has
few values, by a gather of the codes when it has many; both agree with the reference."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from policymatch.backends.vectorized.columns import INDEXED, Rows, text_column
from tests.backends.conftest import Compile, match

POLICIES = """\
policies:
  - id: MOST
    title: 多数行业
    eligibility: industry startswith "C"
    amount: 1
  - id: FEW
    title: 少数行业
    eligibility: industry in ["C3011", "I6510"]
    amount: 1
  - id: NOT-LOCAL
    title: 外地
    eligibility: region != "361126"
    amount: 1
  - id: NAME
    title: 名称
    eligibility: name startswith "企业1"
    amount: 1
"""

INDUSTRIES = ["C3011", "C3012", "C1310", "C2610", "C3831", "I6510", "M7320", "F5123"]


@pytest.mark.parametrize("rows", [40, INDEXED + 300])
def test_text_tests_agree_with_the_reference(compile_yaml: Compile, rows: int) -> None:
    ps = compile_yaml(POLICIES)
    rng = random.Random(rows)
    records = [
        {
            "name": None if i % 17 == 3 else f"企业{i}",  # a value per row: tested by gather
            "industry": None if i % 11 == 5 else rng.choice(INDUSTRIES),
            "region": None if i % 13 == 7 else rng.choice(["361126", "361102", "360000"]),
        }
        for i in range(rows)
    ]
    got = match(ps, records, "vectorized")
    want = match(ps, records, "reference")
    for part in ("grants", "unknown", "near", "counts"):
        pd.testing.assert_frame_equal(getattr(got, part), getattr(want, part), obj=part)
    assert len(got.grants) > 0
    assert set(got.unknown["policy_id"].astype(str)) == {"MOST", "FEW", "NOT-LOCAL", "NAME"}


@pytest.mark.parametrize("distinct", [3, INDEXED, INDEXED + 1])
def test_where_takes_the_passing_values_and_never_a_null(distinct: int) -> None:
    rng = np.random.default_rng(distinct)
    values = np.array([f"v{i}" for i in rng.integers(0, distinct, 1000)], dtype=object)
    values[values.size - distinct :] = [f"v{i}" for i in range(distinct)]  # every value present
    values[rng.choice(values.size - distinct, 50, replace=False)] = None
    col = text_column(values)
    rows = Rows(values.size)
    for passing in ({"v0"}, {f"v{i}" for i in range(distinct) if i % 3}, set(), {"v0", "v1"}):
        got = col.where([u in passing for u in col.uniques], rows)
        want = np.array([v in passing for v in values])
        np.testing.assert_array_equal(np.unpackbits(got, count=values.size).view(bool), want)
