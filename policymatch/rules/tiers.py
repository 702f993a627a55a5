"""Finding tiers that can never match (hit policy FIRST).

A tier can never be the first to match when its condition is always false, or when every
enterprise it accepts is already accepted by an earlier tier, e.g. ``revenue >= 1亿`` listed
before ``revenue >= 5亿``. We decide this for the conditions authors actually write in tiers:
constants, and conjunctions of comparisons between one numeric field and a constant, which
are intervals per field. Anything else is assumed reachable (no false alarms).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import ir

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


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


Region = dict[str, Interval]


def _interval(op: str, value: Decimal) -> Interval | None:
    return {
        ">": Interval(lo=value, lo_closed=False),
        ">=": Interval(lo=value),
        "<": Interval(hi=value, hi_closed=False),
        "<=": Interval(hi=value),
        "==": Interval(value, True, value, True),
    }.get(op)


def region(expr: ir.Expr) -> Region | bool | None:
    """The condition as per-field intervals; True/False for constants; None when not analysable."""
    while isinstance(expr, ir.Labeled):
        expr = expr.expr
    if isinstance(expr, ir.Const) and isinstance(expr.value, bool):
        return expr.value
    parts = expr.operands if isinstance(expr, ir.And) else (expr,)
    out: Region = {}
    for part in parts:
        while isinstance(part, ir.Labeled):
            part = part.expr
        if not isinstance(part, ir.Compare):
            return None
        op, left, right = part.op, part.left, part.right
        if isinstance(left, ir.Const):
            left, right, op = right, left, _FLIP[op]
        if not (
            isinstance(left, ir.Field)
            and isinstance(right, ir.Const)
            and isinstance(right.value, Decimal)
        ):
            return None
        iv = _interval(op, right.value)
        if iv is None:
            return None
        out[left.name] = out[left.name].meet(iv) if left.name in out else iv
    return out


def unreachable_tiers(tiers: list[ir.Tier]) -> list[tuple[int, str]]:
    """(index, reason) for every tier that can never be the first to match."""
    found: list[tuple[int, str]] = []
    earlier: list[tuple[int, Region | bool | None]] = []
    for i, tier in enumerate(tiers):
        r = region(tier.when)
        if r is False or (isinstance(r, dict) and any(iv.empty for iv in r.values())):
            found.append((i, "its condition is never true"))
        else:
            for j, prev in earlier:
                if prev is True:
                    found.append((i, f"tier {j + 1} always matches first"))
                    break
                if (
                    isinstance(prev, dict)
                    and isinstance(r, dict)
                    and all(name in r and r[name].within(iv) for name, iv in prev.items())
                ):
                    found.append((i, f"every case it covers is already taken by tier {j + 1}"))
                    break
        earlier.append((i, r))
    return found
