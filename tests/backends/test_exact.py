"""Exact money in the batch core, against a Decimal oracle: half a fen, overflow, division.

The oracle is the rule of policy-format.md written with Python decimals: compute, apply the
cap, round half-up to the fen once (:func:`policymatch.money.to_fen`).
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policymatch.backends.reference import DIVISION, ReferenceBackend
from policymatch.backends.vectorized import VectorizedBackend, exact
from policymatch.backends.vectorized.amounts import linear_factors, linear_fen
from policymatch.backends.vectorized.columns import Dec, Num, Rows, narrowed
from policymatch.backends.vectorized.program import Linear
from policymatch.money import MAX_GRANT_FEN, to_fen
from policymatch.rules import ir
from policymatch.rules.ir import T
from policymatch.schema import STANDARD_SCHEMA, FieldType
from tests.backends.conftest import AS_OF
from tests.strategies import ALWAYS, make_policy

D = Decimal
MAX_FEN = 10**14  # 1e12 yuan: the largest amount a registry cell is expected to hold


def money_column(fens: list[int], rows: Rows) -> Num:
    values = np.array(fens, dtype=np.int64)
    return Num(values, 2, rows.all, int(np.abs(values).max()) if fens else 0)


def oracle(fen: int, factor: Decimal, cap: Decimal | None) -> int:
    raw = D(fen) / 100 * factor
    if cap is not None:
        raw = min(raw, cap)
    return int(to_fen(raw) * 100)


def paid(expect: list[int]) -> list[int] | None:
    """``expect`` as :func:`vectorized` gives it: None when one passes the most a grant may
    be (PM311)."""
    return None if max(expect) > MAX_GRANT_FEN else expect


def vectorized(fens: list[int], factor: Decimal, cap: Decimal | None) -> list[int] | None:
    """The batch core's fen of ``fens × factor`` (capped); None when it refuses one."""
    rows = Rows(len(fens))
    raw = exact.arith("*", money_column(fens, rows), exact.constant(factor, rows), rows)
    try:
        fen, known = exact.to_fen(raw, cap, rows)
    except exact.TooLarge:
        return None
    assert known.all()
    return [int(x) for x in fen]


def compiled(fens: list[int], factor: Decimal, cap: Decimal | None) -> list[int] | None:
    """The compiled arithmetic of a field-times-constant amount on every row; None where it
    declines (a step might leave int64: the general path above takes those)."""
    shape = Linear("revenue", *exact.scaled(factor))
    factors = linear_factors(shape, cap, money_column(fens, Rows(len(fens))))
    if factors is None:
        return None
    return [int(linear_fen(f, *factors)) for f in fens]


@pytest.mark.parametrize(
    ("yuan", "factor", "fen"),
    [
        ("1.01", "0.5", 51),  # 0.505 -> 0.51 (banker's rounding would give 0.50)
        ("1.03", "0.5", 52),  # 0.515 -> 0.52
        ("0.01", "0.5", 1),  # 0.005 -> 0.01
        ("1", "0.005", 1),  # 0.5% of 1 yuan: 0.005 -> 0.01
        ("123456.75", "0.3", 3703703),  # 37037.025 -> 37037.03
        ("-1.01", "0.5", -51),  # half away from zero below zero too
        ("-0.01", "0.5", -1),
        ("999999999999.99", "0.5", 49999999999999 + 1),  # 499999999999.995 -> ...00.00
    ],
)
def test_half_a_fen_rounds_up(yuan: str, factor: str, fen: int) -> None:
    fens = [int(D(yuan) * 100)]
    assert [fen] == [oracle(fens[0], D(factor), None)]
    assert vectorized(fens, D(factor), None) == paid([fen])
    assert compiled(fens, D(factor), None) in (None, [fen])


HALF_FACTORS = [D("0.5"), D("0.05"), D("0.005"), D("0.3"), D("0.15"), D("0.125"), D("0.0625")]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(-MAX_FEN, MAX_FEN), min_size=1, max_size=40),
    st.one_of(st.sampled_from(HALF_FACTORS), st.integers(0, 10**6).map(lambda m: D(m) / 10**6)),
    st.one_of(st.none(), st.integers(0, 10**9).map(lambda c: D(c) / 100)),
)
def test_money_times_rate_equals_the_decimal_oracle(
    fens: list[int], factor: Decimal, cap: Decimal | None
) -> None:
    expect = [oracle(f, factor, cap) for f in fens]
    assert vectorized(fens, factor, cap) == paid(expect)
    assert compiled(fens, factor, cap) in (None, expect)


