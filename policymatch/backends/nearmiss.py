"""Near misses that mean something: one threshold short, and by how much.

An enterprise is a near miss of a policy when exactly one of the policy's top-level conditions
(the items of its root ``all:``) is false, none is unknown, and the false one is a *threshold*:
a number or date field compared with a constant by ``>=``, ``>``, ``<=`` or ``<``
(``tax_paid >= 500万``, ``employees <= 300``, ``registered_on >= 2021-01-01``), with the
enterprise's value within the policy's margin of it. A missing qualification, status or enum
is not a near miss: nothing the enterprise is "close" to can be measured.

The distance (``gap``) is how far the value is from the constant, in the field's frame unit (fen
for money, millionths for rates, whole units for integers and ``age_years``, days for dates);
``ratio`` is the gap over the constant's size (over 365 days for a date, so the default 20%
is 73 days). A threshold of zero has no size, so it is never near. The margin (default 20%) is
the policy's ``near_miss_margin:`` if it sets one, else the run's (``--near-miss-margin``).

Whether a value is within the margin is decided exactly, by a second comparison with the
constant moved by the margin (:attr:`Threshold.within`): every backend evaluates that
expression as it evaluates any other, so they agree to the last unit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..rules import ir
from ..schema import SCALE, FieldType

#: The margin of a policy that sets none, in a run that sets none.
DEFAULT_MARGIN = Decimal("0.2")

#: A date's distance is measured against a year: a 20% margin is 73 days.
DAYS_PER_YEAR = 365

EPOCH = dt.date(1970, 1, 1)

#: ``constant op field`` is ``field flipped[op] constant``.
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True)
class Threshold:
    """``field op limit`` with the field on the left; values in the field's frame unit."""

    field: str
    op: str
    limit: int
    #: What a ratio of 1 is: ``|limit|``, or a year of days for a date.
    size: int
    #: Frame units per unit of the policy's numbers (100 for money); 0 for a date.
    scale: int
    #: True where the field's value is within the margin of the limit (on either side of it:
    #: a near miss is also false on the threshold itself).
    within: ir.Expr

    def units(self, value: object) -> int:
        """A record's value (Decimal yuan, int, date) in the frame's unit."""
        if isinstance(value, dt.date):
            return (value - EPOCH).days
        assert isinstance(value, Decimal | int)
        return int(value * self.scale)

    def gap(self, value: int) -> int:
        """How far ``value`` is from the limit, toward passing (0 on a strict limit's edge)."""
        return self.limit - value if self.op in (">=", ">") else value - self.limit


def threshold_of(condition: ir.Expr, margin: Decimal) -> Threshold | None:
    """The threshold a top-level condition is, or None (not a number or date threshold)."""
    expr = ir.unlabeled(condition)
    if not isinstance(expr, ir.Compare) or expr.op not in _FLIPPED:
        return None
    if isinstance(expr.left, ir.Field) and isinstance(expr.right, ir.Const):
        field, const, op = expr.left, expr.right, expr.op
    elif isinstance(expr.right, ir.Field) and isinstance(expr.left, ir.Const):
        field, const, op = expr.right, expr.left, _FLIPPED[expr.op]
    else:
        return None
    upward = op in (">=", ">")
    value = const.value
    if field.ftype is FieldType.DATE and isinstance(value, dt.date):
        limit = (value - EPOCH).days
        days = int(margin * DAYS_PER_YEAR)
        edge: ir.Scalar = (
            value - dt.timedelta(days=days) if upward else value + dt.timedelta(days=days)
        )
        return Threshold(field.name, op, limit, DAYS_PER_YEAR, 0, _within(field, upward, edge))
    if field.ftype not in SCALE or not isinstance(value, Decimal) or value == 0:
        return None
    scale = SCALE[field.ftype]
    units = value * scale
    if units != units.to_integral_value():
        return None  # finer than the field's unit: no whole distance to show
    moved = margin * abs(value)
    edge = value - moved if upward else value + moved
    within = _within(field, upward, edge)
    return Threshold(field.name, op, int(units), abs(int(units)), scale, within)


