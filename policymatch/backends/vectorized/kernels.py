"""One kernel per IR node kind: the node's column from its operands' columns.

Kernels are pure functions of their inputs; sharing, caching and row subsets are the
evaluator's business (:mod:`.evaluate`). Semantics are those of the reference evaluator, node
for node: nulls propagate, Kleene logic, ``is_null`` and ``coalesce`` look at nulls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import reduce
from typing import Any, Protocol

import numpy as np

from ...rules import ir
from ...rules.ir import T
from . import bits as B
from . import exact
from .bits import BoolArray, IntArray
from .columns import (
    NULL,
    Column,
    Day,
    Dec,
    Ints,
    Null,
    Num,
    ObjArray,
    Rows,
    Tags,
    Text,
    Tri,
    known_of,
    text_column,
)
from .program import Node

EPOCH = dt.date(1970, 1, 1)


class Source(Protocol):
    """Where field columns come from (a whole frame, or some of its rows)."""

    rows: Rows
    as_of: dt.date

    def field(self, name: str) -> Column: ...

    def tag_bit(self, field: str, tag: str) -> int: ...


Kernel = Callable[[Node, list[Column], Source], Column]


def day_number(value: dt.date) -> int:
    return (value - EPOCH).days


# --- conditions -----------------------------------------------------------------------------


def as_tri(col: Column, rows: Rows) -> Tri:
    if isinstance(col, Null):
        return Tri(rows.none, rows.none)
    assert isinstance(col, Tri)
    return col


def _not(node: Node, args: list[Column], src: Source) -> Column:
    a = as_tri(args[0], src.rows)
    return Tri(a.f, a.t)


def _and(node: Node, args: list[Column], src: Source) -> Column:
    tris = [a if type(a) is Tri else as_tri(a, src.rows) for a in args]
    return Tri(
        reduce(np.bitwise_and, [a.t for a in tris]), reduce(np.bitwise_or, [a.f for a in tris])
    )


def _or(node: Node, args: list[Column], src: Source) -> Column:
    tris = [a if type(a) is Tri else as_tri(a, src.rows) for a in args]
    return Tri(
        reduce(np.bitwise_or, [a.t for a in tris]), reduce(np.bitwise_and, [a.f for a in tris])
    )


def _hits(packed: B.Bits, known: B.Bits, negated: bool) -> Tri:
    """A condition from the rows that match (packed), counted where ``known``."""
    yes, no = packed & known, known & ~packed
    return Tri(no, yes) if negated else Tri(yes, no)


# --- comparisons ----------------------------------------------------------------------------


def _compare(node: Node, args: list[Column], src: Source) -> Column:
    expr = node.expr
    assert isinstance(expr, ir.Compare)
    rows = src.rows
    a, b = args
    if isinstance(a, Null) or isinstance(b, Null):
        return Tri(rows.none, rows.none)
    if isinstance(a, Tri) and isinstance(b, Tri):
        same = Tri((a.t & b.t) | (a.f & b.f), (a.t & b.f) | (a.f & b.t))
        return same if expr.op == "==" else Tri(same.f, same.t)
    if isinstance(a, (Num, Dec)) and isinstance(b, (Num, Dec)):
        return exact.compare(expr.op, a, b, rows)
    if isinstance(a, Day) and isinstance(b, Day):
        return exact.holds(exact.COMPARE[expr.op](a.v, b.v), a.known & b.known, rows)
    assert isinstance(a, Text)
    assert isinstance(b, Text)
    equal = np.asarray(a.objects() == b.objects(), dtype=np.bool_)
    return _hits(B.pack(equal), a.known & b.known, expr.op == "!=")


def _compare_constant(node: Node, args: list[Column], src: Source) -> Column:
    op, value, num, k = node.param
    return exact.compare_constant(op, exact.as_number(args[0], src.rows), value, num, k, src.rows)


def _in_list(node: Node, args: list[Column], src: Source) -> Column:
    expr = node.expr
    assert isinstance(expr, ir.InList)
    rows = src.rows
    a = args[0]
    if isinstance(a, Null):
        return Tri(rows.none, rows.none)
    if isinstance(a, Tri):
        hit = (a.t if True in expr.items else rows.none) | (
            a.f if False in expr.items else rows.none
        )
        miss = (a.f if False not in expr.items else rows.none) | (
            a.t if True not in expr.items else rows.none
        )
        return Tri(miss, hit) if expr.negated else Tri(hit, miss)
    if isinstance(a, (Num, Dec)):
        items = [i for i in expr.items if isinstance(i, Decimal)]
        return _hits(B.pack(exact.member(a, items, rows)), a.known, expr.negated)
    if isinstance(a, Day):
        days = np.array([day_number(i) for i in expr.items if isinstance(i, dt.date)])
        same: BoolArray = np.broadcast_to(np.isin(a.v, days), (rows.n,))
        return _hits(B.pack(same), a.known, expr.negated)
    assert isinstance(a, Text)
    wanted = set(expr.items)
    return _hits(a.where([u in wanted for u in a.uniques], rows), a.known, expr.negated)


def _text_in(node: Node, args: list[Column], src: Source) -> Column:
    """``text == "c"``, ``!=`` and ``in [...]`` on text: one test per distinct value."""
    values, negated = node.param
    a = args[0]
    if isinstance(a, Null):
        return Tri(src.rows.none, src.rows.none)
    assert isinstance(a, Text)
    return _hits(a.where([u in values for u in a.uniques], src.rows), a.known, negated)


def _startswith(node: Node, args: list[Column], src: Source) -> Column:
    expr = node.expr
    assert isinstance(expr, ir.StartsWith)
    a = args[0]
    if isinstance(a, Null):
        return Tri(src.rows.none, src.rows.none)
    assert isinstance(a, Text)
    prefix = expr.prefix
    return _hits(a.where([str(u).startswith(prefix) for u in a.uniques], src.rows), a.known, False)


def _has_tag(node: Node, args: list[Column], src: Source) -> Column:
    expr = node.expr
    assert isinstance(expr, ir.HasTag)
    tags = args[0]
    assert isinstance(tags, Tags)
    bit = src.tag_bit(expr.field.name, expr.tag)
    has = (tags.v >> np.int64(bit)) & 1
    return _hits(B.pack(has.astype(np.bool_)), tags.known, expr.negated)


# --- values ---------------------------------------------------------------------------------


def _const(node: Node, args: list[Column], src: Source) -> Column:
    expr = node.expr
    assert isinstance(expr, ir.Const)
    rows, value = src.rows, expr.value
    if value is None:
        return NULL
    if isinstance(value, bool):
        return Tri(rows.all, rows.none) if value else Tri(rows.none, rows.all)
    if isinstance(value, Decimal):
        return exact.constant(value, rows)
    if isinstance(value, dt.date):
        return Day(np.int64(day_number(value)), rows.all)
    return Text(np.zeros(rows.n, dtype=np.int64), np.array([value], dtype=object))


def _field(node: Node, args: list[Column], src: Source) -> Column:
    expr = node.expr
    assert isinstance(expr, ir.Field)
    return src.field(expr.name)


def _as_of(node: Node, args: list[Column], src: Source) -> Column:
    return Day(np.int64(day_number(src.as_of)), src.rows.all)


def _arith(node: Node, args: list[Column], src: Source) -> Column:
    expr = node.expr
    assert isinstance(expr, ir.Arith)
    a, b = (exact.as_number(x, src.rows) for x in args)
    return exact.arith(expr.op, a, b, src.rows)


def _neg(node: Node, args: list[Column], src: Source) -> Column:
    return exact.negate(exact.as_number(args[0], src.rows), src.rows)


def _if_else(node: Node, args: list[Column], src: Source) -> Column:
    expr = node.expr
    assert isinstance(expr, ir.IfElse)
    rows = src.rows
    cond = as_tri(args[0], rows)
    return _choose(expr.vtype, [Tri(cond.t, rows.none), Tri(cond.f, rows.none)], args[1:], rows)


def _choose(vtype: T, picks: Sequence[Tri], cols: Sequence[Column], rows: Rows) -> Column:
    """Per row, the column of the first pick that holds (unknown where none does).

    ``picks[i].t`` says where ``cols[i]`` is chosen; the picks are disjoint.
    """
    if vtype is T.NULL:
        return NULL
    if vtype is T.BOOL:
        tris = [as_tri(c, rows) for c in cols]
        return Tri(
            reduce(np.bitwise_or, [p.t & c.t for p, c in zip(picks, tris, strict=True)]),
            reduce(np.bitwise_or, [p.t & c.f for p, c in zip(picks, tris, strict=True)]),
        )
    if vtype is T.NUMBER:
        nums = [exact.as_number(c, rows) for c in cols]
        assert len(nums) == 2
        return exact.select(Tri(picks[0].t, picks[1].t), nums[0], nums[1], rows)
    known = reduce(
        np.bitwise_or, [p.t & known_of(c, rows) for p, c in zip(picks, cols, strict=True)]
    )
    masks = [B.unpack(p.t, rows.n) for p in picks]
    if vtype is T.TEXT:
        objs = [_objects(c, rows) for c in cols]
        chosen: ObjArray = np.select(masks, objs, np.array(None, dtype=object))
        chosen[~B.unpack(known, rows.n)] = None
        return text_column(chosen)
    ints = [_ints(c, rows) for c in cols]
    values = np.select(masks, [np.broadcast_to(v, (rows.n,)) for v in ints], 0)
    return Tags(values, known) if vtype is T.TAGS else Day(values, known)


def _objects(col: Column, rows: Rows) -> ObjArray:
    if isinstance(col, Null):
        return np.full(rows.n, None, dtype=object)
    assert isinstance(col, Text)
    return col.objects()


def _ints(col: Column, rows: Rows) -> Ints:
    if isinstance(col, Null):
        return np.int64(0)
    assert isinstance(col, (Day, Tags))
    return col.v


def _call(node: Node, args: list[Column], src: Source) -> Column:
    expr = node.expr
    assert isinstance(expr, ir.Call)
    rows, func = src.rows, expr.func
    if func == "is_null":
        known = known_of(args[0], rows)
        return Tri(rows.unknown(known), known)
    if func == "coalesce":
        return _coalesce(expr.vtype, args, rows)
    if func in ("min", "max") and expr.vtype is T.DATE:
        return _date_extreme(func, args, rows)
    if func in ("year", "years_between"):
        return _date_number(func, args, rows)
    nums = [exact.as_number(a, rows) for a in args]
    if func in ("min", "max"):
        return exact.extreme(func, nums, rows)
    if func == "abs":
        return exact.absolute(nums[0], rows)
    assert func == "round"
    places = 0
    if len(expr.args) > 1:
        const = expr.args[1]
        assert isinstance(const, ir.Const)
        assert isinstance(const.value, Decimal)
        places = int(const.value)
    return exact.round_to(nums[0], places, rows)


def _coalesce(vtype: T, args: list[Column], rows: Rows) -> Column:
    if vtype is T.NUMBER:
        return exact.first_known([exact.as_number(a, rows) for a in args], rows)
    # The first known argument is picked: argument i where it is known and no earlier one is.
    picks: list[Tri] = []
    unseen = rows.all
    for a in args:
        known = known_of(a, rows)
        picks.append(Tri(unseen & known, rows.none))
        unseen = unseen & ~known
    return _choose(vtype, picks, args, rows)


def _date_extreme(func: str, args: list[Column], rows: Rows) -> Column:
    if any(isinstance(a, Null) for a in args):
        return Day(np.int64(0), rows.none)
    days = [a for a in args if isinstance(a, Day)]
    pick = np.minimum if func == "min" else np.maximum
    return Day(reduce(pick, [d.v for d in days]), reduce(np.bitwise_and, [d.known for d in days]))


def _civil(days: Ints) -> tuple[IntArray, IntArray]:
    d = np.asarray(days).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month * 100 + day


def _calendar(days: Ints) -> tuple[IntArray, IntArray]:
    """Year, and month * 100 + day, of day numbers.

    A registry's dates span a few decades, far fewer days than rows: the calendar is worked
    out once per day of that span and looked up.
    """
    values = np.asarray(days)
    if values.size < 4096:
        return _civil(values)
    low, high = int(values.min()), int(values.max())
    if high - low >= values.size:
        return _civil(values)
    year, monthday = _civil(np.arange(low, high + 1, dtype=np.int64))
    at = values - low
    return year[at], monthday[at]


def years_between(start: Ints, end: Ints) -> IntArray:
    """Whole years by anniversaries, as :func:`policymatch.backends.reference.years_between`."""
    y0, md0 = _calendar(start)
    y1, md1 = _calendar(end)
    return np.asarray(y1 - y0 - (md1 < md0), dtype=np.int64)


#: No date has a year beyond 9999, so year numbers and year differences stay below this.
_YEAR_BOUND = 10_000


def _date_number(func: str, args: list[Column], rows: Rows) -> Column:
    if any(isinstance(a, Null) for a in args):
        return exact.unknown_num(rows)
    days = [a for a in args if isinstance(a, Day)]
    known = reduce(np.bitwise_and, [d.known for d in days])
    if func == "year":
        value: Any = _calendar(days[0].v)[0]
    else:
        value = years_between(days[0].v, days[1].v)
    return Num(value, 0, known, _YEAR_BOUND)


KERNELS: dict[str, Kernel] = {
    "const": _const,
    "field": _field,
    "as_of": _as_of,
    "not": _not,
    "and": _and,
    "or": _or,
    "compare": _compare,
    "compare_constant": _compare_constant,
    "arith": _arith,
    "neg": _neg,
    "in_list": _in_list,
    "text_in": _text_in,
    "startswith": _startswith,
    "has_tag": _has_tag,
    "if_else": _if_else,
    "call": _call,
}
