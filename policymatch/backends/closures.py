"""The reference evaluator's semantics compiled to Python closures: one enterprise, fast.

The HTTP service answers one enterprise against every policy in force in a request; walking the
IR with :func:`~policymatch.backends.reference.evaluate` (a ``singledispatch`` per node) costs
tens of microseconds a policy. Here each IR node becomes a closure once per policy set (equal
nodes share one), with the same Kleene logic, nulls, exact decimals and 40-digit division.

A request first reads the record once into a flat row (:meth:`CompiledSet.row`: every field
the closures read, integers as ``Decimal`` and absent tags as the empty set, as the reference's
field rule gives them), so a field is one dict lookup and the common shapes (``field OP
constant``, ``field in [...]``, ``"tag" in tags``) are one closure each. Then every distinct
top-level condition of the set is evaluated once (the county's ``本地企业`` that opens every
policy is one of them): the reference evaluates every top-level condition of a policy too, to
name the failed ones. A policy's verdict is the Kleene conjunction of its conditions' values.

Only that common path is compiled. The amount of an eligible enterprise and the missing fields
of an unknown result (a few percent of pairs) are the reference evaluator's own functions, so
amounts are the oracle's by construction; ``tests/backends/test_closures.py`` checks the
compiled path against it.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..rules import ir
from ..values import Value
from .reference import (
    COMPARE,
    DIVISION,
    Env,
    Outcome,
    apply_function,
    evaluate_amount,
    evaluate_policy,
    finish_amount,
    label_of,
    waiting_for,
    within_limit,
    years_between,
)

#: A record read for the closures (:meth:`CompiledSet.row`).
Row = dict[str, Any]
Fn = Callable[[Row], Any]
#: The as-of date's key in a row: no field can have this name.
AS_OF = "\0as_of"
EMPTY: frozenset[str] = frozenset()

ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}

#: A verdict, as :class:`~.reference.Outcome` has it: status, eligibility, amount (eligible
#: only), missing fields, failed top-level conditions.
Verdict = tuple[str, bool | None, Decimal | None, tuple[str, ...], tuple[str, ...]]


class Compiler:
    """IR to closures over a :data:`Row`, sharing the closure of equal nodes."""

    def __init__(self) -> None:
        self._cache: dict[ir.Expr, Fn] = {}
        #: The fields the closures read, and whether each is a tags field.
        self.fields: dict[str, bool] = {}

    def __call__(self, expr: ir.Expr) -> Fn:
        fn = self._cache.get(expr)
        if fn is None:
            fn = self._cache[expr] = self._compile(expr)
        return fn

    def _compile(self, e: ir.Expr) -> Fn:
        if isinstance(e, ir.Const):
            value = e.value
            return lambda r: value
        if isinstance(e, ir.Field):
            self.fields[e.name] = e.ftype.value == "tags"
            return operator.itemgetter(e.name)
        if isinstance(e, ir.AsOf):
            return operator.itemgetter(AS_OF)
        if isinstance(e, ir.Labeled):
            return self(e.expr)
        if isinstance(e, ir.Not):
            return _not(self(e.operand))
        if isinstance(e, ir.And):
            return _and(tuple(self(o) for o in e.operands))
        if isinstance(e, ir.Or):
            return _or(tuple(self(o) for o in e.operands))
        if isinstance(e, ir.Compare):
            return self._compare(e)
        if isinstance(e, ir.Arith):
            return _arith(self(e.left), self(e.right), e.op)
        if isinstance(e, ir.Neg):
            return _neg(self(e.operand))
        if isinstance(e, ir.InList):
            return self._in_list(e)
        if isinstance(e, ir.HasTag):
            self(e.field)  # the field is read from the row: compiling it puts it there
            return _has_tag(e.field.name, e.tag, e.negated)
        if isinstance(e, ir.StartsWith):
            return _startswith(self(e.subject), e.prefix)
        if isinstance(e, ir.IfElse):
            return _if_else(self(e.cond), self(e.then), self(e.other))
        if isinstance(e, ir.Call):
            return _call(e.func, tuple(self(a) for a in e.args))
        raise TypeError(f"No compiled rule for {type(e).__name__}")  # pragma: no cover

    def _compare(self, e: ir.Compare) -> Fn:
        op = COMPARE[e.op]
        left, right = self(e.left), self(e.right)  # also puts a field in the row
        if isinstance(e.left, ir.Field) and isinstance(e.right, ir.Const):
            name, value = e.left.name, e.right.value
            if value is None:
                return lambda r: None

            def field_const(r: Row) -> Any:
                v = r[name]
                return None if v is None else op(v, value)

            return field_const

        def compare(r: Row) -> Any:
            a = left(r)
            if a is None:
                return None
            b = right(r)
            return None if b is None else op(a, b)

        return compare

    def _in_list(self, e: ir.InList) -> Fn:
        needle = self(e.needle)
        # Hashing gives the tuple's answers: the items are decimals, text, dates and booleans.
        items, negated = frozenset(e.items), e.negated
        if isinstance(e.needle, ir.Field):
            name = e.needle.name

            def field_in(r: Row) -> Any:
                v = r[name]
                return None if v is None else (v in items) != negated

            return field_in

        def in_list(r: Row) -> Any:
            v = needle(r)
            return None if v is None else (v in items) != negated

        return in_list


def _not(inner: Fn) -> Fn:
    def not_(r: Row) -> Any:
        v = inner(r)
        return None if v is None else not v

    return not_


def _neg(operand: Fn) -> Fn:
    def neg(r: Row) -> Any:
        v = operand(r)
        return None if v is None else -v

    return neg


def _and(operands: tuple[Fn, ...]) -> Fn:
    def and_(r: Row) -> Any:
        unknown = False
        for operand in operands:
            v = operand(r)
            if v is False:
                return False
            if v is None:
                unknown = True
        return None if unknown else True

    return and_


def _or(operands: tuple[Fn, ...]) -> Fn:
    def or_(r: Row) -> Any:
        unknown = False
        for operand in operands:
            v = operand(r)
            if v is True:
                return True
            if v is None:
                unknown = True
        return None if unknown else False

    return or_


def _arith(left: Fn, right: Fn, op: str) -> Fn:
    if op == "/":

        def divide(r: Row) -> Any:
            a, b = left(r), right(r)
            if a is None or b is None or b == 0:
                return None
            return DIVISION.divide(a, b)

        return divide
    apply = ARITH[op]

    def arith(r: Row) -> Any:
        a, b = left(r), right(r)
        return None if a is None or b is None else apply(a, b)

    return arith


def _has_tag(name: str, tag: str, negated: bool) -> Fn:
    return lambda r: (tag in r[name]) != negated


def _startswith(subject: Fn, prefix: str) -> Fn:
    def startswith(r: Row) -> Any:
        v = subject(r)
        return None if v is None else str(v).startswith(prefix)

    return startswith


def _if_else(cond: Fn, then: Fn, other: Fn) -> Fn:
    def if_else(r: Row) -> Any:
        c = cond(r)
        if c is None:
            return None
        return then(r) if c else other(r)

    return if_else


def _call(func: str, args: tuple[Fn, ...]) -> Fn:
    if func == "coalesce":

        def coalesce(r: Row) -> Any:
            for arg in args:
                v = arg(r)
                if v is not None:
                    return v
            return None

        return coalesce
    if func == "is_null":
        only = args[0]
        return lambda r: only(r) is None
    if func == "years_between":  # what ``age_years`` is lowered to: worth its own closure
        start, end = args

        def years(r: Row) -> Any:
            a, b = start(r), end(r)
            return None if a is None or b is None else Decimal(years_between(a, b))

        return years

    def call(r: Row) -> Any:
        values = [a(r) for a in args]
        return None if None in values else apply_function(func, values)

    return call


@dataclass(frozen=True)
class CompiledPolicy:
    policy: ir.Policy
    #: The policy's top-level conditions (the items of the root ``all``), as positions in
    #: :attr:`CompiledSet.conditions`: their Kleene conjunction is the eligibility.
    top: tuple[int, ...]
    #: Their labels, in the same order: the false ones are an ineligible enterprise's reason.
    labels: tuple[str, ...]
    #: The innermost labelled conditions with the fields each reads, and the fields of the
    #: whole eligibility: an unknown result's missing fields, found as the reference does.
    leaves: tuple[tuple[Fn, frozenset[str]], ...]
    fields: frozenset[str]
    #: The values of the top-level conditions, picked from the set's (:meth:`decide`).
    pick: Callable[[Sequence[Any]], Any]
    #: Verdicts by :attr:`pick`'s values, for the verdicts that depend on nothing else (a
    #: failed condition): the few combinations that occur are met again and again.
    known: dict[Any, Verdict] = field(default_factory=dict, compare=False)

    def decide(self, key: Any, row: Row, env: Env) -> Verdict:
        """The verdict for the values ``key`` of the top-level conditions (as :attr:`pick`
        gives them: a tuple, or the one value of a policy with one condition)."""
        held: tuple[Any, ...] = key if len(self.top) > 1 else (key,)
        if False not in held:
            return self.verdict(held, row, env)
        failed = tuple(label for label, v in zip(self.labels, held, strict=True) if v is False)
        verdict: Verdict = ("ineligible", False, None, (), failed)
        if len(self.known) < KNOWN:
            self.known[key] = verdict
        return verdict

    def verdict(self, held: tuple[Any, ...], row: Row, env: Env) -> Verdict:
        """The verdict when no top-level condition failed: eligible (the reference's amount)
        or unknown (the fields whose absence decides)."""
        policy = self.policy
        if None not in held:
            raw, _, _ = evaluate_amount(policy.amount, env)
            if raw is None:  # eligible, the amount unknown: the reference names the fields
                o = evaluate_policy(policy, env.record, env.as_of)
                return (o.status, o.eligible, o.amount, o.missing, o.failed_top)
            amount = within_limit(policy, finish_amount(raw, policy.cap), env.record.get("uscc"))
            return ("eligible" if amount > 0 else "ineligible", True, amount, (), ())
        names: frozenset[str] = frozenset()
        for fn, read in self.leaves:
            if fn(row) is None:
                names |= read
        return ("unknown", None, None, waiting_for(names or self.fields, env), ())


#: Most remembered verdicts a policy keeps (3 ** conditions could be many; few occur).
KNOWN = 1024


@dataclass(frozen=True)
class CompiledSet:
    policies: tuple[CompiledPolicy, ...]
    #: The distinct top-level conditions of all the policies.
    conditions: tuple[Fn, ...]
    #: The fields the closures read, and whether each is a tags field.
    fields: tuple[tuple[str, bool], ...]

    def row(self, record: Mapping[str, Value], as_of: dt.date) -> Row:
        """``record`` as the closures read it: each field as the reference's field rule gives
        it (an integer as a Decimal, absent tags as the empty set, else the value or None)."""
        row: Row = {AS_OF: as_of}
        get = record.get
        for name, tags in self.fields:
            v = get(name)
            if v is None:
                row[name] = EMPTY if tags else None
            elif isinstance(v, int) and not isinstance(v, bool):
                row[name] = Decimal(v)
            else:
                row[name] = v
        return row

    def verdicts(self, record: Mapping[str, Value], as_of: dt.date) -> list[Verdict]:
        """Every policy's verdict for one enterprise, equal to ``evaluate_policy``'s."""
        row = self.row(record, as_of)
        values = [fn(row) for fn in self.conditions]
        env = Env(record, as_of)
        out = []
        for c in self.policies:
            key = c.pick(values)
            verdict = c.known.get(key)
            out.append(c.decide(key, row, env) if verdict is None else verdict)
        return out


def compile_policies(policies: Sequence[ir.Policy]) -> CompiledSet:
    """Closures for ``policies``, sharing equal nodes across them."""
    compiler = Compiler()
    position: dict[Fn, int] = {}
    compiled = []
    for p in policies:
        top = ir.top_conditions(p.eligibility)
        at = tuple(position.setdefault(compiler(c), len(position)) for c in top)
        leaves = tuple((compiler(leaf), ir.fields_of(leaf)) for leaf in ir.leaves(p.eligibility))
        compiled.append(
            CompiledPolicy(
                p,
                at,
                tuple(label_of(c) for c in top),
                leaves,
                ir.fields_of(p.eligibility),
                operator.itemgetter(*at),
            )
        )
    return CompiledSet(tuple(compiled), tuple(position), tuple(compiler.fields.items()))


def outcomes(compiled: CompiledSet, record: Mapping[str, Value], as_of: dt.date) -> list[Outcome]:
    """Every compiled policy's outcome for one enterprise (without the trace and near-miss
    details, which the service does not show)."""
    return [
        Outcome(status, eligible, amount, None, missing, (), failed)
        for status, eligible, amount, missing, failed in compiled.verdicts(record, as_of)
    ]
