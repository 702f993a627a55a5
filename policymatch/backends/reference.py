"""The reference evaluator: one enterprise at a time, straight from the IR. The oracle.

Plain Python over exact decimals, written to be obviously right rather than fast: the batch
core and the event backend are tested against it. Records are the Python values of
:mod:`policymatch.values` keyed by field name; a missing key is null.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Collection, Mapping, Sequence
from dataclasses import astuple, dataclass, field
from decimal import Decimal
from functools import singledispatch
from typing import Any

import pandas as pd

from ..errors import Diagnostic, PolicyError, Span
from ..money import MAX_GRANT, round_half_up, to_fen
from ..rules import ir
from ..schema import Schema
from ..values import Value
from .base import (
    COUNT_COLUMNS,
    GRANT_COLUMNS,
    NEAR_COLUMNS,
    UNKNOWN_COLUMNS,
    BatchResult,
    sort_result,
)
from .nearmiss import NearMiss, ratio, thresholds

#: Division is the only operation that can produce digits without end; 40 significant digits
#: put any difference far below the fen, and every backend uses the same context.
DIVISION = decimal.Context(prec=40, rounding=decimal.ROUND_HALF_EVEN)

Tri = bool | None


@dataclass(frozen=True)
class Env:
    """What an expression sees: one record and the run's as-of date."""

    record: Mapping[str, Value]
    as_of: dt.date

    def get(self, name: str) -> Any:
        return self.record.get(name)


def years_between(start: dt.date, end: dt.date) -> int:
    """Whole years from ``start`` to ``end``, counted by anniversaries (negative if before)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


@singledispatch
def evaluate(expr: ir.Expr, env: Env) -> Any:
    """The value of ``expr`` for one record: a Decimal, str, bool, date, or None (unknown)."""
    raise TypeError(f"No reference rule for {type(expr).__name__}")


@evaluate.register
def _const(expr: ir.Const, env: Env) -> Any:
    return expr.value


@evaluate.register
def _field(expr: ir.Field, env: Env) -> Any:
    value = env.get(expr.name)
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if expr.ftype.value == "tags" and value is None:
        return frozenset()
    return value


@evaluate.register
def _as_of(expr: ir.AsOf, env: Env) -> Any:
    return env.as_of


@evaluate.register
def _labeled(expr: ir.Labeled, env: Env) -> Any:
    return evaluate(expr.expr, env)


@evaluate.register
def _not(expr: ir.Not, env: Env) -> Tri:
    v = evaluate(expr.operand, env)
    return None if v is None else not v


@evaluate.register
def _and(expr: ir.And, env: Env) -> Tri:
    unknown = False
    for operand in expr.operands:
        v = evaluate(operand, env)
        if v is False:
            return False
        unknown |= v is None
    return None if unknown else True


@evaluate.register
def _or(expr: ir.Or, env: Env) -> Tri:
    unknown = False
    for operand in expr.operands:
        v = evaluate(operand, env)
        if v is True:
            return True
        unknown |= v is None
    return None if unknown else False


COMPARE: dict[str, Any] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@evaluate.register
def _compare(expr: ir.Compare, env: Env) -> Tri:
    a, b = evaluate(expr.left, env), evaluate(expr.right, env)
    if a is None or b is None:
        return None
    return bool(COMPARE[expr.op](a, b))


@evaluate.register
def _arith(expr: ir.Arith, env: Env) -> Decimal | None:
    a, b = evaluate(expr.left, env), evaluate(expr.right, env)
    if a is None or b is None:
        return None
    if expr.op == "+":
        return a + b  # type: ignore[no-any-return]
    if expr.op == "-":
        return a - b  # type: ignore[no-any-return]
    if expr.op == "*":
        return a * b  # type: ignore[no-any-return]
    if b == 0:
        return None
    return DIVISION.divide(a, b)


@evaluate.register
def _neg(expr: ir.Neg, env: Env) -> Decimal | None:
    v = evaluate(expr.operand, env)
    return None if v is None else -v


@evaluate.register
def _in_list(expr: ir.InList, env: Env) -> Tri:
    v = evaluate(expr.needle, env)
    if v is None:
        return None
    return (v in expr.items) != expr.negated


@evaluate.register
def _has_tag(expr: ir.HasTag, env: Env) -> Tri:
    tags = evaluate(expr.field, env)
    return (expr.tag in tags) != expr.negated


@evaluate.register
def _startswith(expr: ir.StartsWith, env: Env) -> Tri:
    v = evaluate(expr.subject, env)
    return None if v is None else str(v).startswith(expr.prefix)


@evaluate.register
def _if_else(expr: ir.IfElse, env: Env) -> Any:
    c = evaluate(expr.cond, env)
    if c is None:
        return None
    return evaluate(expr.then if c else expr.other, env)


@evaluate.register
def _call(expr: ir.Call, env: Env) -> Any:
    if expr.func == "coalesce":
        for arg in expr.args:
            v = evaluate(arg, env)
            if v is not None:
                return v
        return None
    values = [evaluate(a, env) for a in expr.args]
    if expr.func == "is_null":
        return values[0] is None
    if any(v is None for v in values):
        return None
    return apply_function(expr.func, values)


def apply_function(func: str, values: Sequence[Any]) -> Any:
    """A built-in function of known (non-null) values; ``coalesce`` and ``is_null`` are the
    callers' (they look at nulls)."""
    match func:
        case "min":
            return min(values)
        case "max":
            return max(values)
        case "abs":
            return abs(values[0])
        case "round":
            places = int(values[1]) if len(values) > 1 else 0
            return round_half_up(values[0], places)
        case "year":
            return Decimal(values[0].year)
        case "years_between":
            return Decimal(years_between(values[0], values[1]))
    raise TypeError(f"No reference rule for function {func}")  # pragma: no cover


