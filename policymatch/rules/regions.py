"""What a condition allows, per field: intervals and value sets, without a solver.

A condition that is a conjunction of simple tests (a field against a constant: comparisons,
``in``/``not in``, a boolean field or its negation, a tag test) is, per field, an interval of
numbers or dates or a set of values. That is enough to decide what authors get wrong: a
condition that can never hold (``employees >= 50 and employees < 10``, ``size == "小型" and
size == "微型"``), a tier hidden by an earlier, broader one, two policies that can hold for
the same enterprise. Tests we cannot represent are dropped, which makes the region larger:
a verdict of "empty" or "inside" is only given on exact regions where it must hold for all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ..schema import FieldType, Schema
from . import ir

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


@dataclass(frozen=True)
class Interval:
    """A set of numbers: lo..hi with open or closed ends (None is unbounded)."""

    lo: Decimal | None = None
    lo_closed: bool = True
    hi: Decimal | None = None
    hi_closed: bool = True

    def meet(self, other: Interval) -> Interval:
        lo, lo_closed = self.lo, self.lo_closed
        if other.lo is not None and (
            lo is None or other.lo > lo or (other.lo == lo and not other.lo_closed)
        ):
            lo, lo_closed = other.lo, other.lo_closed
        hi, hi_closed = self.hi, self.hi_closed
        if other.hi is not None and (
            hi is None or other.hi < hi or (other.hi == hi and not other.hi_closed)
        ):
            hi, hi_closed = other.hi, other.hi_closed
        return Interval(lo, lo_closed, hi, hi_closed)

    @property
    def empty(self) -> bool:
        if self.lo is None or self.hi is None:
            return False
        return self.lo > self.hi or (self.lo == self.hi and not (self.lo_closed and self.hi_closed))

    def within(self, other: Interval) -> bool:
        """Whether every number of ``self`` is in ``other``."""
        if self.empty:
            return True
        if other.lo is not None and (
            self.lo is None
            or self.lo < other.lo
            or (self.lo == other.lo and self.lo_closed and not other.lo_closed)
        ):
            return False
        return not (
            other.hi is not None
            and (
                self.hi is None
                or self.hi > other.hi
                or (self.hi == other.hi and self.hi_closed and not other.hi_closed)
            )
        )


@dataclass(frozen=True)
class ValueSet:
    """A set of discrete values: ``only`` these (None: any) except those ``excluded``."""

    only: frozenset[object] | None = None
    excluded: frozenset[object] = frozenset()

    def meet(self, other: ValueSet) -> ValueSet:
        if self.only is None:
            only = other.only
        elif other.only is None:
            only = self.only
        else:
            only = self.only & other.only
        return ValueSet(only, self.excluded | other.excluded)

    @property
    def empty(self) -> bool:
        return self.only is not None and not (self.only - self.excluded)

    def within(self, other: ValueSet) -> bool:
        if self.empty:
            return True
        if self.only is None:
            return other.only is None and other.excluded <= self.excluded
        mine = self.only - self.excluded
        allowed = mine if other.only is None else other.only
        return mine <= allowed and not (mine & other.excluded)


Constraint = Interval | ValueSet
Region = dict[str, Constraint]


@dataclass(frozen=True)
class Shape:
    """A condition's region; ``exact`` when no test was dropped to compute it."""

    region: Region
    exact: bool

    @property
    def empty(self) -> bool:
        return any(c.empty for c in self.region.values())


def meet(a: Region, b: Region) -> Region:
    out = dict(a)
    for key, c in b.items():
        mine = out.get(key)
        out[key] = c if mine is None else _meet_one(mine, c)
    return out


def within(a: Region, b: Region) -> bool:
    """Whether every point of ``a`` is in ``b`` (for ``b`` exact)."""
    if any(c.empty for c in a.values()):
        return True
    return all(key in a and _within_one(a[key], theirs) for key, theirs in b.items())


def _meet_one(a: Constraint, b: Constraint) -> Constraint:
    if isinstance(a, Interval):
        return a.meet(b) if isinstance(b, Interval) else a
    return a.meet(b) if isinstance(b, ValueSet) else a


