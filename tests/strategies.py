"""Hypothesis strategies for policies (as typed IR) and registries (as typed frames).

Shared by every backend's tests: a backend is right when it returns what the reference
evaluator returns on whatever these produce. Stable API::

    from tests.strategies import cases, policies, registries

    @given(cases())                                  # policies, registry and as-of together
    def test_x(case: Case) -> None: ...

    policies(schema=STANDARD_SCHEMA, min_policies=1, max_policies=4)  # tuple[ir.Policy, ...]
    make_policy(0, eligibility, amount, cap)                          # one policy from parts
    registries(schema=STANDARD_SCHEMA, min_rows=0, max_rows=20)       # typed frame
    records(schema=STANDARD_SCHEMA)                                   # one record of values
    conditions(schema=STANDARD_SCHEMA, depth=2)                       # a condition tree
    numbers(schema=STANDARD_SCHEMA, depth=2)                          # a number expression
    as_of_dates()

What they aim at: nulls everywhere (each cell is null one time in six); values on the
boundaries that policies test (constants and registry values are drawn from the same pools, so
``revenue >= 500万`` meets a revenue of exactly 500万, and amounts land on half a fen); dates on
anniversaries and 29 February; Chinese text in names, labels and codes; every IR node kind the
checker can produce (what :mod:`policymatch.rules.check` builds, and nothing it rejects).
Magnitudes stay within what a county registry holds, so that the reference's decimal context
(28 digits) never traps on a row it evaluates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from hypothesis import strategies as st

from policymatch.money import MAX_GRANT
from policymatch.registry.frame import frame_from_records
from policymatch.registry.uscc import make_uscc
from policymatch.rules import ir
from policymatch.rules.ir import T
from policymatch.rules.printer import to_text
from policymatch.schema import STANDARD_SCHEMA, FieldType, Schema
from policymatch.values import Value

D = Decimal

# --- value pools: shared by constants and registry cells, so that boundaries are met ---------

MONEY = [D(x) for x in (
    "0", "0.01", "0.05", "1.01", "1.23", "99.99", "100", "1234.5", "12345.67", "10000",
    "1000000", "5000000", "5000000.01", "100000000", "123456789.01", "999999999999.99",
)]  # fmt: skip
RATES = [D(x) for x in ("0", "0.000001", "0.005", "0.03", "0.055", "0.2", "0.5", "0.6", "1")]
INTEGERS = [D(x) for x in (0, 1, 5, 10, 20, 29, 30, 31, 300, 1000, 2023, 2024)]
FACTORS = [D(x) for x in ("0.5", "0.005", "0.05", "0.3", "0.6", "1.5", "3", "-1", "0.125")]
DATES = [
    dt.date(2020, 2, 29),
    dt.date(2021, 2, 28),
    dt.date(2021, 3, 1),
    dt.date(2023, 3, 1),
    dt.date(2023, 12, 31),
    dt.date(2024, 2, 29),
    dt.date(2024, 3, 1),
    dt.date(1999, 1, 1),
]
AS_OF = [dt.date(2024, 3, 1), dt.date(2024, 2, 29), dt.date(2025, 2, 28), dt.date(2023, 3, 1)]
CODES = {
    "region": ["361126", "361102", "3611", "361126 "],
    "industry": ["C3011", "C", "C30", "C3039", "F5111", "I6510", "K7010", "A0111", "M7320"],
}
PREFIXES = ["C", "C3", "C30", "F51", "I", "3611", "36112", "弋", ""]
NAMES = [
    "弋阳县红星机械制造有限公司",
    "江西省弋阳县田园农业专业合作社",
    "张三个体户",
    "Ａ＆Ｂ科技",
    "",
]
LABELS = ["本地企业", "上年首次纳入规上", "研发投入达标", "稳岗", "条件（一）", "A"]

NULL_ONE_IN = 6


def _money_field(schema: Schema) -> list[str]:
    return [f.name for f in schema.fields if f.type is FieldType.MONEY]


def _fields(schema: Schema, *types: FieldType) -> list[str]:
    return [f.name for f in schema.fields if f.type in types]


def _field(schema: Schema, name: str) -> ir.Field:
    return ir.Field(name, schema[name].type)


# --- registries -----------------------------------------------------------------------------


def _nullable(inner: st.SearchStrategy[Value]) -> st.SearchStrategy[Value]:
    return st.one_of(st.none(), *[inner] * (NULL_ONE_IN - 1))


def _cell(schema: Schema, name: str) -> st.SearchStrategy[Value]:
    field = schema[name]
    kind = field.type
    if kind is FieldType.TAGS:
        return st.frozensets(st.sampled_from(field.values), max_size=4)
    if kind is FieldType.MONEY:
        random = st.integers(-(10**6) if name == "tax_paid" else 0, 10**9).map(lambda c: D(c) / 100)
        inner: st.SearchStrategy[Value] = st.one_of(st.sampled_from(MONEY), random)
    elif kind is FieldType.RATE:
        inner = st.one_of(st.sampled_from(RATES), st.integers(0, 10**6).map(lambda m: D(m) / 10**6))
    elif kind is FieldType.INTEGER:
        inner = st.one_of(st.sampled_from([int(i) for i in INTEGERS]), st.integers(0, 10**6))
    elif kind is FieldType.DATE:
        inner = st.one_of(
            st.sampled_from(DATES), st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))
        )
    elif kind is FieldType.BOOLEAN:
        inner = st.booleans()
    elif kind is FieldType.ENUM:
        inner = st.sampled_from(field.values)
    elif name in CODES:
        inner = st.sampled_from(CODES[name])
    else:
        inner = st.one_of(st.sampled_from(NAMES), st.text(max_size=6))
    return _nullable(inner)


def records(schema: Schema = STANDARD_SCHEMA) -> st.SearchStrategy[dict[str, Value]]:
    """One registry record of typed values (the ``uscc`` is set by :func:`registries`)."""
    names = [f.name for f in schema.input_fields if not f.key]
    return st.fixed_dictionaries({name: _cell(schema, name) for name in names})


def registries(
    schema: Schema = STANDARD_SCHEMA, *, min_rows: int = 0, max_rows: int = 20
) -> st.SearchStrategy[pd.DataFrame]:
    """A typed registry frame (:mod:`policymatch.registry.frame`) with distinct codes."""

    def frame(rows: list[dict[str, Value]]) -> pd.DataFrame:
        keyed = [{**r, "uscc": make_uscc(f"91361126MA{i:07d}")} for i, r in enumerate(rows)]
        return frame_from_records(keyed, schema)

    # Draw the size first: hypothesis keeps plain lists short, and many rows per case meet
    # many more combinations of nulls and boundaries for the same cost.
    sizes = st.integers(min_rows, max_rows)
    return sizes.flatmap(lambda n: st.lists(records(schema), min_size=n, max_size=n)).map(frame)


def as_of_dates() -> st.SearchStrategy[dt.date]:
    return st.one_of(st.sampled_from(AS_OF), st.dates(dt.date(2020, 1, 1), dt.date(2026, 12, 31)))


# --- expressions ----------------------------------------------------------------------------


def _constant(pool: Sequence[Decimal]) -> st.SearchStrategy[ir.Expr]:
    return st.sampled_from(pool).map(lambda v: ir.Const(v, T.NUMBER))


def _number_leaf(schema: Schema) -> st.SearchStrategy[ir.Expr]:
    numeric = _fields(schema, FieldType.MONEY, FieldType.RATE, FieldType.INTEGER)
    return st.one_of(
        st.sampled_from(numeric).map(lambda n: _field(schema, n)),
        _constant(MONEY + RATES + INTEGERS + FACTORS),
    )


def _date_leaf(schema: Schema) -> st.SearchStrategy[ir.Expr]:
    return st.one_of(
        st.sampled_from(_fields(schema, FieldType.DATE)).map(lambda n: _field(schema, n)),
        st.just(ir.AsOf()),
        st.sampled_from(DATES).map(lambda d: ir.Const(d, T.DATE)),
    )


def _text_leaf(schema: Schema) -> st.SearchStrategy[ir.Expr]:
    return st.one_of(
        st.sampled_from(_fields(schema, FieldType.CODE, FieldType.ENUM, FieldType.STRING)).map(
            lambda n: _field(schema, n)
        ),
        st.sampled_from([*CODES["region"], *NAMES]).map(lambda s: ir.Const(s, T.TEXT)),
    )


def dates(schema: Schema = STANDARD_SCHEMA, depth: int = 1) -> st.SearchStrategy[ir.Expr]:
    leaf = _date_leaf(schema)
    if depth <= 0:
        return leaf
    sub = dates(schema, depth - 1)
    return st.one_of(
        leaf,
        leaf,
        st.builds(lambda c, a, b: ir.IfElse(c, a, b, T.DATE), _predicate(schema, 0), sub, sub),
        st.builds(
            lambda f, a, b: ir.Call(f, (a, b), T.DATE),
            st.sampled_from(["min", "max", "coalesce"]),
            sub,
            sub,
        ),
    )


def texts(schema: Schema = STANDARD_SCHEMA, depth: int = 1) -> st.SearchStrategy[ir.Expr]:
    leaf = _text_leaf(schema)
    if depth <= 0:
        return leaf
    sub = texts(schema, depth - 1)
    return st.one_of(
        leaf,
        leaf,
        st.builds(lambda c, a, b: ir.IfElse(c, a, b, T.TEXT), _predicate(schema, 0), sub, sub),
        st.builds(lambda a, b: ir.Call("coalesce", (a, b), T.TEXT), sub, sub),
    )


def numbers(schema: Schema = STANDARD_SCHEMA, depth: int = 2) -> st.SearchStrategy[ir.Expr]:
    """A number expression: fields, constants, arithmetic (division too) and functions."""
    leaf = _number_leaf(schema)
    if depth <= 0:
        return leaf
    sub = numbers(schema, depth - 1)
    # Products take one small factor so that magnitudes stay those of a registry.
    small = st.one_of(
        _constant(RATES + FACTORS + INTEGERS[:6]),
        st.sampled_from(_fields(schema, FieldType.RATE)).map(lambda n: _field(schema, n)),
    )
    return st.one_of(
        leaf,
        leaf,
        st.builds(lambda op, a, b: ir.Arith(op, a, b), st.sampled_from(["+", "-"]), sub, sub),
        st.builds(lambda a, b: ir.Arith("*", a, b), sub, small),
        st.builds(lambda a, b: ir.Arith("*", b, a), sub, small),
        st.builds(lambda a, b: ir.Arith("/", a, b), sub, st.one_of(sub, small)),
        st.builds(ir.Neg, sub),
        st.builds(lambda c, a, b: ir.IfElse(c, a, b, T.NUMBER), _predicate(schema, 0), sub, sub),
        st.builds(
            lambda f, args: ir.Call(f, tuple(args), T.NUMBER),
            st.sampled_from(["min", "max", "coalesce"]),
            st.lists(sub, min_size=2, max_size=3),
        ),
        st.builds(lambda a: ir.Call("abs", (a,), T.NUMBER), sub),
        st.builds(
            lambda a, p: (
                ir.Call("round", (a, ir.Const(D(p), T.NUMBER)), T.NUMBER)
                if p is not None
                else ir.Call("round", (a,), T.NUMBER)
            ),
            sub,
            st.sampled_from([None, 0, 1, 2, 3]),
        ),
        st.builds(lambda d: ir.Call("year", (d,), T.NUMBER), dates(schema, 0)),
        st.builds(
            lambda a, b: ir.Call("years_between", (a, b), T.NUMBER),
            dates(schema, 0),
            dates(schema, 0),
        ),
        # age_years, as the checker lowers it.
        st.just(
            ir.Call(
                "years_between", (ir.Field("registered_on", FieldType.DATE), ir.AsOf()), T.NUMBER
            )
        ),
        st.builds(lambda a: ir.Arith("+", a, ir.Const(None, T.NULL)), sub),
    )


_OPS = st.sampled_from(ir.COMPARE_OPS)


def _predicate(schema: Schema, depth: int) -> st.SearchStrategy[ir.Expr]:
    """A boolean expression (what one expression string of a policy compiles to)."""
    enum_or_code = _fields(schema, FieldType.ENUM, FieldType.CODE)
    booleans = _fields(schema, FieldType.BOOLEAN)

    def text_in(name: str, values: list[str], negated: bool) -> ir.Expr:
        return ir.InList(_field(schema, name), tuple(values), negated)

    def text_values(name: str) -> st.SearchStrategy[list[str]]:
        pool = list(schema[name].values) or CODES.get(name, NAMES)
        return st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)

    def text_eq(name: str, op: str, value: str) -> ir.Expr:
        return ir.Compare(op, _field(schema, name), ir.Const(value, T.TEXT))

    def text_eq_any(name: str) -> st.SearchStrategy[ir.Expr]:
        pool = list(schema[name].values) or CODES.get(name, NAMES)
        return st.builds(
            text_eq, st.just(name), st.sampled_from(["==", "!="]), st.sampled_from(pool)
        )

    tags = _fields(schema, FieldType.TAGS)
    num = numbers(schema, min(depth, 1))
    leaves = [
        st.builds(lambda op, a, b: ir.Compare(op, a, b), _OPS, num, _number_leaf(schema)),
        st.builds(
            lambda op, a, b: ir.Compare(op, a, b), _OPS, dates(schema, depth), dates(schema, 0)
        ),
        st.sampled_from(enum_or_code).flatmap(text_eq_any),
        st.sampled_from(enum_or_code).flatmap(
            lambda n: st.builds(text_in, st.just(n), text_values(n), st.booleans())
        ),
        st.builds(
            lambda op, a, b: ir.Compare(op, a, b),
            st.sampled_from(["==", "!="]),
            texts(schema, depth),
            texts(schema, 0),
        ),
        st.builds(ir.StartsWith, texts(schema, depth), st.sampled_from(PREFIXES)),
        st.builds(
            lambda a, items, neg: ir.InList(a, tuple(items), neg),
            numbers(schema, 0),
            st.lists(st.sampled_from(MONEY + RATES + INTEGERS), min_size=1, max_size=3),
            st.booleans(),
        ),
        st.builds(
            lambda a, items, neg: ir.InList(a, tuple(items), neg),
            dates(schema, 0),
            st.lists(st.sampled_from(DATES), min_size=1, max_size=2),
            st.booleans(),
        ),
        st.sampled_from(booleans).map(lambda n: _field(schema, n)),
        st.builds(
            lambda n, v, op: ir.Compare(op, _field(schema, n), ir.Const(v, T.BOOL)),
            st.sampled_from(booleans),
            st.booleans(),
            st.sampled_from(["==", "!="]),
        ),
        st.builds(
            lambda n, items, neg: ir.InList(_field(schema, n), tuple(items), neg),
            st.sampled_from(booleans),
            st.lists(st.booleans(), min_size=1, max_size=2, unique=True),
            st.booleans(),
        ),
        st.sampled_from(booleans).map(lambda n: ir.Not(_field(schema, n))),
        st.builds(
            lambda name, tag, neg: ir.HasTag(_field(schema, name), tag, neg),
            st.sampled_from(tags),
            st.sampled_from(schema[tags[0]].values),
            st.booleans(),
        ),
        st.builds(
            lambda x: ir.Call("is_null", (x,), T.BOOL),
            st.one_of(
                numbers(schema, 0),
                dates(schema, 0),
                texts(schema, 0),
                st.sampled_from(booleans + tags).map(lambda n: _field(schema, n)),
            ),
        ),
        st.sampled_from(
            [ir.Const(True, T.BOOL), ir.Const(False, T.BOOL), ir.Not(ir.Const(None, T.NULL))]
        ),
    ]
    leaf = st.one_of(*leaves)
    if depth <= 0:
        return leaf
    sub = _predicate(schema, depth - 1)
    return st.one_of(
        leaf,
        leaf,
        st.lists(sub, min_size=2, max_size=3).map(lambda xs: ir.And(tuple(xs))),
        st.lists(sub, min_size=2, max_size=3).map(lambda xs: ir.Or(tuple(xs))),
        st.builds(ir.Not, sub),
        st.builds(lambda c, a, b: ir.IfElse(c, a, b, T.BOOL), sub, sub, sub),
        st.builds(lambda a, b: ir.Call("coalesce", (a, b), T.BOOL), sub, sub),
        st.builds(lambda op, a, b: ir.Compare(op, a, b), st.sampled_from(["==", "!="]), sub, sub),
    )


def conditions(schema: Schema = STANDARD_SCHEMA, depth: int = 2) -> st.SearchStrategy[ir.Expr]:
    """A condition tree as the compiler builds it: all/any/not over labelled expressions.

    Every expression leaf is labelled (by its own text, or by a Chinese ``label:``), as
    ``policymatch.rules.compiler`` does; ``all``/``any``/``not`` are not.
    """

    def leaf(expr: ir.Expr, label: str | None) -> ir.Expr:
        return ir.Labeled(label or to_text(expr), expr)

    shallow, deep = _predicate(schema, 0), _predicate(schema, 1)
    expr = st.one_of(shallow, shallow, shallow, deep)
    base = st.builds(leaf, expr, st.one_of(st.none(), st.sampled_from(LABELS)))
    if depth <= 0:
        return base
    sub = conditions(schema, depth - 1)
    return st.one_of(
        base,
        base,
        st.lists(sub, min_size=2, max_size=3).map(lambda xs: ir.And(tuple(xs))),
        st.lists(sub, min_size=2, max_size=3).map(lambda xs: ir.Or(tuple(xs))),
        st.builds(ir.Not, sub),
        st.builds(
            ir.Labeled,
            st.sampled_from(LABELS),
            st.one_of(
                st.lists(sub, min_size=2, max_size=3).map(lambda xs: ir.And(tuple(xs))),
                st.lists(sub, min_size=2, max_size=3).map(lambda xs: ir.Or(tuple(xs))),
            ),
        ),
    )


def eligibilities(schema: Schema = STANDARD_SCHEMA) -> st.SearchStrategy[ir.Expr]:
    """A policy's eligibility: usually ``all:`` of one to five conditions."""
    return st.lists(conditions(schema, 1), min_size=1, max_size=5).map(
        lambda xs: xs[0] if len(xs) == 1 else ir.And(tuple(xs))
    )