def _within(field: ir.Field, upward: bool, edge: ir.Scalar) -> ir.Expr:
    vtype = ir.T.DATE if isinstance(edge, dt.date) else ir.T.NUMBER
    return ir.Compare(">=" if upward else "<=", field, ir.Const(edge, vtype))


def margin_of(policy: ir.Policy, run: Decimal | None = None) -> Decimal:
    """The policy's own margin, else the run's, else :data:`DEFAULT_MARGIN`."""
    if policy.near_miss_margin is not None:
        return policy.near_miss_margin
    return DEFAULT_MARGIN if run is None else run


def thresholds(
    policy: ir.Policy,
    run: Decimal | None = None,
    memo: dict[tuple[int, str], Threshold | None] | None = None,
) -> tuple[Threshold | None, ...]:
    """Per top-level condition, its threshold; empty when the policy can have no near miss
    (fewer than two top-level conditions: every enterprise that fails would be "near").

    ``memo`` keeps each condition's threshold by the condition object (under its labels) and
    the margin as written, for the policies of one set: policies that write a condition alike
    share its object, and its ``within`` test is then one expression too. The caller keeps
    the policies alive while it uses the memo (the keys are object ids).
    """
    top = ir.top_conditions(policy.eligibility)
    if len(top) < 2:
        return ()
    margin = margin_of(policy, run)
    if memo is None:
        found = tuple(threshold_of(c, margin) for c in top)
    else:
        found = tuple(_remembered(c, margin, memo) for c in top)
    return found if any(t is not None for t in found) else ()


def _remembered(
    condition: ir.Expr, margin: Decimal, memo: dict[tuple[int, str], Threshold | None]
) -> Threshold | None:
    condition = ir.unlabeled(condition)
    # str: 0.2 and 0.20 are equal Decimals, but move a limit to edges written differently.
    key = (id(condition), str(margin))
    if key in memo:
        return memo[key]
    found = memo[key] = threshold_of(condition, margin)
    return found


def with_margin(policies: Sequence[ir.Policy], margin: Decimal | None) -> tuple[ir.Policy, ...]:
    """The policies with the run's margin where a policy sets none (``--near-miss-margin``)."""
    if margin is None:
        return tuple(policies)
    return tuple(
        p if p.near_miss_margin is not None else dataclasses.replace(p, near_miss_margin=margin)
        for p in policies
    )


def ratio(gap: int, size: int) -> float:
    """``gap / size`` as every backend computes it (a correctly rounded float)."""
    return gap / size


@dataclass(frozen=True)
class NearMiss:
    """One near miss: the failed condition's label, the field, its value, gap and ratio."""

    condition: str
    field: str
    value: int
    gap: int
    ratio: float


def shown_values(ftype: FieldType, value: int, gap: int) -> tuple[str, str]:
    """A value and its gap (frame units) as people read them: ``4,620,000.00 元``,
    ``2020-11-15`` and ``47 天``, ``3.5%``, ``320``."""
    if ftype is FieldType.DATE:
        return (EPOCH + dt.timedelta(days=value)).isoformat(), f"{gap} 天"
    if ftype is FieldType.MONEY:
        return _money(value), _money(gap)
    if ftype is FieldType.RATE:
        scale = Decimal(SCALE[ftype])
        return _percent(Decimal(value) / scale), _percent(Decimal(gap) / scale)
    return f"{value:,}", f"{gap:,}"


def sentence(label: str, value: str, gap: str, ratio: float) -> str:
    """``上年纳税额 4,620,000.00 元，差 380,000.00 元（7.6%）``."""
    return f"{label} {value}，差 {gap}（{ratio * 100:.1f}%）"


def _money(fen: int) -> str:
    return f"{Decimal(fen).scaleb(-2):,.2f} 元"


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"
