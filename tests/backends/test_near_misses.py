"""Near misses that mean something, on every batch backend: one threshold short, within the
margin, with the value and the distance (docs/rounds.md, backends/nearmiss.py).

Expected rows are written out by hand: money in fen, dates in days since 1970-01-01.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from policymatch.backends.base import BatchResult
from policymatch.backends.nearmiss import with_margin
from policymatch.engine import Engine, get_backend
from policymatch.errors import PolicyError
from policymatch.values import Value
from tests.backends.conftest import AS_OF, Compile, frame_of, match

D = Decimal

POLICIES = """\
policies:
  - id: TAX
    title: 纳税奖励
    eligibility:
      all:
        - label: 本地企业
          when: region == "361126"
        - label: 上年纳税额不低于500万元
          when: tax_paid >= 500万
    amount: 1000
  - id: SMALL
    title: 小微企业
    eligibility:
      all:
        - region == "361126"
        - label: 从业人数不超过300人
          when: 300 >= employees
    amount: 1000
  - id: YOUNG
    title: 新办企业
    eligibility:
      all:
        - region == "361126"
        - label: 2021年起成立
          when: registered_on >= date("2021-01-01")
    amount: 1000
  - id: WIDE
    title: 宽口径
    near_miss_margin: 50%
    eligibility:
      all:
        - region == "361126"
        - label: 纳税超过100万元
          when: tax_paid > 100万
    amount: 1000
  - id: ZERO
    title: 有纳税
    eligibility:
      all:
        - region == "361126"
        - label: 有纳税
          when: tax_paid > 0
    amount: 1000
  - id: TAGS
    title: 高新
    eligibility:
      all:
        - region == "361126"
        - label: 高新技术企业
          when: '"高新技术企业" in tags'
    amount: 1000
"""

HERE, AWAY = "361126", "360000"


def row(region: str, tax: str | None, employees: int, registered: dt.date) -> dict[str, Value]:
    return {
        "region": region,
        "tax_paid": None if tax is None else D(tax),
        "employees": employees,
        "registered_on": registered,
    }


ROWS = [
    row(HERE, "4620000", 320, dt.date(2020, 11, 15)),  # 0: near on TAX, SMALL, YOUNG
    row(HERE, "3999999.99", 361, dt.date(2020, 10, 19)),  # 1: each just beyond 20%
    row(HERE, "4000000", 360, dt.date(2020, 10, 20)),  # 2: each exactly at 20%
    row(AWAY, "4620000", 320, dt.date(2020, 11, 15)),  # 3: fails two conditions: not near
    row(HERE, None, 10, dt.date(2022, 1, 1)),  # 4: tax unknown: not near
    row(HERE, "600000", 10, dt.date(2022, 1, 1)),  # 5: 40% short of WIDE's 100万 (margin 50%)
    row(HERE, "0", 10, dt.date(2022, 1, 1)),  # 6: a threshold of 0 is never near
]

DAY = dt.date(1970, 1, 1)


def days(d: dt.date) -> int:
    return (d - DAY).days


EXPECTED = [
    (0, "SMALL", "从业人数不超过300人", "employees", 320, 20, 20 / 300),
    (2, "SMALL", "从业人数不超过300人", "employees", 360, 60, 60 / 300),
    (0, "TAX", "上年纳税额不低于500万元", "tax_paid", 462_000_000, 38_000_000, 0.076),
    (2, "TAX", "上年纳税额不低于500万元", "tax_paid", 400_000_000, 100_000_000, 0.2),
    (5, "WIDE", "纳税超过100万元", "tax_paid", 60_000_000, 40_000_000, 0.4),
    (0, "YOUNG", "2021年起成立", "registered_on", days(dt.date(2020, 11, 15)), 47, 47 / 365),
    (2, "YOUNG", "2021年起成立", "registered_on", days(dt.date(2020, 10, 20)), 73, 73 / 365),
]


def near_rows(got: BatchResult) -> list[tuple[object, ...]]:
    text = {"policy_id": str, "condition": str, "field": str}
    return [tuple(r) for r in got.near.astype(text).itertuples(index=False)]


def test_a_near_miss_is_one_threshold_short_within_the_margin(
    compile_yaml: Compile, backend_name: str
) -> None:
    ps = compile_yaml(POLICIES)
    got = match(ps, ROWS, backend_name)
    # Not near: row 1 (each just beyond 20%), 3 (two conditions fail), 4 (unknown), 6 on WIDE
    # (0 is 100% short of its 50%) and on ZERO (a limit of 0 has no size), TAGS (no threshold).
    assert near_rows(got) == EXPECTED


def test_the_run_margin_applies_where_a_policy_sets_none(
    compile_yaml: Compile, backend_name: str
) -> None:
    ps = compile_yaml(POLICIES)
    policies = with_margin(ps.in_force(AS_OF), D("1"))
    got = get_backend(backend_name).match(policies, frame_of(ROWS, ps), AS_OF, ps.schema)
    found = {(r[0], r[1]) for r in near_rows(got)}
    # 100%: row 1 is now near on TAX, SMALL and YOUNG; WIDE keeps its own 50%.
    assert {(1, "TAX"), (1, "SMALL"), (1, "YOUNG")} <= found
    assert (6, "WIDE") not in found
    assert not any(pid in ("ZERO", "TAGS") for _, pid in found)


@pytest.mark.parametrize("margin", ["150%", "-5%", "很近"])
def test_a_margin_must_be_a_share(compile_yaml: Compile, margin: str) -> None:
    text = POLICIES.replace("near_miss_margin: 50%", f"near_miss_margin: {margin}")
    with pytest.raises(PolicyError) as err:
        compile_yaml(text)
    assert "near_miss_margin" in str(err.value) or "margin" in str(err.value)


def test_explain_says_how_close_a_near_miss_came(compile_yaml: Compile) -> None:
    ps = compile_yaml(POLICIES)
    text = Engine(ps).explain(ROWS[0], "TAX", AS_OF).render()
    assert "仅差这一项：上年纳税额 4,620,000.00 元，差 380,000.00 元（7.6%）" in text
