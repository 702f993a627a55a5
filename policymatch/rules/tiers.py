"""Finding tiers that can never match (hit policy FIRST).

A tier can never be the first to match when its condition is always false, or when every
enterprise it accepts is already accepted by an earlier tier, e.g. ``revenue >= 1亿`` listed
before ``revenue >= 5亿``, or ``size in ["小型", "微型"]`` before ``size == "微型"``. The
regions come from :mod:`.regions`; a condition it cannot fully represent is never called
the one that shadows (no false alarms).
"""

from __future__ import annotations

from . import ir
from .regions import Shape, shape, within


def unreachable_tiers(tiers: list[ir.Tier]) -> list[tuple[int, str]]:
    """(index, reason) for every tier that can never be the first to match."""
    found: list[tuple[int, str]] = []
    earlier: list[tuple[int, Shape]] = []
    for i, tier in enumerate(tiers):
        mine = shape(tier.when)
        if mine.empty:
            found.append((i, "its condition is never true"))
        else:
            for j, prev in earlier:
                if not prev.exact:
                    continue
                if not prev.region:
                    found.append((i, f"tier {j + 1} always matches first"))
                    break
                if within(mine.region, prev.region):
                    found.append((i, f"every case it covers is already taken by tier {j + 1}"))
                    break
        earlier.append((i, mine))
    return found
