"""IR -> durable_rules candidate rules, sharded across rulesets under the engine's limits.

For each policy in force, :class:`Translator` writes a *candidate condition*: a condition on the
encoded fact (:mod:`.encode`) that holds for every enterprise whose eligibility is true **or
unknown**. It may hold for more (the reference evaluator confirms every candidate), never for
fewer. It is built from two duals: ``possible(e, True)`` holds wherever ``e`` could be true
(true or unknown), ``possible(e, False)`` wherever ``e`` could be false, so ``not`` swaps them
and ``and``/``or`` combine them as De Morgan says.

What durable evaluates natively, and what only the confirmation step sees:

==========================================  ==================================================
native (an atom on the fact)                confirm only (the candidate condition is ``TOP``)
==========================================  ==================================================
field ``== != < <= > >=`` constant, where   comparisons of two fields, or of a field with an
a constant is anything without a field:     expression that reads a field (``rd_expense >=
literals, ``as_of``, ``year(as_of) - 1``,   revenue * 3%``); ``year(field)``,
``date("...")`` (folded at compile time)    other ``years_between`` of a field, ``min``,
                                            ``max``, ``abs``, ``round``, ``coalesce``, ``x if c
                                            else y``
``field in [...]``, ``field not in [...]``  text constants durable cannot compare exactly
                                            (characters that JSON escapes); numbers at or past
                                            2**62 on the attribute scale
``"tag" in tags``, ``not in``               ``!=`` with a constant finer than the field's scale
``code startswith "C3"`` (a range: ``"C3"   every atom once a fact has no room for more
<= code < "C4"``)                           attributes (durable caps a fact's properties)
``is_null(field)``
``years_between(field, constant) op``
constant (a range of the date field; this
is what ``age_years`` compiles to)
``and``, ``or``, ``not`` of the above
==========================================  ==================================================

The amount (tiers, expressions, ``cap``), unknown fields and explanations are always the
reference evaluator's (:func:`policymatch.backends.reference.evaluate_policy`).

durable_rules fires an action per path of a rule's disjunctive normal form, and its limits
count paths: one ruleset with more than 64 paths that all match a fact fails with "Could not
assert fact, error code: 303", and more than 512 paths make ``create_ruleset`` loop forever
(``tests/backends/durable/test_traps.py`` pins both). So each policy is widened to at most
:data:`POLICY_PATHS` paths, each path becomes one durable rule, and rules are packed into
rulesets of at most :data:`SHARD_PATHS` paths: no fact can ever match more than that.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ...rules import ir
from ...schema import FieldType, Schema
from ..reference import Env, evaluate
from .cond import BOTTOM, TOP, Atom, Cond, all_of, any_of, conjunctions, widen
from .encode import SENTINEL, Layout, Slot, safe_text

#: Most paths in one ruleset. 64 paths that all match one fact are the most durable_rules
#: 2.0.28 handles (65 fail with error 303); far below the 512 past which it hangs.
SHARD_PATHS = 64
#: Most paths of one policy's candidate condition (a policy never spans rulesets).
POLICY_PATHS = 16
#: Most properties of one fact. durable_rules 2.0.28 refuses 254 and more (error 302).
MAX_FACT_PROPERTIES = 240

_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


@dataclass(frozen=True)
class Rule:
    """One path of one policy's candidate condition: a durable rule."""

    name: str
    policy: int  # index into Program.policies
    atoms: tuple[Atom, ...]

    def condition(self) -> dict[str, object]:
        """The durable_rules JSON of the rule's fact condition."""
        if not self.atoms:
            return {"pm": 1}
        if len(self.atoms) == 1:
            return self.atoms[0].to_json()
        return {"$and": [a.to_json() for a in self.atoms]}


@dataclass(frozen=True)
class Selection:
    """A policy's candidate condition as compiled (before and after widening)."""

    policy: ir.Policy
    exact: Cond
    cond: Cond

    @property
    def widened(self) -> bool:
        return self.cond != self.exact


@dataclass(frozen=True)
class Program:
    """Everything a session needs: the policies, the fact layout and the sharded rules."""

    policies: tuple[ir.Policy, ...]
    layout: Layout
    selections: tuple[Selection, ...]
    shards: tuple[tuple[Rule, ...], ...]


