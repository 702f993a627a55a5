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

from ...money import MAX_GRANT
from ...rules import ir
from ...rules.ir import T
from ...schema import SCALE
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
class Linear:
    """An amount that is a number field times a constant, ``field × num / 10**k`` (``rd_expense *
    5%``; ``num = 1, k = 0`` for the field alone): a compiled loop computes its fen on the
    eligible rows (:mod:`.amounts`)."""

    field: str
    num: int
    k: int


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
    #: The amount's shape when it is a field times a constant.
    linear: Linear | None = None
    #: Per tier, its amount in fen, when every tier's value is a constant.
    tier_fen: tuple[int, ...] | None = None


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


def _own_names(cls: type[ir.Expr]) -> tuple[str, ...]:
    """The names of a node class's own parameters (op, constant, field name...): its fields
    that are not sub-expressions, from their annotations."""
    subs = ("Expr", "Field", "tuple[Expr, ...]")
    return tuple(f.name for f in dataclasses.fields(cls) if f.type not in subs)


_NO_ARGS: tuple[int, ...] = ()

_OWN = {cls: _own_names(cls) for cls in (*_KIND, ir.Labeled)}


def _own(expr: ir.Expr) -> tuple[Any, ...]:
    """The parameters of a node that are not sub-expressions."""
    # type() keeps True apart from Decimal(1), which compare equal.
    return tuple([(type(v), v) for v in [getattr(expr, n) for n in _OWN[type(expr)]]])


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.fields: list[frozenset[str]] = []
        self.index: dict[tuple[Any, ...], int] = {}
        # Each expression object is looked at once: the compiler gives every policy that writes
        # a condition alike (or uses a define) the same object. The IR is immutable and the
        # policies keep every node alive while this builder lives, so ids stay theirs.
        self.seen: dict[int, int] = {}
        self.labelled: dict[int, bool] = {}
        self.found_leaves: dict[int, tuple[int, ...]] = {}
        self.bit: dict[str, int] = {}
        self.parts: dict[int, Part] = {}
        #: Thresholds by condition object and margin (:func:`..nearmiss.thresholds`).
        self.thresholds: dict[tuple[int, str], Threshold | None] = {}

    def intern(self, expr: ir.Expr) -> int:
        found = self.seen.get(id(expr))
        if found is not None:
            return found
        if isinstance(expr, ir.Labeled):  # transparent: the node of what it labels
            found = self.intern(expr.expr)
        else:
            if isinstance(expr, ir.Field):  # the most common node: its key without the generic walk
                kind, args, param = "field", _NO_ARGS, None
                key: tuple[Any, ...] = (kind, ir.Field, (expr.name, expr.ftype), args, param)
            else:
                kind, args, param = self._shape(expr)
                key = (kind, type(expr), _own(expr), args, param)
            found = self.index.get(key)
            if found is None:
                found = len(self.nodes)
                self.nodes.append(Node(found, kind, expr, args, param))
                fields = self.fields
                fields.append(
                    frozenset((expr.name,))
                    if isinstance(expr, ir.Field)
                    else fields[args[0]].union(*(fields[a] for a in args[1:]))
                    if args
                    else frozenset()
                )
                self.index[key] = found
        self.seen[id(expr)] = found
        return found

    def _shape(self, expr: ir.Expr) -> tuple[str, tuple[int, ...], Any]:
        kind = type(expr)
        if kind is ir.Compare:
            number_const = _number_constant_compare(expr)
            if number_const is not None:
                subject, op, number = number_const
                num, k = scaled(number)
                return "compare_constant", (self.intern(subject),), (op, number, num, k)
            text_const = _text_constant_compare(expr)
            if text_const is not None:
                subject, value, negated = text_const
                return "text_in", (self.intern(subject),), (frozenset({value}), negated)
        elif isinstance(expr, ir.InList) and expr.needle.type is T.TEXT:
            return (
                "text_in",
                (self.intern(expr.needle),),
                (frozenset(expr.items), expr.negated),
            )
        return _KIND[kind], tuple(self.intern(c) for c in ir.children(expr)), None

    def leaves(self, expr: ir.Expr) -> tuple[int, ...]:
        """The nodes of :func:`ir.leaves` of ``expr``, in its order, each once."""
        found = self.found_leaves.get(id(expr))
        if found is None:
            if isinstance(expr, ir.Labeled) and not self._has_label(expr.expr):
                found = (self.intern(expr),)
            elif self._has_label(expr):
                found = tuple(dict.fromkeys(n for c in ir.children(expr) for n in self.leaves(c)))
            else:
                found = ()
            self.found_leaves[id(expr)] = found
        return found

    def _has_label(self, expr: ir.Expr) -> bool:
        found = self.labelled.get(id(expr))
        if found is None:
            found = self.labelled[id(expr)] = isinstance(expr, ir.Labeled) or any(
                self._has_label(c) for c in ir.children(expr)
            )
        return found

    def number_fields(self, fields: Sequence[str]) -> None:
        """Give the fields their bits (``fields`` is every field the nodes read, sorted)."""
        self.bit = {name: 1 << i for i, name in enumerate(fields)}

    def part(self, node: int) -> Part:
        found = self.parts.get(node)
        if found is None:
            found = self.parts[node] = Part(node, sum(self.bit[n] for n in self.fields[node]))
        return found


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
    b = _Builder()
    ordered = sorted(policies, key=lambda p: p.id)
    # First every node, then the fields they read (numbered in sorted order), then the parts.
    shapes = []
    for policy in ordered:
        found = thresholds(policy, memo=b.thresholds)
        tops = ir.top_conditions(policy.eligibility) if found else ()
        amount = policy.amount
        shapes.append(
            (
                found,
                tops,
                b.intern(policy.eligibility),
                b.leaves(policy.eligibility),
                b.intern(amount.expr) if amount.expr is not None else None,
                [(b.intern(t.when), b.intern(t.value)) for t in amount.tiers],
            )
        )
    read = frozenset().union(*(b.fields[s[2]] for s in shapes))
    read = read.union(*(b.fields[n] for s in shapes for n in _amount_nodes(s[4], s[5])))
    fields = tuple(sorted(read))
    if len(fields) > ir.MAX_FIELDS:  # a compiled policy set never does (PM310)
        raise ValueError(f"the policies read {len(fields)} fields; at most {ir.MAX_FIELDS}")
    b.number_fields(fields)
    plans: list[Plan] = []
    texts: dict[str, int] = {}
    for policy, (found, tops, root, leaves, amount_node, tiers) in zip(
        ordered, shapes, strict=True
    ):
        labels = tuple(label_of(c) for c in tops)
        plans.append(
            Plan(
                policy=policy,
                root=b.part(root),
                tops=tuple(b.intern(c) for c in tops),
                top_labels=labels,
                top_codes=tuple(texts.setdefault(label, len(texts)) for label in labels),
                leaves=tuple(b.part(n) for n in leaves),
                amount=b.part(amount_node) if amount_node is not None else None,
                tiers=tuple(Tier(b.part(w), b.part(v)) for w, v in tiers),
                fen=_constant_fen(policy),
                thresholds=found,
                within=tuple(-1 if t is None else b.intern(t.within) for t in found),
                linear=_linear(policy.amount.expr),
                tier_fen=_tier_fen(policy),
            )
        )
    return Program(tuple(b.nodes), tuple(plans), fields, tuple(texts))