# --- Policies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeafResult:
    """One labelled condition as it came out for one enterprise."""

    label: str
    value: Tri
    inputs: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Outcome:
    """A policy's result for one enterprise, before ledger, stacking and budgets.

    ``status`` is ``eligible`` (a positive amount is due), ``ineligible`` (a condition fails,
    or the amount is zero or less, or no tier matches) or ``unknown`` (missing data decides:
    ``missing`` names the fields).
    """

    status: str
    eligible: Tri
    amount: Decimal | None
    demand_before_cap: Decimal | None
    missing: tuple[str, ...]
    leaves: tuple[LeafResult, ...] = field(default=())
    failed_top: tuple[str, ...] = ()
    tier: int | None = None
    near_miss: NearMiss | None = None


def label_of(expr: ir.Expr) -> str:
    return expr.label if isinstance(expr, ir.Labeled) else "(condition)"


def _null_fields(exprs: list[ir.Expr], env: Env) -> tuple[str, ...]:
    """The fields that an unknown result is waiting for.

    The null fields read by the unknown parts; when none is null (a division by zero), every
    field those parts read, so staff still see where to look.
    """
    names: set[str] = set()
    for e in exprs:
        names |= ir.fields_of(e)
    return waiting_for(names, env)


def waiting_for(names: Collection[str], env: Env) -> tuple[str, ...]:
    """Of the fields ``names`` an unknown part reads, the null ones (tags are never null), sorted;
    all of them when none is."""
    null = {n for n in names if env.get(n) is None and n != "tags"}
    return tuple(sorted(null or names))


def evaluate_amount(
    amount: ir.Amount, env: Env
) -> tuple[Decimal | None, int | None, list[ir.Expr]]:
    """The raw amount (before cap and rounding), the tier used, and the parts that were unknown."""
    if amount.expr is not None:
        value = evaluate(amount.expr, env)
        return value, None, ([amount.expr] if value is None else [])
    for i, tier in enumerate(amount.tiers):
        held = evaluate(tier.when, env)
        if held is None:
            return None, None, [tier.when]
        if held:
            value = evaluate(tier.value, env)
            return value, i, ([tier.value] if value is None else [])
    return Decimal(0), None, []


def finish_amount(raw: Decimal, cap: Decimal | None) -> Decimal:
    """Cap, then round half-up to the fen: the order policy-format.md fixes."""
    capped = min(raw, cap) if cap is not None else raw
    return to_fen(capped)


def within_limit(policy: ir.Policy, amount: Decimal, uscc: object) -> Decimal:
    """A granted ``amount`` (finished: capped, to the fen); more than
    :data:`~policymatch.money.MAX_GRANT` stops the match (PM311), in every backend, the
    watcher (which refuses the change's line) and the service alike. (An explanation shows
    such an amount's working: only what grants it refuses it.)"""
    if amount > MAX_GRANT:
        raise too_large(policy, amount, uscc)
    return amount


def too_large(policy: ir.Policy, amount: Decimal, uscc: object) -> PolicyError:
    """PM311: ``policy`` computes ``amount`` for the enterprise ``uscc``."""
    return PolicyError(
        [
            Diagnostic(
                "PM311",
                f"policy '{policy.id}' computes {amount:,.2f} yuan for the enterprise "
                f"{'(no code)' if uscc is None else uscc}, more than the {MAX_GRANT:,.2f} yuan "
                "one grant may be",
                file=policy.file,
                span=Span(policy.line, 1),
                hint="check the units (万, 亿, %) and the rates in the amount, and the enterprise's "
                "figures in the registry; or give the policy a cap",
            )
        ]
    )