class Translator:
    """Candidate conditions of IR trees, allotting fact attributes in ``layout`` as it goes."""

    def __init__(self, schema: Schema, layout: Layout) -> None:
        self.schema = schema
        self.layout = layout
        self._env = Env({}, layout.as_of)

    def possible(self, expr: ir.Expr, want: bool) -> Cond:
        """Holds on every fact whose record could make ``expr`` equal ``want`` (or unknown)."""
        if not ir.fields_of(expr):
            value = evaluate(expr, self._env)
            return TOP if value is None or bool(value) is want else BOTTOM
        match expr:
            case ir.Labeled(expr=inner):
                return self.possible(inner, want)
            case ir.Not(operand=operand):
                return self.possible(operand, not want)
            case ir.And(operands=ops):
                parts = [self.possible(o, want) for o in ops]
                return all_of(*parts) if want else any_of(*parts)
            case ir.Or(operands=ops):
                parts = [self.possible(o, want) for o in ops]
                return any_of(*parts) if want else all_of(*parts)
            case ir.Field():
                return self.compare("==" if want else "!=", expr, True)
            case ir.Compare(op=op, left=ir.Field() as fld, right=other) if not ir.fields_of(other):
                return self.compare(op if want else _NEGATED[op], fld, self.fold(other))
            case ir.Compare(op=op, left=other, right=ir.Field() as fld) if not ir.fields_of(other):
                op = _FLIPPED[op]
                return self.compare(op if want else _NEGATED[op], fld, self.fold(other))
            case ir.InList(needle=ir.Field() as fld, items=items, negated=negated):
                return self.membership(fld, items, member=want is not negated)
            case ir.HasTag(field=fld, tag=tag, negated=negated):
                attr = self.layout.tag(self.schema[fld.name], tag)
                return TOP if attr is None else Atom(attr, "$eq", int(want is not negated))
            case ir.StartsWith(subject=ir.Field() as fld, prefix=prefix):
                return self.startswith(fld, prefix, want)
            case ir.Compare(
                op=op, left=ir.Call(func="years_between", args=(ir.Field() as fld, end)), right=n
            ) if not ir.fields_of(end) and not ir.fields_of(n):
                return self.anniversaries(op if want else _NEGATED[op], fld, end, n)
            case ir.Compare(
                op=op, left=n, right=ir.Call(func="years_between", args=(ir.Field() as fld, end))
            ) if not ir.fields_of(end) and not ir.fields_of(n):
                op = _FLIPPED[op]
                return self.anniversaries(op if want else _NEGATED[op], fld, end, n)
            case ir.Call(func="is_null", args=(ir.Field() as fld,)):
                flag = self.layout.null_flag(self.schema[fld.name])
                return TOP if flag is None else Atom(flag, "$eq", int(want))
        return TOP

    def anniversaries(self, op: str, fld: ir.Field, end: ir.Expr, n: ir.Expr) -> Cond:
        """``years_between(fld, end) op n`` for a constant ``end`` and ``n``, as a date range.

        Whole years by anniversaries reach ``k`` exactly when ``fld`` is on or before the
        ``k``-th anniversary back from ``end`` (``age_years >= 3`` is ``registered_on <=
        as_of - 3 years``), so the comparison is native on the date field.
        """
        day, years = self.fold(end), self.fold(n)
        if not isinstance(day, dt.date) or not isinstance(years, Decimal):
            return TOP
        at_least = {">=": years, ">": years + 1, "<": years, "<=": years + 1}.get(op)
        if at_least is None or at_least != at_least.to_integral_value():
            return TOP
        back = _years_back(day, int(at_least))
        if back is None:
            return TOP
        return self.compare("<=" if op in (">=", ">") else ">", fld, back)

    def fold(self, expr: ir.Expr) -> object:
        """The value of an expression that reads no field (``as_of`` is the watcher's date)."""
        return evaluate(expr, self._env)

    def _slot(self, fld: ir.Field) -> Slot | None:
        return self.layout.slot(self.schema[fld.name])

    def compare(self, op: str, fld: ir.Field, value: object) -> Cond:
        """``fld op value`` could hold: true, or the field is null."""
        slot = self._slot(fld)
        if slot is None or value is None:
            return TOP
        constant = slot.constant(value)
        if isinstance(constant, str):
            return _text_atom(slot, op, constant)
        assert isinstance(constant, Decimal)
        return _number_atom(slot, op, constant)

    def membership(self, fld: ir.Field, items: tuple[ir.Scalar, ...], *, member: bool) -> Cond:
        if not member:
            return all_of(*(self.compare("!=", fld, i) for i in items))
        field = self.schema[fld.name]
        if field.type is FieldType.ENUM:
            # A typed enum cell is one of the field's values (or null): "in S" is "not in the
            # others", one path instead of one per item.
            others = [v for v in field.values if v not in items]
            if len(others) < len(items):
                return all_of(*(self.compare("!=", fld, v) for v in others))
        return any_of(*(self.compare("==", fld, i) for i in items))

    def startswith(self, fld: ir.Field, prefix: str, want: bool) -> Cond:
        slot = self._slot(fld)
        after = _successor(prefix)
        if slot is None or after is None or not safe_text(prefix):
            return TOP
        # strcmp order is code point order, so "starts with p" is the range p <= x < after.
        if want:
            return all_of(Atom(slot.hi, "$gte", prefix), Atom(slot.lo, "$lt", after))
        return any_of(Atom(slot.lo, "$lt", prefix), Atom(slot.hi, "$gte", after))