def _amount_nodes(expr: int | None, tiers: list[tuple[int, int]]) -> list[int]:
    return [expr] if expr is not None else [n for tier in tiers for n in tier]


def _constant_fen(policy: ir.Policy) -> int | None:
    expr = policy.amount.expr
    if isinstance(expr, ir.Const) and isinstance(expr.value, Decimal):
        return _fen(expr.value, policy.cap)
    return None


def _fen(value: Decimal, cap: Decimal | None) -> int | None:
    """A constant amount in fen, as the reference computes it; None beyond
    :data:`~policymatch.money.MAX_GRANT`, which the general path refuses for the enterprises
    it is granted to (PM311)."""
    amount = finish_amount(value, cap)
    return None if amount > MAX_GRANT else int(amount * 100)


def _tier_fen(policy: ir.Policy) -> tuple[int, ...] | None:
    values = [ir.unlabeled(t.value) for t in policy.amount.tiers]
    if not values or not all(
        isinstance(v, ir.Const) and isinstance(v.value, Decimal) for v in values
    ):
        return None
    out: list[int] = []
    for v in values:
        fen = _fen(v.value, policy.cap)  # type: ignore[attr-defined]
        if fen is None:
            return None
        out.append(fen)
    return tuple(out)


def _linear(expr: ir.Expr | None) -> Linear | None:
    """The :class:`Linear` shape of an amount expression, if it has it."""
    expr = ir.unlabeled(expr) if expr is not None else None
    if _number_field(expr):
        assert isinstance(expr, ir.Field)
        return Linear(expr.name, 1, 0)
    if not (isinstance(expr, ir.Arith) and expr.op == "*"):
        return None
    for field, factor in ((expr.left, expr.right), (expr.right, expr.left)):
        field, factor = ir.unlabeled(field), ir.unlabeled(factor)
        if (
            _number_field(field)
            and isinstance(factor, ir.Const)
            and isinstance(factor.value, Decimal)
        ):
            assert isinstance(field, ir.Field)
            return Linear(field.name, *scaled(factor.value))
    return None


def _number_field(expr: ir.Expr | None) -> bool:
    return isinstance(expr, ir.Field) and expr.ftype in SCALE