@settings(max_examples=200, deadline=None)
@given(st.integers(-(MAX_FEN // 2), MAX_FEN // 2), st.sampled_from(HALF_FACTORS))
def test_values_built_to_sit_on_half_a_fen(k: int, factor: Decimal) -> None:
    """``fen * factor`` is exactly ``k + 0.5`` fen: the one place rounding rules differ."""
    fen_exact = D(2 * k + 1) / 2 / factor  # the registry value (in fen) that lands there
    if fen_exact != fen_exact.to_integral_value():
        return
    fen = int(fen_exact)
    expect = (k + 1) if k >= 0 else k  # half away from zero: k + 0.5 -> k + 1; -(|k| + 0.5) -> k
    assert [expect] == [oracle(fen, factor, None)]
    assert vectorized([fen], factor, None) == paid([expect])
    assert compiled([fen], factor, None) in (None, [expect])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(-(10**10), 10**10), min_size=1, max_size=40),
    st.one_of(st.sampled_from(HALF_FACTORS), st.integers(0, 10**6).map(lambda m: D(m) / 10**6)),
    st.one_of(st.none(), st.integers(-(10**9), 10**9).map(lambda c: D(c) / 100)),
)
def test_the_compiled_loop_takes_registry_sized_amounts_exactly(
    fens: list[int], factor: Decimal, cap: Decimal | None
) -> None:
    """Up to 10^8 yuan times a rate of six decimals: the loop runs (no fallback) and agrees."""
    assert compiled(fens, factor, cap) == [oracle(f, factor, cap) for f in fens]


def test_products_beyond_int64_move_to_decimals_exactly() -> None:
    rows = Rows(3)
    big = money_column([MAX_FEN - 1, -(MAX_FEN - 1), 12345], rows)
    rate = exact.constant(D("0.123457"), rows)  # 1e14 * 123457 does not fit in int64
    raw = exact.arith("*", big, rate, rows)
    assert isinstance(raw, Dec)
    assert list(raw.v) == [D(f) / 100 * D("0.123457") for f in (MAX_FEN - 1, -(MAX_FEN - 1), 12345)]
    with pytest.raises(exact.TooLarge):  # 1.2e11 yuan: more than one grant may be
        exact.to_fen(raw, None, rows)
    fen, _ = exact.to_fen(raw, None, rows, np.array([False, True, True]))  # the others
    assert list(fen[1:]) == [oracle(f, D("0.123457"), None) for f in (-(MAX_FEN - 1), 12345)]
    # Two money columns multiplied: fen * fen * 10**4 would wrap; the Decimal path does not.
    square = exact.arith("*", big, big, rows)
    assert isinstance(square, Dec)
    assert square.v[0] == (D(MAX_FEN - 1) / 100) ** 2


def test_division_uses_the_reference_context() -> None:
    rows = Rows(3)
    a = money_column([100, 200, 700], rows)
    b = money_column([300, 0, 300], rows)
    out = exact.arith("/", a, b, rows)
    assert isinstance(out, Dec)
    assert out.v[0] == DIVISION.divide(D(1), D(3))  # 40 significant digits
    assert out.v[1] is None  # division by zero is unknown
    # Multiplying back happens in the default 28-digit context, as in the reference: the 40
    # nines round to 1 there.
    back = exact.arith("*", out, b, rows)
    assert back.v[0] == DIVISION.divide(D(1), D(3)) * D(3) == D(1)


@pytest.mark.parametrize("op", ir.COMPARE_OPS)
@pytest.mark.parametrize(
    "constant", ["0.005", "0.01", "-0.005", "2.5", "1e15", "99999999999999999999", "0"]
)
def test_comparisons_with_constants_of_any_scale(op: str, constant: str) -> None:
    """Money (fen) and counts against constants finer or larger than they can hold."""
    fields = (
        ("revenue", FieldType.MONEY),
        ("employees", FieldType.INTEGER),
        ("layoff_rate", FieldType.RATE),
    )
    policies = tuple(
        make_policy(
            i,
            ir.Labeled("c", ir.Compare(op, ir.Field(name, kind), ir.Const(D(constant), T.NUMBER))),
            ir.Amount(expr=ir.Const(D(1), T.NUMBER)),
            None,
        )
        for i, (name, kind) in enumerate(fields)
    )
    from policymatch.registry.frame import frame_from_records

    values = [None, D(0), D("0.01"), D("-0.01"), D("2"), D("3"), D("0.005")]
    records = [
        {
            "uscc": f"U{i}",
            "revenue": v if v is None or v == v.quantize(D("0.01")) else None,
            "employees": None if v is None or v != v.to_integral_value() else int(v),
            "layoff_rate": None if v is None or not 0 <= v <= 1 else v,
        }
        for i, v in enumerate(values)
    ]
    frame = frame_from_records(records, STANDARD_SCHEMA)
    want = ReferenceBackend().match(policies, frame, AS_OF, STANDARD_SCHEMA)
    got = VectorizedBackend().match(policies, frame, AS_OF, STANDARD_SCHEMA)
    for name in ("grants", "unknown", "counts"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), obj=name)


