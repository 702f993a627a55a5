"""The reference evaluator's semantics: three-valued logic, null propagation, exact money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from policymatch.backends.reference import Env, evaluate, evaluate_policy, years_between
from policymatch.rules import compile_policy_set, ir
from policymatch.rules.check import Checker
from policymatch.rules.parser import parse
from policymatch.schema import STANDARD_SCHEMA

AS_OF = dt.date(2024, 3, 1)


def value(text: str, **record: object) -> object:
    expr = Checker(STANDARD_SCHEMA, lambda name: None).check(parse(text))
    return evaluate(expr, Env(record, AS_OF))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b", "and_", "or_"),
    [
        (True, True, True, True),
        (True, False, False, True),
        (True, None, None, True),
        (False, None, False, None),
        (None, None, None, None),
        (False, False, False, False),
    ],
)
def test_kleene_truth_tables(
    a: bool | None, b: bool | None, and_: bool | None, or_: bool | None
) -> None:
    record = {
        "credit_blacklisted": a,
        "above_scale_since": None if b is None else (2023 if b else 2020),
    }
    b_text = "above_scale_since == 2023"
    assert value(f"credit_blacklisted and {b_text}", **record) is and_
    assert value(f"credit_blacklisted or {b_text}", **record) is or_
    assert value(f"{b_text} and credit_blacklisted", **record) is and_
    assert value(f"{b_text} or credit_blacklisted", **record) is or_
    assert value("not credit_blacklisted", **record) is (None if a is None else not a)


def test_null_propagates_through_arithmetic_and_comparison() -> None:
    assert value("revenue * 2", revenue=None) is None
    assert value("revenue * 2 > 0", revenue=None) is None
    assert value("employees in [1, 2]", employees=None) is None
    assert value('industry startswith "C"', industry=None) is None
    assert value("min(revenue, 1)", revenue=None) is None
    assert value('"专精特新" in tags') is False  # tags are never null: absent means the empty set


def test_if_with_unknown_condition_is_null() -> None:
    assert value("1 if credit_blacklisted else 2", credit_blacklisted=None) is None
    assert value("1 if credit_blacklisted else 2", credit_blacklisted=False) == 2


def test_is_null_and_coalesce_see_nulls() -> None:
    assert value("is_null(revenue)", revenue=None) is True
    assert value("is_null(revenue)", revenue=Decimal(0)) is False
    assert value("coalesce(revenue, tax_paid, 7)", revenue=None, tax_paid=None) == 7
    assert value("coalesce(revenue, 7)", revenue=Decimal("1.5")) == Decimal("1.5")


def test_division_by_zero_is_unknown() -> None:
    assert value("rd_expense / revenue", rd_expense=Decimal(1), revenue=Decimal(0)) is None


def test_round_is_half_up() -> None:
    assert value("round(2.5)") == Decimal(3)
    assert value("round(-2.5)") == Decimal(-3)
    assert value("round(0.125, 2)") == Decimal("0.13")


@pytest.mark.parametrize(
    ("start", "end", "years"),
    [
        (dt.date(2022, 3, 16), dt.date(2024, 3, 15), 1),
        (dt.date(2022, 3, 16), dt.date(2024, 3, 16), 2),
        (dt.date(2020, 2, 29), dt.date(2021, 2, 28), 0),
        (dt.date(2020, 2, 29), dt.date(2021, 3, 1), 1),
        (dt.date(2024, 3, 2), dt.date(2024, 3, 1), -1),
    ],
)
def test_years_between_counts_anniversaries(start: dt.date, end: dt.date, years: int) -> None:
    assert years_between(start, end) == years


def test_age_years_is_derived_from_registered_on() -> None:
    assert value("age_years", registered_on=dt.date(2021, 3, 2)) == 2
    assert value("age_years >= 3", registered_on=None) is None


POLICY = """
version: 1
funds: [{id: f, title: 资金池}]
define:
  本地企业: region == "361126" and not credit_blacklisted
policies:
  - id: P
    title: 测试
    fund: f
    cap: 1000.005
    eligibility:
      all:
        - 本地企业
        - label: 有失业保险缴费
          when: ui_paid > 0
    amount:
      tiers:
        - when: size == "大型"
          value: ui_paid * 30%
        - when: size in ["中型", "小型", "微型"]
          value: ui_paid * 60%
