"""The interval/set analysis never claims more than holds (PM305 errors, PM352/PM353 warnings).

Conditions are conjunctions of the tests authors write, over a few fields and a few constants
so that contradictions and shadowed tiers come up often; every claim is checked against the
reference evaluator on random records: a region called empty is never true, a region called
inside an exact one is never true where that one is not.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policymatch.backends.reference import Env, evaluate
from policymatch.rules import ir
from policymatch.rules.check import Checker
from policymatch.rules.parser import parse
from policymatch.rules.regions import shape, within
from policymatch.schema import SIZES, STANDARD_SCHEMA

AS_OF = dt.date(2024, 3, 1)
NUMBERS = ["0", "1", "2", "3"]
DAYS = ['date("2020-01-01")', 'date("2021-01-01")']

atom = st.one_of(
    st.builds(
        "employees {} {}".format,
        st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
        st.sampled_from(NUMBERS),
    ),
    st.builds(
        "employees {} [{}]".format,
        st.sampled_from(["in", "not in"]),
        st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3, unique=True).map(", ".join),
    ),
    st.builds(
        "size {} {}".format,
        st.sampled_from(["==", "!="]),
        st.sampled_from([f'"{s}"' for s in SIZES]),
    ),
    st.builds(
        "size {} [{}]".format,
        st.sampled_from(["in", "not in"]),
        st.lists(
            st.sampled_from([f'"{s}"' for s in SIZES]), min_size=1, max_size=3, unique=True
        ).map(", ".join),
    ),
    st.sampled_from(
        [
            "credit_blacklisted",
            "not credit_blacklisted",
            "credit_blacklisted == false",
            '"专精特新" in tags',
            '"专精特新" not in tags',
            "age_years < 3",
            "age_years >= 3",
            "revenue >= 0",
        ]
    ),
    st.builds(
        "registered_on {} {}".format, st.sampled_from(["<", ">=", "=="]), st.sampled_from(DAYS)
    ),
)
condition = st.lists(atom, min_size=1, max_size=4).map(" and ".join)
record = st.fixed_dictionaries(
    {
        "employees": st.one_of(st.none(), st.integers(-1, 4)),
        "size": st.one_of(st.none(), st.sampled_from(SIZES)),
        "credit_blacklisted": st.one_of(st.none(), st.booleans()),
        "tags": st.sampled_from([frozenset(), frozenset({"专精特新"})]),
        "registered_on": st.one_of(
            st.none(),
            st.sampled_from([dt.date(2019, 6, 1), dt.date(2020, 1, 1), dt.date(2021, 3, 1)]),
        ),
        "revenue": st.one_of(st.none(), st.sampled_from([Decimal(0), Decimal(5)])),
    }
)


def compiled(text: str) -> ir.Expr:
    return Checker(STANDARD_SCHEMA, lambda name: None).condition(parse(text))


def holds(expr: ir.Expr, row: dict[str, object]) -> object:
    return evaluate(expr, Env(row, AS_OF))  # type: ignore[arg-type]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(condition, st.lists(record, min_size=1, max_size=8))
def test_a_condition_called_impossible_is_never_true(
    text: str, rows: list[dict[str, object]]
) -> None:
    expr = compiled(text)
    if shape(expr).empty:
        assert all(holds(expr, row) is not True for row in rows)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(condition, condition, st.lists(record, min_size=1, max_size=8))
def test_a_tier_called_shadowed_is_covered(
    first: str, later: str, rows: list[dict[str, object]]
) -> None:
    earlier, mine = shape(compiled(first)), shape(compiled(later))
    if earlier.exact and not mine.empty and within(mine.region, earlier.region):
        for row in rows:
            if holds(compiled(later), row) is True:
                assert holds(compiled(first), row) is True


def test_examples_of_each_verdict() -> None:
    assert shape(compiled('size == "小型" and size == "微型"')).empty
    assert shape(compiled("credit_blacklisted and not credit_blacklisted")).empty
    assert not shape(compiled('size in ["小型", "微型"] and size != "小型"')).empty
    wide, narrow = shape(compiled('size in ["小型", "微型"]')), shape(compiled('size == "微型"'))
    assert within(narrow.region, wide.region)
    assert not within(wide.region, narrow.region)
    # A range and a set on one field: not decided, so never called the shadowing tier.
    mixed = shape(compiled("employees in [1, 2] and employees >= 2"))
    assert not mixed.exact