def _within_one(a: Constraint, b: Constraint) -> bool:
    if isinstance(a, Interval):
        return isinstance(b, Interval) and a.within(b)
    return isinstance(b, ValueSet) and a.within(b)


def shape(expr: ir.Expr) -> Shape:
    """The region of ``expr`` over the conjuncts that are simple tests."""
    region: Region = {}
    exact = True
    for part in _conjuncts(expr):
        if isinstance(part, ir.Const) and isinstance(part.value, bool):
            if not part.value:
                return Shape({"": ValueSet(frozenset())}, True)
            continue
        atom = _atom(part, negated=False)
        if atom is None:
            exact = False
            continue
        key, c = atom
        if key in region and type(region[key]) is not type(c):
            # A field tested both as a range and as a set of values: keep one, and say so.
            exact = False
            continue
        mine = region.get(key)
        region[key] = c if mine is None else _meet_one(mine, c)
    return Shape(region, exact)


def domain(schema: Schema, keys: set[str]) -> Region:
    """The values a registry can hold for ``keys`` by the schema's types and enum values.

    Money and head counts are never negative; a rate is a share from 0 to 100%; an enum holds
    one of its values, a boolean true or false. Other fields are unbounded.
    """
    out: Region = {}
    for key in keys:
        name = key.split(":", 1)[0]
        f = schema.lookup(name)
        if f is None or ":" in key:
            continue
        if f.type in (FieldType.MONEY, FieldType.INTEGER):
            out[key] = Interval(lo=Decimal(0))
        elif f.type is FieldType.RATE:
            out[key] = Interval(lo=Decimal(0), hi=Decimal(1))
        elif f.type is FieldType.ENUM:
            out[key] = ValueSet(frozenset(f.values))
        elif f.type is FieldType.BOOLEAN:
            out[key] = ValueSet(frozenset((True, False)))
    return out


def _conjuncts(expr: ir.Expr) -> list[ir.Expr]:
    expr = ir.unlabeled(expr)
    if isinstance(expr, ir.And):
        return [p for op in expr.operands for p in _conjuncts(op)]
    return [expr]


def _scalar(value: object) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, dt.date):
        return Decimal(value.toordinal())
    return None


def _atom(expr: ir.Expr, negated: bool) -> tuple[str, Constraint] | None:
    expr = ir.unlabeled(expr)
    if isinstance(expr, ir.Not):
        return _atom(expr.operand, not negated)
    if isinstance(expr, ir.Field) and expr.ftype is FieldType.BOOLEAN:
        return expr.name, ValueSet(frozenset((not negated,)))
    if isinstance(expr, ir.HasTag):
        return f"{expr.field.name}:{expr.tag}", ValueSet(frozenset((expr.negated == negated,)))
    if isinstance(expr, ir.InList) and isinstance(expr.needle, ir.Field):
        items = frozenset(expr.items)
        if expr.negated != negated:
            return expr.needle.name, ValueSet(excluded=items)
        return expr.needle.name, ValueSet(items)
    if isinstance(expr, ir.Compare):
        return _compare(expr, negated)
    return None


def _compare(expr: ir.Compare, negated: bool) -> tuple[str, Constraint] | None:
    op, left, right = expr.op, expr.left, expr.right
    if isinstance(left, ir.Const):
        left, right, op = right, left, _FLIP[op]
    if not (isinstance(left, ir.Field) and isinstance(right, ir.Const)):
        return None
    if negated:
        op = _NEGATE[op]
    value = right.value
    number = _scalar(value)
    if number is None or isinstance(value, bool):
        if op == "==":
            return left.name, ValueSet(frozenset((value,)))
        if op == "!=":
            return left.name, ValueSet(excluded=frozenset((value,)))
        return None
    if op == ">=":
        return left.name, Interval(lo=number)
    if op == ">":
        return left.name, Interval(lo=number, lo_closed=False)
    if op == "<=":
        return left.name, Interval(hi=number)
    if op == "<":
        return left.name, Interval(hi=number, hi_closed=False)
    if op == "==":
        return left.name, Interval(number, True, number, True)
    return None