def test_amount_expressions_with_division_agree_with_the_reference() -> None:
    from policymatch.registry.frame import frame_from_records

    amounts = [
        "revenue / 3",
        "revenue / 3 * 3",
        "round(revenue / 7, 2) * 7",
        "revenue / employees * 1.5%",
        "min(revenue / 3, tax_paid * 2)",
    ]
    from policymatch.rules.check import Checker
    from policymatch.rules.parser import parse

    checker = Checker(STANDARD_SCHEMA, lambda _: None)
    policies = tuple(
        make_policy(i, ALWAYS, ir.Amount(expr=checker.number(parse(text))), D("1e9"))
        for i, text in enumerate(amounts)
    )
    records = [
        {"uscc": f"U{i}", "revenue": r, "employees": e, "tax_paid": t}
        for i, (r, e, t) in enumerate(
            [
                (D("100"), 3, D("1")),
                (D("0.01"), 7, D("-5")),
                (D("999999999999.99"), 1, None),
                (D("1"), 0, D("0")),
            ]
        )
    ]
    frame = frame_from_records(records, STANDARD_SCHEMA)
    with decimal.localcontext() as ctx:
        assert ctx.prec == 28  # the reference computes in the default context
    want = ReferenceBackend().match(policies, frame, AS_OF, STANDARD_SCHEMA)
    got = VectorizedBackend().match(policies, frame, AS_OF, STANDARD_SCHEMA)
    for name in ("grants", "unknown", "counts"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), obj=name)
    # 100 / 3 * 3 is 99.999...9 in 40 digits, then 28: 100.00 after rounding to the fen.
    grants = got.grants.set_index(["row", "policy_id"])["amount_fen"]
    assert grants[(0, "P-01")] == 10000


@pytest.mark.parametrize("bound", [127, 128, 32_767, 32_768, 2**31 - 1, 2**31])
@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparisons_on_narrowed_values_equal_the_decimal_oracle(bound: int, op: str) -> None:
    """A field's int8/16/32 copy is used when the constant fits that type, the int64 values
    when it does not: either way the answer is the Decimal comparison's."""
    values = np.array([-bound, -bound + 1, -1, 0, 1, bound - 1, bound], dtype=np.int64)
    rows = Rows(values.size)
    known = np.packbits(np.ones(values.size, dtype=np.bool_))
    col = Num(values, 2, known, bound, narrowed(values, bound))
    edges = {0, 1, bound, bound + 1, -bound - 1, 2**31, -(2**31) - 1}
    constants = [Decimal(e) / 100 for e in edges] + [Decimal(bound) / 100 + Decimal("0.005")]
    for constant in constants:
        num, k = exact.scaled(constant)
        got = exact.compare_constant(op, col, constant, num, k, rows)
        test = exact.COMPARE[op]
        want = [bool(test(Decimal(int(v)) / 100, constant)) for v in values]
        assert np.unpackbits(got.t, count=values.size).astype(bool).tolist() == want, constant
        assert np.unpackbits(got.f, count=values.size).astype(bool).tolist() == [
            not w for w in want
        ]