def _years_back(day: dt.date, years: int) -> dt.date | None:
    """The ``years``-th anniversary before ``day``: the latest date ``years_between`` of which
    and ``day`` is ``years`` (29 February falls back to the 28th in a common year)."""
    year = day.year - years
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        return None
    last = calendar.monthrange(year, day.month)[1]
    return dt.date(year, day.month, min(day.day, last))


def _successor(prefix: str) -> str | None:
    """The least string greater than every string that starts with ``prefix``."""
    if not prefix:
        return None
    point = ord(prefix[-1]) + 1
    if 0xD800 <= point <= 0xDFFF:
        point = 0xE000
    if point >= 0x10FFFF:
        return None
    after = prefix[:-1] + chr(point)
    return after if safe_text(after) else None


def _number_atom(slot: Slot, op: str, value: Decimal) -> Cond:
    """On the integer attribute scale; a fractional constant rounds the way that keeps it exact."""
    if abs(value) >= SENTINEL:
        return TOP
    floor, ceil = math.floor(value), math.ceil(value)
    match op:
        case ">=":
            return Atom(slot.hi, "$gte", ceil)
        case ">":
            return Atom(slot.hi, "$gt", floor)
        case "<=":
            return Atom(slot.lo, "$lte", floor)
        case "<":
            return Atom(slot.lo, "$lt", ceil)
        case "==":
            # Integral: lo <= v <= hi. Fractional: no integer equals it, only a null interval
            # (which straddles it) can.
            if floor == ceil:
                return all_of(Atom(slot.lo, "$lte", floor), Atom(slot.hi, "$gte", ceil))
            return all_of(Atom(slot.lo, "$lt", ceil), Atom(slot.hi, "$gt", floor))
    # "!=": a null's lo is -SENTINEL, never equal to the constant.
    return Atom(slot.lo, "$neq", floor) if floor == ceil else TOP


def _text_atom(slot: Slot, op: str, value: str) -> Cond:
    if not safe_text(value):
        return TOP
    if op == "==":
        return all_of(Atom(slot.lo, "$lte", value), Atom(slot.hi, "$gte", value))
    if op == "!=":
        # A null is ("", TEXT_HIGH): its lo differs from any constant but "".
        return Atom(slot.hi, "$neq", value) if value == "" else Atom(slot.lo, "$neq", value)
    return TOP


def compile_program(
    policies: Sequence[ir.Policy],
    schema: Schema,
    as_of: dt.date,
    *,
    shard_paths: int = SHARD_PATHS,
    policy_paths: int = POLICY_PATHS,
    max_properties: int = MAX_FACT_PROPERTIES,
) -> Program:
    """Candidate rules for ``policies`` (assumed in force on ``as_of``), sharded."""
    if not 1 <= policy_paths <= shard_paths:
        raise ValueError("policy_paths must be between 1 and shard_paths")
    layout = Layout(as_of, max_properties)
    translator = Translator(schema, layout)
    selections: list[Selection] = []
    shards: list[list[Rule]] = [[]]
    for index, policy in enumerate(policies):
        exact = translator.possible(policy.eligibility, True)
        cond = widen(exact, policy_paths)
        selections.append(Selection(policy, exact, cond))
        if cond == BOTTOM:
            continue
        rules = [Rule(f"p{index}_{k}", index, atoms) for k, atoms in enumerate(conjunctions(cond))]
        if len(shards[-1]) + len(rules) > shard_paths:
            shards.append([])
        shards[-1].extend(rules)
    return Program(tuple(policies), layout, tuple(selections), tuple(tuple(s) for s in shards if s))
