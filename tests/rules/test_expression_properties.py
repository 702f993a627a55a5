"""Property tests for the expression compiler: printing round-trips, and nothing but a policy
error ever comes out of the parser and checker, whatever the text."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policymatch.rules import ir
from policymatch.rules.check import Checker, CheckError, CheckErrors
from policymatch.rules.parser import ExprSyntaxError, parse
from policymatch.rules.printer import to_text
from policymatch.schema import STANDARD_SCHEMA

NUMERIC_FIELDS = [
    "employees",
    "revenue",
    "total_assets",
    "tax_paid",
    "rd_expense",
    "layoff_rate",
    "上年营业收入",
    "从业人数",
]
TEXT_FIELDS = ["region", "industry", "name"]
DATE_FIELDS = ["registered_on", "成立日期"]
BOOL_FIELDS = ["credit_blacklisted", "严重失信主体"]


def checker() -> Checker:
    return Checker(STANDARD_SCHEMA, lambda name: None)


def compile_text(text: str) -> ir.Expr:
    return checker().check(parse(text))


suffix = st.sampled_from(["", "万", "亿", "%"])
number = st.builds(
    lambda whole, frac, s: f"{whole}{'.' + frac if frac else ''}{s}",
    st.integers(0, 10**9).map(str),
    st.one_of(st.just(""), st.integers(0, 9999).map(lambda n: str(n).rjust(2, "0"))),
    suffix,
)
date_lit = st.dates().map(lambda d: f'date("{d.isoformat()}")')
text_lit = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8
).map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"')


def numeric(depth: int) -> st.SearchStrategy[str]:
    base = st.one_of(number, st.sampled_from(NUMERIC_FIELDS), st.just("year(as_of)"))
    if depth <= 0:
        return base
    sub = numeric(depth - 1)
    return st.one_of(
        base,
        st.builds(
            lambda a, op, b: f"({a} {op} {b})", sub, st.sampled_from(["+", "-", "*", "/"]), sub
        ),
        st.builds(lambda a: f"(-{a})", sub),
        st.builds(
            lambda f, a, b: f"{f}({a}, {b})", st.sampled_from(["min", "max", "coalesce"]), sub, sub
        ),
        st.builds(lambda a: f"abs({a})", sub),
        st.builds(lambda a, n: f"round({a}, {n})", sub, st.integers(0, 4)),
        st.builds(
            lambda a, b: f"years_between({a}, {b})",
            st.sampled_from([*DATE_FIELDS, "as_of"]),
            date_lit,
        ),
        st.builds(lambda a, c, b: f"({a} if {c} else {b})", sub, condition(0), sub),
    )


def condition(depth: int) -> st.SearchStrategy[str]:
    cmp = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    base = st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", numeric(0), cmp, numeric(0)),
        st.builds(lambda a, op, b: f"{a} {op} {b}", st.sampled_from(DATE_FIELDS), cmp, date_lit),
        st.builds(
            lambda a, b, c: f"{a} <= {b} < {c}", number, st.sampled_from(NUMERIC_FIELDS), number
        ),
        st.builds(lambda f, p: f"{f} startswith {p}", st.sampled_from(TEXT_FIELDS), text_lit),
        st.builds(
            lambda t, neg: f'"{t}" {"not in" if neg else "in"} tags',
            st.sampled_from(STANDARD_SCHEMA["tags"].values),
            st.booleans(),
        ),
        st.builds(
            lambda v, neg: (
                f"size {'not in' if neg else 'in'} [{', '.join(repr(x).replace(chr(39), chr(34)) for x in v)}]"
            ),
            st.lists(st.sampled_from(["大型", "中型", "小型", "微型"]), min_size=1, max_size=3),
            st.booleans(),
        ),
        st.sampled_from(BOOL_FIELDS),
        st.sampled_from(["true", "false"]),
        st.builds(lambda f: f"is_null({f})", st.sampled_from(NUMERIC_FIELDS + TEXT_FIELDS)),
    )
    if depth <= 0:
        return base
    sub = condition(depth - 1)
    return st.one_of(
        base,
        st.builds(lambda a, op, b: f"({a} {op} {b})", sub, st.sampled_from(["and", "or"]), sub),
        st.builds(lambda a: f"not ({a})", sub),
    )


expressions = st.one_of(condition(3), numeric(3))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_printed_ir_parses_back_to_the_same_ir(text: str) -> None:
    first = compile_text(text)
    printed = to_text(first)
    assert compile_text(printed) == first


token_soup = st.lists(
    st.sampled_from(
        [
            "employees",
            "revenue",
            "tags",
            "size",
            "as_of",
            "and",
            "or",
            "not",
            "in",
            "if",
            "else",
            "startswith",
            "(",
            ")",
            "[",
            "]",
            ",",
            "+",
            "-",
            "*",
            "/",
            "==",
            "<",
            ">=",
            "1",
            "50万",
            "5.5%",
            '"中型"',
            '"C"',
            "min",
            "date",
            '"2023-01-01"',
            "null",
            "true",
            "本地企业",
            "year",
            "is_null",
        ]
    ),
    max_size=14,
).map(" ".join)


@settings(max_examples=1200)
@given(st.one_of(st.text(max_size=60), token_soup))
def test_any_text_gives_a_policy_error_or_an_ir(text: str) -> None:
    try:
        result = compile_text(text)
    except (ExprSyntaxError, CheckError, CheckErrors):
        return
    assert isinstance(result, ir.Expr)


def test_suffixes_are_exact() -> None:
    assert compile_text("50万") == ir.Const(Decimal(500000), ir.T.NUMBER)
    assert compile_text("1.5亿") == ir.Const(Decimal(150000000), ir.T.NUMBER)
    assert compile_text("5.5%") == ir.Const(Decimal("0.055"), ir.T.NUMBER)
    assert compile_text("1_000_000") == ir.Const(Decimal(1000000), ir.T.NUMBER)


def test_alias_and_name_compile_to_one_field() -> None:
    assert compile_text("从业人数 <= 300") == compile_text("employees <= 300")


def test_chain_is_a_conjunction() -> None:
    assert compile_text("20 <= employees < 300") == compile_text(
        "20 <= employees and employees < 300"
    )