def near_miss_of(
    policy: ir.Policy, top: tuple[ir.Expr, ...], values: list[Tri], env: Env
) -> NearMiss | None:
    """The one failing top-level condition, when every other one holds and it is a threshold
    the enterprise is within the policy's margin of (see :mod:`.nearmiss`)."""
    if values.count(False) != 1 or None in values:
        return None
    found = thresholds(policy)
    if not found:
        return None
    at = values.index(False)
    threshold = found[at]
    if threshold is None or evaluate(threshold.within, env) is not True:
        return None
    value = threshold.units(env.get(threshold.field))
    gap = threshold.gap(value)
    return NearMiss(label_of(top[at]), threshold.field, value, gap, ratio(gap, threshold.size))


def evaluate_policy(
    policy: ir.Policy, record: Mapping[str, Value], as_of: dt.date, *, trace: bool = False
) -> Outcome:
    """Eligibility and amount of ``policy`` for one enterprise (the policy is assumed in force)."""
    env = Env(record, as_of)
    leaves: tuple[LeafResult, ...] = ()
    if trace:
        leaves = tuple(
            LeafResult(
                leaf.label,
                evaluate(leaf.expr, env),
                tuple((n, env.get(n)) for n in sorted(ir.fields_of(leaf.expr))),
            )
            for leaf in ir.leaves(policy.eligibility)
        )
    eligible = evaluate(policy.eligibility, env)
    top = ir.top_conditions(policy.eligibility)
    top_values = [evaluate(c, env) for c in top]
    failed_top = tuple(label_of(c) for c, v in zip(top, top_values, strict=True) if v is False)
    near = near_miss_of(policy, top, top_values, env)
    if eligible is None:
        unknown_leaves: list[ir.Expr] = [
            leaf for leaf in ir.leaves(policy.eligibility) if evaluate(leaf, env) is None
        ] or [policy.eligibility]
        return Outcome(
            "unknown", None, None, None, _null_fields(unknown_leaves, env), leaves, failed_top
        )
    if not eligible:
        return Outcome("ineligible", False, None, None, (), leaves, failed_top, near_miss=near)
    raw, tier, unknown_parts = evaluate_amount(policy.amount, env)
    if raw is None:
        return Outcome(
            "unknown", True, None, None, _null_fields(unknown_parts, env), leaves, failed_top, tier
        )
    amount = finish_amount(raw, policy.cap)
    status = "eligible" if amount > 0 else "ineligible"
    return Outcome(status, True, amount, raw, (), leaves, failed_top, tier)


class ReferenceBackend:
    """The oracle as a batch backend: every row, every policy, one at a time."""

    name = "reference"

    def match(
        self, policies: Sequence[ir.Policy], frame: pd.DataFrame, as_of: dt.date, schema: Schema
    ) -> BatchResult:
        from ..registry.frame import iter_records

        grants: list[tuple[int, str, int, int | None]] = []
        unknown: list[tuple[int, str, str]] = []
        near: list[tuple[int, str, str, str, int, int, float]] = []
        counts = {p.id: [0, 0, 0, 0] for p in policies}
        for row, record in enumerate(iter_records(frame, schema)):
            for policy in policies:
                out = evaluate_policy(policy, record, as_of)
                tally = counts[policy.id]
                if out.status == "eligible":
                    assert out.amount is not None
                    amount = within_limit(policy, out.amount, record.get("uscc"))
                    grants.append((row, policy.id, int(amount * 100), out.tier))
                    tally[0] += 1
                elif out.status == "unknown":
                    unknown.append((row, policy.id, ",".join(out.missing)))
                    tally[1] += 1
                elif out.eligible:
                    tally[3] += 1
                else:
                    tally[2] += 1
                    if out.near_miss is not None:
                        near.append((row, policy.id, *astuple(out.near_miss)))
        return sort_result(
            BatchResult(
                grants=pd.DataFrame(grants, columns=list(GRANT_COLUMNS)).astype(
                    {"row": "int64", "amount_fen": "int64", "tier": "Int64"}
                ),
                unknown=pd.DataFrame(unknown, columns=list(UNKNOWN_COLUMNS)).astype(
                    {"row": "int64"}
                ),
                near=pd.DataFrame(near, columns=list(NEAR_COLUMNS)),
                counts=pd.DataFrame(
                    [(pid, *c) for pid, c in counts.items()], columns=list(COUNT_COLUMNS)
                ),
            )
        )