#: Near-miss margins a policy may set (None: the run's default, 20%).
MARGINS = [None, D("0"), D("0.05"), D("0.2"), D("0.5"), D("1")]


def thresholds(schema: Schema = STANDARD_SCHEMA) -> st.SearchStrategy[ir.Expr]:
    """A labelled number or date field compared with a constant, either way round: the only
    kind of condition an enterprise can be a near miss of (backends/nearmiss.py)."""
    numeric = _fields(schema, FieldType.MONEY, FieldType.RATE, FieldType.INTEGER)
    number = st.tuples(
        st.sampled_from([*numeric, "age_years"]).map(
            lambda n: ir.Field(n, FieldType.INTEGER) if n == "age_years" else _field(schema, n)
        ),
        _constant(MONEY + RATES + INTEGERS + FACTORS),
    )
    date = st.tuples(
        st.sampled_from(_fields(schema, FieldType.DATE)).map(lambda n: _field(schema, n)),
        st.sampled_from(DATES).map(lambda d: ir.Const(d, T.DATE)),
    )

    def compare(pair: tuple[ir.Expr, ir.Expr], op: str, flip: bool) -> ir.Expr:
        a, b = pair
        expr = ir.Compare(op, b, a) if flip else ir.Compare(op, a, b)
        return ir.Labeled(to_text(expr), expr)

    return st.builds(
        compare, st.one_of(number, date), st.sampled_from(["<", "<=", ">", ">="]), st.booleans()
    )


