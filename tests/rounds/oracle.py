"""An independent allocation, written from policy-format.md in the plainest way, for the tests.

It shares no code with :mod:`policymatch.rounds.allocate`: dictionaries instead of dataclasses,
Fractions instead of integer floor division, one pass per rule in the spec's words. Inputs are
plain tuples; amounts are integer fen.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Pol:
    fund: str
    push: bool = False
    priority: int = 100
    yearly: bool = False
    group: str | None = None
    budget: int | None = None  # fen


def floor_fen(x: Fraction) -> int:
    """floor_to_0.01 of an amount in fen (the amount is already in fen units)."""
    return math.floor(x)


def oracle(
    due: Iterable[tuple[str, str, int]],  # (uscc, policy, demand fen)
    pols: Mapping[str, Pol],
    funds: Mapping[str, int | None],
    paid: Iterable[tuple[str, str, int, str | None]],  # (uscc, policy, year, group)
    year: int,
) -> tuple[dict[tuple[str, str], int], set[tuple[str, str]]]:
    """Grants {(uscc, policy): amount fen > 0} and the push list {(uscc, policy)}."""
    paid_by: dict[str, list[tuple[str, int, str | None]]] = defaultdict(list)
    for u, p, y, g in paid:
        paid_by[u].append((p, y, g))
    left = []
    for uscc, pid, demand in due:
        pol = pols[pid]
        # frequency: once = never again under this policy; yearly = not again this year
        if any(p == pid and (not pol.yearly or y == year) for p, y, _ in paid_by[uscc]):
            continue
        # stacking across rounds: another policy of the group already paid this enterprise
        if pol.group is not None and any(
            p != pid
            and (g == pol.group or (p in pols and pols[p].group == pol.group))
            and (not pol.yearly or y == year)
            for p, y, g in paid_by[uscc]
        ):
            continue
        left.append((uscc, pid, demand))
    # stacking in the round: the largest amount, then the lower priority number, then the id
    left_by: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for u, p, d in left:
        left_by[u].append((p, d))
    kept = []
    for uscc, pid, demand in left:
        group = pols[pid].group
        rivals = [(d, p) for p, d in left_by[uscc] if group is not None and pols[p].group == group]
        if rivals and min(rivals, key=lambda r: (-r[0], pols[r[1]].priority, r[1]))[1] != pid:
            continue
        kept.append((uscc, pid, demand))
    push = {(u, p) for u, p, _ in kept if pols[p].push}
    amount: dict[tuple[str, str], Fraction] = {
        (u, p): Fraction(d) for u, p, d in kept if not pols[p].push
    }
    # policy budgets
    for pid, pol in pols.items():
        if pol.budget is None:
            continue
        keys = [k for k in amount if k[1] == pid]
        demand = sum(amount[k] for k in keys)
        if demand > pol.budget:
            for k in keys:
                amount[k] = Fraction(floor_fen(amount[k] * pol.budget / demand))
    # fund budgets by priority level
    for fund, budget in funds.items():
        if budget is None:
            continue
        remaining = Fraction(budget)
        for level in sorted({pols[k[1]].priority for k in amount if pols[k[1]].fund == fund}):
            keys = [k for k in amount if pols[k[1]].fund == fund and pols[k[1]].priority == level]
            demand = sum(amount[k] for k in keys)
            if demand <= remaining:
                remaining -= demand
                continue
            for k in keys:
                amount[k] = Fraction(floor_fen(amount[k] * remaining / demand))
            remaining = Fraction(0)
    return {k: int(v) for k, v in amount.items() if v > 0}, push
