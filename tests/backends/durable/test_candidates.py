"""The candidate conditions: sound (never miss an enterprise that could be eligible), and what
durable evaluates is what the compiler meant."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from policymatch.backends.durable.compile import Translator, compile_program
from policymatch.backends.durable.cond import (
    BOTTOM,
    TOP,
    Atom,
    all_of,
    any_of,
    conjunctions,
    paths,
    widen,
)
from policymatch.backends.durable.encode import SENTINEL, TEXT_HIGH, Layout
from policymatch.backends.reference import Env, evaluate
from policymatch.rules import ir
from policymatch.rules.ir import T
from policymatch.schema import STANDARD_SCHEMA
from policymatch.values import Value
from tests.backends.durable.helpers import AS_OF, USCC, compare, const, field, holds, policy
from tests.strategies import as_of_dates, conditions, records


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _reference(expr: ir.Expr, record: dict[str, Value], as_of: dt.date) -> bool | None:
    try:
        value = evaluate(expr, Env(record, as_of))
    except decimal.DecimalException:
        assume(False)  # beyond the reference's context: no answer to compare with
    assert value is None or isinstance(value, bool)
    return value


@_settings(250)
@given(conditions(), st.lists(records(), min_size=1, max_size=6), as_of_dates())
def test_candidate_conditions_never_miss(
    expr: ir.Expr, rows: list[dict[str, Value]], as_of: dt.date
) -> None:
    layout = Layout(as_of, 240)
    translator = Translator(STANDARD_SCHEMA, layout)
    could_be_true = translator.possible(expr, True)
    could_be_false = translator.possible(expr, False)
    for row in rows:
        value = _reference(expr, row, as_of)
        fact = layout.encode(USCC, row)
        if value is not False:
            assert holds(could_be_true, fact), (value, could_be_true, fact)
        if value is not True:
            assert holds(could_be_false, fact), (value, could_be_false, fact)


@_settings(60)
@given(conditions(), st.lists(records(), min_size=1, max_size=6))
def test_widening_keeps_every_candidate(expr: ir.Expr, rows: list[dict[str, Value]]) -> None:
    layout = Layout(AS_OF, 240)
    exact = Translator(STANDARD_SCHEMA, layout).possible(expr, True)
    facts = [layout.encode(USCC, row) for row in rows]
    for budget in (1, 2, 5):
        wide = widen(exact, budget)
        assert paths(wide) <= budget
        for fact in facts:
            assert holds(wide, fact) or not holds(exact, fact)


# --- what compiles to what ---------------------------------------------------------------------


def _possible(expr: ir.Expr, want: bool = True) -> tuple[object, Layout]:
    layout = Layout(AS_OF, 240)
    return Translator(STANDARD_SCHEMA, layout).possible(expr, want), layout


def test_a_money_threshold_is_an_integer_in_fen() -> None:
    cond, layout = _possible(compare(">=", "revenue", Decimal("5000000.005")))
    slot = layout.slots["revenue"]
    assert cond == Atom(slot.hi, "$gte", 500000001)  # 500000000.5 fen: at least 500000001


def test_as_of_arithmetic_is_folded_at_compile_time() -> None:
    expr = ir.Compare(
        "==",
        field("above_scale_since"),
        ir.Arith("-", ir.Call("year", (ir.AsOf(),), T.NUMBER), const(1)),
    )
    cond, layout = _possible(expr)
    slot = layout.slots["above_scale_since"]
    assert cond == all_of(Atom(slot.lo, "$lte", 2023), Atom(slot.hi, "$gte", 2023))


def test_an_enum_list_is_one_path() -> None:
    expr = ir.InList(field("size"), ("中型", "小型", "微型"))
    cond, layout = _possible(expr)
    assert cond == Atom(layout.slots["size"].lo, "$neq", "大型")
    assert paths(cond) == 1


def test_a_code_prefix_is_a_range() -> None:
    cond, layout = _possible(ir.StartsWith(field("industry"), "C3"))
    slot = layout.slots["industry"]
    assert cond == all_of(Atom(slot.hi, "$gte", "C3"), Atom(slot.lo, "$lt", "C4"))
    fact = layout.encode(USCC, {"industry": "C3011"})
    assert holds(cond, fact)
    assert not holds(cond, layout.encode(USCC, {"industry": "C4011"}))
    assert not holds(cond, layout.encode(USCC, {"industry": "C"}))
    assert holds(cond, layout.encode(USCC, {}))  # unknown industry: still a candidate


def test_nulls_are_the_whole_range() -> None:
    cond, layout = _possible(ir.Labeled("x", compare("<", "employees", 10)))
    fact = layout.encode(USCC, {})
    slot = layout.slots["employees"]
    assert (fact[slot.lo], fact[slot.hi]) == (-SENTINEL, SENTINEL)
    assert holds(cond, fact)
    text, layout = _possible(compare("==", "region", "361126"))
    fact = layout.encode(USCC, {"region": None})
    assert fact[layout.slots["region"].hi] == TEXT_HIGH
    assert holds(text, fact)


def test_text_durable_cannot_compare_exactly_is_left_to_confirmation() -> None:
    assert _possible(compare("==", "name", 'A"B'))[0] == TOP
    cond, layout = _possible(compare("==", "name", "AB"))
    assert holds(cond, layout.encode(USCC, {"name": 'A"B'}))  # unsafe value: whole range


def test_what_durable_cannot_express_is_top_not_dropped() -> None:
    ratio = ir.Compare(
        ">=", field("rd_expense"), ir.Arith("*", field("revenue"), const(Decimal("0.03")))
    )
    assert _possible(ratio)[0] == TOP
    assert _possible(ratio, False)[0] == TOP
    # Inside an "and", only that part gives way: the rest still selects.
    both = ir.And((ratio, compare(">=", "rd_expense", 1000000)))
    cond, layout = _possible(both)
    assert cond == Atom(layout.slots["rd_expense"].hi, "$gte", 100000000)


def test_constant_conditions() -> None:
    assert _possible(const(True))[0] == TOP
    assert _possible(const(False))[0] == BOTTOM
    assert _possible(ir.Not(ir.Const(None, T.NULL)))[0] == TOP  # unknown: could be either


def test_tags_and_is_null() -> None:
    tag = ir.HasTag(field("tags"), "专精特新")
    cond, layout = _possible(ir.Not(tag))
    attr = layout.tags["tags", "专精特新"]
    assert cond == Atom(attr, "$eq", 0)
    is_null = ir.Call("is_null", (field("credit_blacklisted"),), T.BOOL)
    cond, layout = _possible(is_null, False)
    assert cond == Atom(layout.nulls["credit_blacklisted"], "$eq", 0)


AGE = ir.Call("years_between", (field("registered_on"), ir.AsOf()), T.NUMBER)


def test_age_years_is_a_native_date_range_from_the_as_of_date() -> None:
    cond, layout = _possible(ir.Compare("<", AGE, const(3)))
    young = layout.encode(USCC, {"registered_on": dt.date(2021, 3, 2)})
    old = layout.encode(USCC, {"registered_on": dt.date(2021, 3, 1)})
    assert holds(cond, young)
    assert not holds(cond, old)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
    st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
    st.integers(-2, 12),
    st.booleans(),
    st.booleans(),
)
def test_anniversary_ranges_equal_the_reference(
    registered: dt.date, op: str, years: int, flipped: bool, want: bool
) -> None:
    n = const(years)
    expr = ir.Compare(op, n, AGE) if flipped else ir.Compare(op, AGE, n)
    cond, layout = _possible(expr, want)
    fact = layout.encode(USCC, {"registered_on": registered})
    truth = _reference(expr, {"registered_on": registered}, AS_OF)
    if truth is want:
        assert holds(cond, fact)
    elif op not in ("==", "!="):  # those stay for the confirmation step (TOP)
        assert not holds(cond, fact)


def test_paths_widen_and_conjunctions() -> None:
    a, b, c, d = (Atom(x, "$eq", 1) for x in "abcd")
    cond = all_of(any_of(a, b), any_of(c, d))
    assert paths(cond) == 4
    assert conjunctions(cond) == [(a, c), (a, d), (b, c), (b, d)]
    assert paths(widen(cond, 2)) == 2
    assert widen(any_of(a, b, c), 2) == TOP
    assert conjunctions(TOP) == [()]
    assert conjunctions(BOTTOM) == []


def test_programs_shard_and_skip_what_can_never_hold() -> None:
    policies = (
        policy("P-never", ir.Labeled("false", const(False))),
        *(policy(f"P-{i}", compare(">=", "employees", i)) for i in range(100)),
    )
    program = compile_program(policies, STANDARD_SCHEMA, AS_OF, shard_paths=30)
    assert [len(s) for s in program.shards] == [30, 30, 30, 10]
    assert all(r.policy != 0 for s in program.shards for r in s)
    with pytest.raises(ValueError, match="policy_paths"):
        compile_program(policies, STANDARD_SCHEMA, AS_OF, shard_paths=4, policy_paths=8)
