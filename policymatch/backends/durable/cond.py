"""Candidate conditions: the part of a policy that durable_rules evaluates, as a small tree.

An :class:`Atom` is one comparison of a fact attribute with a constant (``f3_hi >= 500000``);
:class:`AllOf` and :class:`AnyOf` combine them. ``TOP`` (an empty ``AllOf``) holds for every
enterprise, ``BOTTOM`` (an empty ``AnyOf``) for none. The smart constructors :func:`all_of`
and :func:`any_of` flatten and simplify, so a condition that lost its atoms collapses.

durable_rules fires a rule's action once per *path* (a disjunct of the condition's disjunctive
normal form), and its limits count paths: :func:`paths` is that count, :func:`widen` caps it by
replacing sub-conditions with ``TOP`` (which keeps a candidate condition sound: it only ever
admits more enterprises), and :func:`conjunctions` lists the paths, one durable rule each.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

#: durable_rules comparison operators (``$eq`` is written as a bare ``{attr: value}``).
OPS = ("$eq", "$neq", "$lt", "$lte", "$gt", "$gte")


@dataclass(frozen=True)
class Atom:
    """``attr op value`` on the enterprise fact."""

    attr: str
    op: str
    value: int | str

    def to_json(self) -> dict[str, object]:
        if self.op == "$eq":
            return {self.attr: self.value}
        return {self.op: {self.attr: self.value}}


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Cond, ...]


Cond = Atom | AllOf | AnyOf

TOP = AllOf(())
BOTTOM = AnyOf(())


def all_of(*parts: Cond) -> Cond:
    flat: list[Cond] = []
    for part in parts:
        if part == BOTTOM:
            return BOTTOM
        flat.extend(part.parts if isinstance(part, AllOf) else (part,))
    unique = tuple(dict.fromkeys(flat))
    return unique[0] if len(unique) == 1 else AllOf(unique)


def any_of(*parts: Cond) -> Cond:
    flat: list[Cond] = []
    for part in parts:
        if part == TOP:
            return TOP
        flat.extend(part.parts if isinstance(part, AnyOf) else (part,))
    unique = tuple(dict.fromkeys(flat))
    return unique[0] if len(unique) == 1 else AnyOf(unique)


def paths(cond: Cond) -> int:
    """How many durable rules the condition becomes (its disjunctive normal form's size)."""
    if isinstance(cond, Atom):
        return 1
    if isinstance(cond, AllOf):
        return math.prod(paths(p) for p in cond.parts)
    return sum(paths(p) for p in cond.parts)


def widen(cond: Cond, budget: int) -> Cond:
    """A condition of at most ``budget`` paths that holds wherever ``cond`` holds.

    Conjunctions give up their most branching parts first; a disjunction with more branches
    than the budget becomes ``TOP``. Both only admit more enterprises, never fewer.
    """
    if paths(cond) <= budget:
        return cond
    if isinstance(cond, AnyOf):
        if len(cond.parts) > budget:
            return TOP
        share = budget // len(cond.parts)
        return any_of(*(widen(p, share) for p in cond.parts))
    assert isinstance(cond, AllOf)
    parts = [widen(p, budget) for p in cond.parts]
    while math.prod(paths(p) for p in parts) > budget:
        widest = max(range(len(parts)), key=lambda i: paths(parts[i]))
        parts[widest] = TOP
    return all_of(*parts)


def conjunctions(cond: Cond) -> list[tuple[Atom, ...]]:
    """The paths of ``cond``: each a conjunction of atoms (``()`` holds for every enterprise)."""
    if isinstance(cond, Atom):
        return [(cond,)]
    if isinstance(cond, AnyOf):
        return [c for part in cond.parts for c in conjunctions(part)]
    combos = itertools.product(*(conjunctions(p) for p in cond.parts))
    return [tuple(dict.fromkeys(a for conj in combo for a in conj)) for combo in combos]
