"""IR -> program: every distinct sub-expression of a policy set becomes one shared node.

This is the alpha network of a Rete matcher, built for columns: ``region == "361126"`` written
in forty policies (directly or through a ``define``) is one node, evaluated once per batch and
read by all forty. Nodes are interned on their kind, their own parameters and their operands'
node numbers, so sharing is found bottom-up without comparing whole trees; labels are
transparent (a labelled condition is the node of what it labels).

A few shapes get a specialised kind: a text compared with a constant, or tested against a list,
becomes ``text_in`` (one test per distinct value in the registry, not per row).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...rules import ir
from ...rules.ir import T
from ..nearmiss import Threshold, thresholds
from ..reference import finish_amount, label_of
from .exact import scaled


@dataclass(frozen=True, eq=False)
class Node:
    id: int
    kind: str
    expr: ir.Expr
    args: tuple[int, ...]
    param: Any = None


@dataclass(frozen=True)
class Part:
    """A node whose unknown rows are reported with the fields it reads."""

    node: int
    #: The fields it reads as bits: bit ``i`` is :attr:`Program.fields` ``[i]``.
    mask: int


@dataclass(frozen=True)
class Tier:
    when: Part
    value: Part


@dataclass(frozen=True)
class Plan:
    """What the batch core does for one policy, in node numbers."""

    policy: ir.Policy
    root: Part
    #: Top-level conditions, when there are two or more and one is a threshold (else no near
    #: misses: :func:`..nearmiss.thresholds`).
    tops: tuple[int, ...]
    top_labels: tuple[str, ...]
    #: The labels as codes into :attr:`Program.texts`.
    top_codes: tuple[int, ...]
    #: The innermost labelled conditions: what an unknown eligibility is blamed on.
    leaves: tuple[Part, ...]
    amount: Part | None
    tiers: tuple[Tier, ...]
    #: The amount in fen when it is a constant (computed once here, as the reference does).
    fen: int | None = None
    #: Per top-level condition, its threshold (or None) and the node of its margin test.
    thresholds: tuple[Threshold | None, ...] = ()
    within: tuple[int, ...] = ()


@dataclass(frozen=True)
class Program:
    nodes: tuple[Node, ...]
    plans: tuple[Plan, ...]
    #: The registry fields the policies read (``age_years`` as ``registered_on``), sorted.
    fields: tuple[str, ...]
    #: The labels of all top-level conditions: the first texts of every result's text table.
    texts: tuple[str, ...]


_KIND: dict[type[ir.Expr], str] = {
    ir.Const: "const",
    ir.Field: "field",
    ir.AsOf: "as_of",
    ir.Not: "not",
    ir.And: "and",
    ir.Or: "or",
    ir.Compare: "compare",
    ir.Arith: "arith",
    ir.Neg: "neg",
    ir.InList: "in_list",
    ir.HasTag: "has_tag",
    ir.StartsWith: "startswith",
    ir.IfElse: "if_else",
    ir.Call: "call",
}


def _own(expr: ir.Expr) -> tuple[Any, ...]:
    """The parameters of a node that are not sub-expressions (op, constant, field name...)."""
    out: list[Any] = []
    for f in dataclasses.fields(expr):
        value = getattr(expr, f.name)
        if isinstance(value, ir.Expr):
            continue
        if isinstance(value, tuple) and value and isinstance(value[0], ir.Expr):
            continue
        # type() keeps True apart from Decimal(1), which compare equal.
        out.append((type(value), value))
    return tuple(out)


class _Builder:
    def __init__(self, fields: Sequence[str]) -> None:
        self.bit = {name: 1 << i for i, name in enumerate(fields)}
        self.nodes: list[Node] = []
        self.fields: list[frozenset[str]] = []
        self.index: dict[tuple[Any, ...], int] = {}
        # The same expression object (a define used everywhere) is interned once; the IR is
        # immutable and the policies keep every node alive while this builder lives.
        self.seen: dict[int, int] = {}

    def intern(self, expr: ir.Expr) -> int:
        found = self.seen.get(id(expr))
        if found is not None:
            return found
        inner = expr
        while isinstance(inner, ir.Labeled):
            inner = inner.expr
        kind, args, param = self._shape(inner)
        key = (kind, type(inner), _own(inner), args, param)
        found = self.index.get(key)
        if found is None:
            found = len(self.nodes)
            self.nodes.append(Node(found, kind, inner, args, param))
            read = {inner.name} if isinstance(inner, ir.Field) else set()
            self.fields.append(frozenset(read.union(*(self.fields[a] for a in args))))
            self.index[key] = found
        self.seen[id(expr)] = found
        return found

    def _shape(self, expr: ir.Expr) -> tuple[str, tuple[int, ...], Any]:
        number_const = _number_constant_compare(expr)
        if number_const is not None:
            subject, op, number = number_const
            num, k = scaled(number)
            return "compare_constant", (self.intern(subject),), (op, number, num, k)
        text_const = _text_constant_compare(expr)
        if text_const is not None:
            subject, value, negated = text_const
            return "text_in", (self.intern(subject),), (frozenset({value}), negated)
        if isinstance(expr, ir.InList) and expr.needle.type is T.TEXT:
            return (
                "text_in",
                (self.intern(expr.needle),),
                (frozenset(expr.items), expr.negated),
            )
        return _KIND[type(expr)], tuple(self.intern(c) for c in ir.children(expr)), None

    def part(self, expr: ir.Expr) -> Part:
        node = self.intern(expr)
        read = set(self.fields[node])
        return Part(node, sum(self.bit[n] for n in read))


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _number_constant_compare(expr: ir.Expr) -> tuple[ir.Expr, str, Decimal] | None:
    """``x op c`` (or ``c op x``) for a number constant ``c``: as ``(x, op, c)``."""
    if not isinstance(expr, ir.Compare) or expr.left.type is not T.NUMBER:
        return None
    for subject, other, op in (
        (expr.left, expr.right, expr.op),
        (expr.right, expr.left, _FLIPPED[expr.op]),
    ):
        if (
            isinstance(other, ir.Const)
            and isinstance(other.value, Decimal)
            and not isinstance(subject, ir.Const)
        ):
            return subject, op, other.value
    return None


def _text_constant_compare(expr: ir.Expr) -> tuple[ir.Expr, str, bool] | None:
    if not (isinstance(expr, ir.Compare) and expr.op in ("==", "!=")):
        return None
    for subject, other in ((expr.left, expr.right), (expr.right, expr.left)):
        if (
            isinstance(other, ir.Const)
            and isinstance(other.value, str)
            and subject.type is T.TEXT
            and not isinstance(subject, ir.Const)
        ):
            return subject, other.value, expr.op == "!="
    return None


def compile_program(policies: Sequence[ir.Policy]) -> Program:
    """The program of ``policies``; plans come in policy id order (the order of the results)."""
    fields = tuple(sorted(ir.registry_fields(policies)))
    if len(fields) > ir.MAX_FIELDS:  # a compiled policy set never does (PM310)
        raise ValueError(f"the policies read {len(fields)} fields; at most {ir.MAX_FIELDS}")
    b = _Builder(fields)
    plans: list[Plan] = []
    texts: dict[str, int] = {}
    for policy in sorted(policies, key=lambda p: p.id):
        found = thresholds(policy)
        tops = ir.top_conditions(policy.eligibility) if found else ()
        labels = tuple(label_of(c) for c in tops)
        amount = policy.amount
        plans.append(
            Plan(
                policy=policy,
                root=b.part(policy.eligibility),
                tops=tuple(b.intern(c) for c in tops),
                top_labels=labels,
                top_codes=tuple(texts.setdefault(label, len(texts)) for label in labels),
                leaves=tuple(dict.fromkeys(b.part(leaf) for leaf in ir.leaves(policy.eligibility))),
                amount=b.part(amount.expr) if amount.expr is not None else None,
                tiers=tuple(Tier(b.part(t.when), b.part(t.value)) for t in amount.tiers),
                fen=_constant_fen(policy),
                thresholds=found,
                within=tuple(-1 if t is None else b.intern(t.within) for t in found),
            )
        )
    return Program(tuple(b.nodes), tuple(plans), fields, tuple(texts))


def _constant_fen(policy: ir.Policy) -> int | None:
    expr = policy.amount.expr
    if isinstance(expr, ir.Const) and isinstance(expr.value, Decimal):
        return int(finish_amount(expr.value, policy.cap) * 100)
    return None
