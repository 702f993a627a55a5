"""The typed rule IR: what every backend evaluates.

Nodes are small frozen dataclasses, hashable and compared by structure, so that a backend can
share work between policies by keying a cache on the node itself (``region == "361126"`` written
in forty policies is one node value). The checker builds only well-typed trees: a backend never
meets a comparison of a date with a number.

Semantics (policy-format.md, "Missing data"): values may be null; comparisons, arithmetic,
``in``, ``startswith`` and functions on null give null (unknown); ``and``/``or``/``not`` follow
Kleene's three-valued logic; ``is_null`` and ``coalesce`` are the only ways to look at a null.
Division by zero gives null. ``round`` is half-up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ..schema import FieldType


class T(StrEnum):
    """Expression types."""

    BOOL = "boolean"
    NUMBER = "number"
    TEXT = "text"
    DATE = "date"
    TAGS = "tags"
    NULL = "null"


Scalar = Decimal | str | bool | dt.date | None


@dataclass(frozen=True)
class Expr:
    """Base of IR expressions."""

    @property
    def type(self) -> T:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


@dataclass(frozen=True)
class Const(Expr):
    """A literal value (numbers are Decimal)."""

    value: Scalar
    vtype: T

    @property
    def type(self) -> T:
        return self.vtype


@dataclass(frozen=True)
class Field(Expr):
    """A registry field, by canonical name."""

    name: str
    ftype: FieldType

    @property
    def type(self) -> T:
        return FIELD_TYPES[self.ftype]


@dataclass(frozen=True)
class AsOf(Expr):
    """The run's as-of date."""

    @property
    def type(self) -> T:
        return T.DATE


@dataclass(frozen=True)
class Not(Expr):
    """Logical NOT (unknown stays unknown)."""

    operand: Expr

    @property
    def type(self) -> T:
        return T.BOOL


@dataclass(frozen=True)
class And(Expr):
    """Logical AND of two or more operands (false wins over unknown)."""

    operands: tuple[Expr, ...]

    @property
    def type(self) -> T:
        return T.BOOL


@dataclass(frozen=True)
class Or(Expr):
    """Logical OR of two or more operands (true wins over unknown)."""

    operands: tuple[Expr, ...]

    @property
    def type(self) -> T:
        return T.BOOL


COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class Compare(Expr):
    """A binary comparison; ``op`` is one of COMPARE_OPS."""

    op: str
    left: Expr
    right: Expr

    @property
    def type(self) -> T:
        return T.BOOL


ARITH_OPS = ("+", "-", "*", "/")


@dataclass(frozen=True)
class Arith(Expr):
    """Exact decimal arithmetic on numbers."""

    op: str
    left: Expr
    right: Expr

    @property
    def type(self) -> T:
        return T.NUMBER


@dataclass(frozen=True)
class Neg(Expr):
    """Arithmetic negation."""

    operand: Expr

    @property
    def type(self) -> T:
        return T.NUMBER


@dataclass(frozen=True)
class InList(Expr):
    """``needle in [constants]`` (or ``not in``); unknown when the needle is null."""

    needle: Expr
    items: tuple[Scalar, ...]
    negated: bool = False

    @property
    def type(self) -> T:
        return T.BOOL


@dataclass(frozen=True)
class HasTag(Expr):
    """``"专精特新" in tags``: never unknown, a tags cell is a (possibly empty) set."""

    field: Field
    tag: str
    negated: bool = False

    @property
    def type(self) -> T:
        return T.BOOL


@dataclass(frozen=True)
class StartsWith(Expr):
    """``industry startswith "C3"``: a code-prefix test."""

    subject: Expr
    prefix: str

    @property
    def type(self) -> T:
        return T.BOOL


@dataclass(frozen=True)
class IfElse(Expr):
    """``then if cond else other``; null when ``cond`` is unknown."""

    cond: Expr
    then: Expr
    other: Expr
    vtype: T

    @property
    def type(self) -> T:
        return self.vtype


FUNCTIONS = ("min", "max", "abs", "round", "year", "years_between", "is_null", "coalesce", "date")


@dataclass(frozen=True)
class Call(Expr):
    """A built-in function (``date`` is folded to a constant by the checker)."""

    func: str
    args: tuple[Expr, ...]
    vtype: T

    @property
    def type(self) -> T:
        return self.vtype


@dataclass(frozen=True)
class Labeled(Expr):
    """A named condition: transparent to evaluation, the unit of explanations."""

    label: str
    expr: Expr = field(compare=True)

    @property
    def type(self) -> T:
        return self.expr.type


FIELD_TYPES: dict[FieldType, T] = {
    FieldType.CODE: T.TEXT,
    FieldType.STRING: T.TEXT,
    FieldType.ENUM: T.TEXT,
    FieldType.INTEGER: T.NUMBER,
    FieldType.MONEY: T.NUMBER,
    FieldType.RATE: T.NUMBER,
    FieldType.DATE: T.DATE,
    FieldType.BOOLEAN: T.BOOL,
    FieldType.TAGS: T.TAGS,
}