def near_eligibilities(schema: Schema = STANDARD_SCHEMA) -> st.SearchStrategy[ir.Expr]:
    """``all:`` of two to four conditions, at least one a threshold (dense in near misses)."""
    return st.tuples(
        thresholds(schema),
        st.lists(st.one_of(thresholds(schema), conditions(schema, 0)), min_size=1, max_size=3),
    ).map(lambda x: ir.And((x[0], *x[1])))


def amounts(
    schema: Schema = STANDARD_SCHEMA, *, tiers: bool | None = None
) -> st.SearchStrategy[ir.Amount]:
    """An amount: an expression (``tiers=False``), tiers (``tiers=True``) or either."""
    rate_of = st.builds(
        lambda n, r: ir.Arith("*", _field(schema, n), ir.Const(r, T.NUMBER)),
        st.sampled_from(_money_field(schema)),
        st.sampled_from(RATES + FACTORS),
    )
    value = st.one_of(_constant(MONEY + FACTORS), rate_of, numbers(schema, 2))
    plain = value.map(lambda e: ir.Amount(expr=e))
    tiered = st.lists(st.builds(ir.Tier, conditions(schema, 0), value), min_size=1, max_size=3).map(
        lambda ts: ir.Amount(tiers=tuple(ts))
    )
    if tiers is None:
        return st.one_of(plain, tiered)
    return tiered if tiers else plain


