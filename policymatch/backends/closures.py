"""The reference evaluator's semantics compiled to Python closures: one enterprise, fast.

The HTTP service answers one enterprise against every policy in force in a request; walking the
IR with :func:`~policymatch.backends.reference.evaluate` (a ``singledispatch`` per node) costs
tens of microseconds a policy. Here each IR node becomes a closure once per policy set (equal
nodes share one), with the same Kleene logic, nulls, exact decimals and 40-digit division.

Only the common path is compiled: the top-level conditions, whose conjunction is the
eligibility and whose false ones are an ineligible enterprise's reason. The amount of an
eligible enterprise and the missing fields of an unknown result (a few percent of pairs) are
the reference evaluator's own functions, so amounts are the oracle's by construction; ``tests/backends/test_closures.py`` checks the compiled path against it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
)

Fn = Callable[[Env], Any]
_UNSEEN = object()


class Compiler:
    """IR to closures, sharing the closure of equal nodes."""

    def __init__(self) -> None:
        self._cache: dict[ir.Expr, Fn] = {}

    def __call__(self, expr: ir.Expr) -> Fn:
        fn = self._cache.get(expr)
        if fn is None:
            fn = self._cache[expr] = self._compile(expr)
        return fn

    def _compile(self, e: ir.Expr) -> Fn:
        if isinstance(e, ir.Const):
            value = e.value
            return lambda env: value
        if isinstance(e, ir.Field):
            return _field(e)
        if isinstance(e, ir.AsOf):
            return lambda env: env.as_of
        if isinstance(e, ir.Labeled):
            return self(e.expr)
        if isinstance(e, ir.Not):
            inner = self(e.operand)

            def not_(env: Env) -> Any:
                v = inner(env)
                return None if v is None else not v

            return not_
        if isinstance(e, ir.And):
            return _and(tuple(self(o) for o in e.operands))
        if isinstance(e, ir.Or):
            return _or(tuple(self(o) for o in e.operands))
        if isinstance(e, ir.Compare):
            return _compare(self(e.left), self(e.right), COMPARE[e.op])
        if isinstance(e, ir.Arith):
            return _arith(self(e.left), self(e.right), e.op)
        if isinstance(e, ir.Neg):
            operand = self(e.operand)

            def neg(env: Env) -> Any:
                v = operand(env)
                return None if v is None else -v

            return neg
        if isinstance(e, ir.InList):
            needle, items, negated = self(e.needle), e.items, e.negated

            def in_list(env: Env) -> Any:
                v = needle(env)
                return None if v is None else (v in items) != negated

            return in_list
        if isinstance(e, ir.HasTag):
            tags, tag, negated = self(e.field), e.tag, e.negated
            return lambda env: (tag in tags(env)) != negated
        if isinstance(e, ir.StartsWith):
            subject, prefix = self(e.subject), e.prefix

            def startswith(env: Env) -> Any:
                v = subject(env)
                return None if v is None else str(v).startswith(prefix)

            return startswith
        if isinstance(e, ir.IfElse):
            cond, then, other = self(e.cond), self(e.then), self(e.other)

            def if_else(env: Env) -> Any:
                c = cond(env)
                if c is None:
                    return None
                return then(env) if c else other(env)

            return if_else
        if isinstance(e, ir.Call):
            return _call(e.func, tuple(self(a) for a in e.args))
        raise TypeError(f"No compiled rule for {type(e).__name__}")  # pragma: no cover


def _field(e: ir.Field) -> Fn:
    name = e.name
    tags = e.ftype.value == "tags"

    def field(env: Env) -> Any:
        v = env.record.get(name)
        if isinstance(v, int) and not isinstance(v, bool):
            return Decimal(v)
        if v is None and tags:
            return frozenset()
        return v

    return field


def _and(operands: tuple[Fn, ...]) -> Fn:
    def and_(env: Env) -> Any:
        unknown = False
        for operand in operands:
            v = operand(env)
            if v is False:
                return False
            if v is None:
                unknown = True
        return None if unknown else True

    return and_


def _or(operands: tuple[Fn, ...]) -> Fn:
    def or_(env: Env) -> Any:
        unknown = False
        for operand in operands:
            v = operand(env)
            if v is True:
                return True
            if v is None:
                unknown = True
        return None if unknown else False

    return or_


def _compare(left: Fn, right: Fn, op: Callable[[Any, Any], bool]) -> Fn:
    def compare(env: Env) -> Any:
        a = left(env)
        if a is None:
            return None
        b = right(env)
        return None if b is None else bool(op(a, b))

    return compare


def _arith(left: Fn, right: Fn, op: str) -> Fn:
    def arith(env: Env) -> Any:
        a, b = left(env), right(env)
        if a is None or b is None:
            return None
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        return None if b == 0 else DIVISION.divide(a, b)

    return arith


def _call(func: str, args: tuple[Fn, ...]) -> Fn:
    if func == "coalesce":

        def coalesce(env: Env) -> Any:
            for arg in args:
                v = arg(env)
                if v is not None:
                    return v
            return None

        return coalesce
    if func == "is_null":
        only = args[0]
        return lambda env: only(env) is None

    def call(env: Env) -> Any:
        values = [a(env) for a in args]
        return None if any(v is None for v in values) else apply_function(func, values)

    return call


@dataclass(frozen=True)
class CompiledPolicy:
    policy: ir.Policy
    #: The top-level conditions (the items of the root ``all``) with their labels: their
    #: Kleene conjunction is the eligibility, and the ones that are false are the reason.
    top: tuple[tuple[str, Fn], ...]

    def outcome(self, env: Env, seen: dict[int, Any] | None = None) -> Outcome:
        """The policy's :class:`Outcome` for one enterprise, equal to ``evaluate_policy``'s
        (without the trace and near-miss details, which the service does not show).

        ``seen`` holds the values of top-level conditions already evaluated for this
        enterprise (by closure: equal conditions share one), so the county's ``本地企业`` that
        opens every policy is evaluated once, not once per policy.
        """
        if seen is None:
            seen = {}
        failed = []
        unknown = False
        for label, fn in self.top:
            key = id(fn)
            v = seen.get(key, _UNSEEN)
            if v is _UNSEEN:
                v = seen[key] = fn(env)
            if v is False:
                failed.append(label)
            elif v is None:
                unknown = True
        if failed:
            return Outcome("ineligible", False, None, None, (), (), tuple(failed))
        if unknown:  # the missing fields: the reference evaluator's reading
            return evaluate_policy(self.policy, env.record, env.as_of)
        raw, tier, _ = evaluate_amount(self.policy.amount, env)
        if raw is None:
            return evaluate_policy(self.policy, env.record, env.as_of)
        amount = finish_amount(raw, self.policy.cap)
        status = "eligible" if amount > 0 else "ineligible"
        return Outcome(status, True, amount, raw, (), (), (), tier)


def compile_policies(policies: Sequence[ir.Policy]) -> list[CompiledPolicy]:
    """Closures for ``policies``, sharing equal nodes across them."""
    compiler = Compiler()
    return [
        CompiledPolicy(
            p, tuple((label_of(c), compiler(c)) for c in ir.top_conditions(p.eligibility))
        )
        for p in policies
    ]


def outcomes(
    compiled: Sequence[CompiledPolicy], record: Mapping[str, Value], as_of: dt.date
) -> list[Outcome]:
    """Every compiled policy's outcome for one enterprise."""
    env = Env(record, as_of)
    seen: dict[int, Any] = {}
    return [c.outcome(env, seen) for c in compiled]