"""


@pytest.fixture
def policy(tmp_path: Path) -> ir.Policy:
    (tmp_path / "p.yaml").write_text(POLICY, encoding="utf-8")
    return compile_policy_set(tmp_path).policy("P")


def record(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "region": "361126",
        "credit_blacklisted": False,
        "ui_paid": Decimal("12345.67"),
        "size": "小型",
    }
    return base | kw


def test_amount_is_exact_and_rounded_half_up_once(policy: ir.Policy) -> None:
    out = evaluate_policy(policy, record(ui_paid=Decimal("100.01")), AS_OF)  # type: ignore[arg-type]
    assert out.status == "eligible"
    assert out.amount == Decimal("60.01")  # 60.006 -> 60.01
    out = evaluate_policy(policy, record(ui_paid=Decimal("0.75"), size="大型"), AS_OF)  # type: ignore[arg-type]
    assert out.amount == Decimal("0.23")  # 0.225 exactly half a fen -> up


def test_cap_applies_before_rounding(policy: ir.Policy) -> None:
    out = evaluate_policy(policy, record(ui_paid=Decimal("1000000")), AS_OF)  # type: ignore[arg-type]
    assert out.demand_before_cap == Decimal("600000.00")
    assert out.amount == Decimal("1000.01")  # cap 1000.005 rounded half-up after capping


def test_unknown_eligibility_names_the_missing_fields(policy: ir.Policy) -> None:
    out = evaluate_policy(policy, record(credit_blacklisted=None), AS_OF)  # type: ignore[arg-type]
    assert (out.status, out.missing) == ("unknown", ("credit_blacklisted",))


def test_false_beats_unknown(policy: ir.Policy) -> None:
    out = evaluate_policy(policy, record(credit_blacklisted=None, ui_paid=Decimal(0)), AS_OF)  # type: ignore[arg-type]
    assert out.status == "ineligible"
    assert out.failed_top == ("有失业保险缴费",)


def test_unknown_tier_makes_the_amount_unknown(policy: ir.Policy) -> None:
    out = evaluate_policy(policy, record(size=None), AS_OF)  # type: ignore[arg-type]
    assert (out.status, out.eligible, out.missing) == ("unknown", True, ("size",))


def test_no_matching_tier_is_no_grant(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        POLICY.replace('size in ["中型", "小型", "微型"]', 'size in ["中型", "小型"]'),
        encoding="utf-8",
    )
    p = compile_policy_set(tmp_path).policy("P")
    out = evaluate_policy(p, record(size="微型"), AS_OF)  # type: ignore[arg-type]
    assert (out.status, out.eligible, out.amount) == ("ineligible", True, Decimal(0))


def test_near_misses_are_thresholds_only(policy: ir.Policy) -> None:
    # One condition short, but a status (本地企业) is nothing anyone is "close" to.
    out = evaluate_policy(policy, record(region="361127"), AS_OF)  # type: ignore[arg-type]
    assert out.failed_top == ("本地企业",)
    assert out.near_miss is None
    # ui_paid > 0 is a threshold, but of 0: no size for a margin (tests/backends/test_near_misses).
    out = evaluate_policy(policy, record(ui_paid=Decimal(0)), AS_OF)  # type: ignore[arg-type]
    assert out.failed_top == ("有失业保险缴费",)
    assert out.near_miss is None
    out = evaluate_policy(policy, record(region="361127", ui_paid=Decimal(0)), AS_OF)  # type: ignore[arg-type]
    assert out.near_miss is None


def test_trace_lists_every_labelled_condition_with_its_inputs(policy: ir.Policy) -> None:
    out = evaluate_policy(policy, record(region="361127"), AS_OF, trace=True)  # type: ignore[arg-type]
    assert [(leaf.label, leaf.value) for leaf in out.leaves] == [
        ("本地企业", False),
        ("有失业保险缴费", True),
    ]
    assert dict(out.leaves[0].inputs) == {"credit_blacklisted": False, "region": "361127"}
