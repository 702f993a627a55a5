"""Where a round cut grants pro rata (按比例核减), said where it cannot be missed.

:func:`shortfall_lines` gives the run summary one line per policy whose grants the budgets cut
(its own ``budget``, or its fund's budget, pool balance or appropriation), with the rate paid.
"""

from __future__ import annotations

from collections import defaultdict

from ..moneytext import yuan
from .allocate import Allocation


def scaled_policies(alloc: Allocation) -> dict[str, tuple[int, int]]:
    """Policy id -> (demand, granted) in fen, for the policies the budgets cut."""
    demand: dict[str, int] = defaultdict(int)
    granted: dict[str, int] = defaultdict(int)
    for g in alloc.grants:
        demand[g.candidate.policy_id] += g.candidate.demand_fen
        granted[g.candidate.policy_id] += g.amount_fen
    for e in alloc.excluded:
        if e.reason.value in ("policy_budget", "fund_budget"):
            demand[e.candidate.policy_id] += e.candidate.demand_fen
    return {pid: (d, granted[pid]) for pid, d in sorted(demand.items()) if granted[pid] < d}


def rate_text(granted: int, demand: int) -> str:
    """``granted / demand`` as a percentage with two places, rounded down (never overstated)."""
    basis_points = granted * 10_000 // demand
    return f"{basis_points // 100}.{basis_points % 100:02d}%"


def shortfall_lines(alloc: Allocation) -> list[str]:
    """The run summary's lines about scaled policies (none when nothing was cut)."""
    return [
        f"按比例核减：政策 {pid} 应兑现 {yuan(d)}，兑现 {yuan(g)}，兑现比例 {rate_text(g, d)}"
        for pid, (d, g) in scaled_policies(alloc).items()
    ]