#: The direct sub-expressions of each kind of node (the others are leaves), looked up by
#: class: walks visit every node of every policy, many times over.
_CHILDREN: dict[type[Expr], Callable[[Any], tuple[Expr, ...]]] = {
    Not: lambda e: (e.operand,),
    Neg: lambda e: (e.operand,),
    Labeled: lambda e: (e.expr,),
    And: lambda e: e.operands,
    Or: lambda e: e.operands,
    Compare: lambda e: (e.left, e.right),
    Arith: lambda e: (e.left, e.right),
    InList: lambda e: (e.needle,),
    HasTag: lambda e: (e.field,),
    StartsWith: lambda e: (e.subject,),
    IfElse: lambda e: (e.cond, e.then, e.other),
    Call: lambda e: e.args,
}


def unlabeled(expr: Expr) -> Expr:
    """``expr`` without the labels around it (what a labelled condition tests)."""
    while isinstance(expr, Labeled):
        expr = expr.expr
    return expr


def children(expr: Expr) -> tuple[Expr, ...]:
    """Direct sub-expressions, for generic walks."""
    get = _CHILDREN.get(type(expr))
    return () if get is None else get(expr)


def walk(expr: Expr) -> list[Expr]:
    """Every node of the tree, pre-order."""
    out: list[Expr] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(children(node)))
    return out


def fields_of(expr: Expr) -> frozenset[str]:
    """Names of the registry fields a tree reads."""
    return frozenset(n.name for n in walk(expr) if isinstance(n, Field))


#: Registry fields that a policy set may read (PM310): the batch core keeps which of them are
#: null in a row, and which an unknown result blames, as the bits of a 64-bit integer. The
#: standard schema has 22.
MAX_FIELDS = 62


def registry_fields(policies: Sequence[Policy]) -> frozenset[str]:
    """The registry columns that the policies' conditions and amounts read."""
    # Policies share subtrees (defines, predicates written alike): each is visited once.
    seen: set[int] = set()
    names: set[str] = set()
    stack: list[Expr] = [e for p in policies for e in (p.eligibility, *p.amount.exprs())]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Field):
            names.add(node.name)
        stack.extend(children(node))
    return frozenset(names)


def leaves(expr: Expr) -> list[Labeled]:
    """The innermost labelled conditions: the units an explanation lists."""
    out: list[Labeled] = []
    for node in walk(expr):
        if isinstance(node, Labeled) and not any(isinstance(x, Labeled) for x in walk(node.expr)):
            out.append(node)
    return out


def top_conditions(expr: Expr) -> tuple[Expr, ...]:
    """The top-level conditions of an eligibility: the items of a root ``all``, else itself."""
    return expr.operands if isinstance(expr, And) else (expr,)


# --- Policies -------------------------------------------------------------------------------


class Mode(StrEnum):
    """How a grant reaches the enterprise."""

    AUTOMATIC = "免申即享"
    ON_REQUEST = "即申即享"
    ON_COMMITMENT = "承诺兑现"


class Frequency(StrEnum):
    ONCE = "once"
    YEARLY = "yearly"


@dataclass(frozen=True)
class Tier:
    """One row of a tiered amount: the first tier whose condition holds gives the value."""

    when: Expr
    value: Expr


@dataclass(frozen=True)
class Amount:
    """A policy's amount: an expression, or tiers (hit policy FIRST; none matching is 0)."""

    expr: Expr | None = None
    tiers: tuple[Tier, ...] = ()

    def exprs(self) -> tuple[Expr, ...]:
        if self.expr is not None:
            return (self.expr,)
        return tuple(e for t in self.tiers for e in (t.when, t.value))


@dataclass(frozen=True)
class Example:
    """A worked case from the policy file, run by ``policymatch test``."""

    name: str
    as_of: dt.date
    enterprise: tuple[tuple[str, object], ...]
    eligible: bool | None
    amount: Decimal | None
    fails: tuple[str, ...] | None
    file: str
    line: int


@dataclass(frozen=True)
class Policy:
    """One compiled policy."""

    id: str
    title: str
    issuer: str
    basis: str
    fund: str
    mode: Mode
    effective_from: dt.date | None
    effective_to: dt.date | None
    priority: int
    frequency: Frequency
    stacking_group: str | None
    eligibility: Expr
    amount: Amount
    cap: Decimal | None
    budget: Decimal | None
    examples: tuple[Example, ...]
    file: str
    line: int
    #: ``final``: a budget cut is final; ``carry``: the unpaid remainder is due later (补发).
    shortfall: str = "final"
    #: ``near_miss_margin:`` (a share, 0.2 for 20%); None: the run's (backends/nearmiss.py).
    near_miss_margin: Decimal | None = None

    def in_force(self, as_of: dt.date) -> bool:
        """Whether ``as_of`` is inside ``effective`` (both ends inclusive)."""
        if self.effective_from is not None and as_of < self.effective_from:
            return False
        return self.effective_to is None or as_of <= self.effective_to


@dataclass(frozen=True)
class Fund:
    id: str
    title: str
    budget: Decimal | None
    #: The pool's size (a revolving pool with a balance in the ledger), or None.
    scale: Decimal | None = None
    #: (year, appropriation) pairs, by year.
    annual: tuple[tuple[int, Decimal], ...] = ()
    #: Where 回补 may come from.
    sources: tuple[str, ...] = ("上级", "本级")