def make_policy(
    index: int, eligibility: ir.Expr, amount: ir.Amount, cap: Decimal | None
) -> ir.Policy:
    """A policy ``P-<index>`` in force on every date, with the given conditions and amount."""
    return ir.Policy(
        id=f"P-{index:02d}",
        title=f"测试政策{index}",
        issuer="县工信局",
        basis="",
        fund="huiqi-pool",
        mode=ir.Mode.AUTOMATIC,
        effective_from=None,
        effective_to=None,
        priority=100,
        frequency=ir.Frequency.ONCE,
        stacking_group=None,
        eligibility=eligibility,
        amount=amount,
        cap=cap,
        budget=None,
        examples=(),
        file="generated.yaml",
        line=index + 1,
    )


#: An eligibility that always holds: for tests of amounts, which are computed for eligible rows.
ALWAYS = ir.Labeled("true", ir.Const(True, T.BOOL))


def policies(
    schema: Schema = STANDARD_SCHEMA,
    *,
    min_policies: int = 1,
    max_policies: int = 4,
    eligibility: st.SearchStrategy[ir.Expr] | None = None,
    amount: st.SearchStrategy[ir.Amount] | None = None,
) -> st.SearchStrategy[tuple[ir.Policy, ...]]:
    """Policies with distinct ids (``P-00``, ``P-01``...), always in force.

    ``eligibility`` and ``amount`` replace the generated ones (e.g. ``st.just(ALWAYS)`` and
    ``amounts(tiers=True)`` to test tiered amounts on every row).
    """
    one = st.tuples(
        eligibility if eligibility is not None else eligibilities(schema),
        amount if amount is not None else amounts(schema),
        # MAX_GRANT as a cap keeps the huge amounts of MONEY x FACTORS comparable (uncapped,
        # they stop the match: PM311, which the property tests check both sides agree on)
        st.one_of(st.none(), st.sampled_from([*MONEY, MAX_GRANT])),
    )
    return st.lists(one, min_size=min_policies, max_size=max_policies).map(
        lambda items: tuple(make_policy(i, *item) for i, item in enumerate(items))
    )


@dataclass(frozen=True)
class Case:
    policies: tuple[ir.Policy, ...]
    frame: pd.DataFrame
    as_of: dt.date
    schema: Schema = STANDARD_SCHEMA


def cases(
    schema: Schema = STANDARD_SCHEMA,
    *,
    max_policies: int = 4,
    max_rows: int = 20,
    eligibility: st.SearchStrategy[ir.Expr] | None = None,
    amount: st.SearchStrategy[ir.Amount] | None = None,
) -> st.SearchStrategy[Case]:
    """Policies, a registry and an as-of date: one matching problem (see :func:`policies`)."""
    return st.builds(
        Case,
        policies(schema, max_policies=max_policies, eligibility=eligibility, amount=amount),
        registries(schema, max_rows=max_rows),
        as_of_dates(),
        st.just(schema),
    )
