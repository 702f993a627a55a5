"""Allocation: from "who qualifies for what" to what a round pays, in the spec's order.

policy-format.md, "Order of application": after eligibility and the amount (the engine's job)
come frequency against the ledger, stacking groups, the policy ``budget``, then the fund
``budget`` by priority level. Everything here works on integer fen and is pure: the same
candidates, terms, budgets and ledger history give the same allocation.

Pro-rata scaling is exact: a grant of ``a`` fen scaled to a budget of ``B`` fen out of a demand
of ``D`` fen becomes ``a * B // D`` in Python integers, which is ``floor_to_0.01(a × B ÷ D)``
with no intermediate rounding (and no int64 overflow, whatever the sizes).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from ..money import floor_to_fen
from ..rules import ir


@dataclass(frozen=True)
class Terms:
    """What allocation needs of a policy; from the IR at run time, the manifest at commit time."""

    id: str
    fund: str
    mode: ir.Mode
    priority: int
    frequency: ir.Frequency
    stacking_group: str | None
    budget_fen: int | None

    @classmethod
    def of(cls, policy: ir.Policy) -> Terms:
        return cls(
            id=policy.id,
            fund=policy.fund,
            mode=policy.mode,
            priority=policy.priority,
            frequency=policy.frequency,
            stacking_group=policy.stacking_group,
            budget_fen=None if policy.budget is None else budget_fen(policy.budget),
        )

    @property
    def draws_on_budget(self) -> bool:
        """Only 免申即享 grants are paid in the round; push-list entries are paid later."""
        return self.mode is ir.Mode.AUTOMATIC

    def period(self, as_of: dt.date) -> str:
        """The ledger period of a grant: the calendar year for ``yearly``, else ``once``."""
        return str(as_of.year) if self.frequency is ir.Frequency.YEARLY else "once"


def budget_fen(budget: Decimal) -> int:
    """A budget in whole fen, rounded down: a budget never allows more than it says."""
    return int(floor_to_fen(budget) * 100)


def capped(budgets: Mapping[str, int | None], limits: Mapping[str, int]) -> dict[str, int | None]:
    """Each fund's budget for the round: the lower of its per-round budget and its limit."""
    out = dict(budgets)
    for fid, limit in limits.items():
        budget = out.get(fid)
        out[fid] = limit if budget is None else min(budget, limit)
    return out


class Candidate(NamedTuple):
    """An enterprise due an amount under a policy (eligible, amount > 0, policy in force).

    The small records of this module are named tuples: a round makes one per eligible pair,
    and a tuple is several times cheaper to make than a frozen dataclass.
    """

    row: int
    uscc: str
    policy_id: str
    demand_fen: int


class Paid(NamedTuple):
    """A grant the ledger holds: what frequency and cross-round stacking look at."""

    policy_id: str
    uscc: str
    year: int
    stacking_group: str | None
    round_id: str = ""
    #: Recorded as a ``once`` grant: it blocks the policy for good, whatever the policy set
    #: now says of its frequency (the ledger does not take the word of a later round for that).
    once: bool = False
    #: The period it was paid for (``Terms.period``): a returned grant is due again by it.
    period: str = ""


class Reason(StrEnum):
    """Why an eligible enterprise gets nothing from a policy in this round."""

    PAID_BEFORE = "paid_before"
    PAID_THIS_YEAR = "paid_this_year"
    GROUP_PAID = "group_paid"
    GROUP_IN_ROUND = "group_in_round"
    POLICY_BUDGET = "policy_budget"
    FUND_BUDGET = "fund_budget"


REASON_TEXT: dict[Reason, str] = {
    Reason.PAID_BEFORE: "已享受过本政策（一次性）",
    Reason.PAID_THIS_YEAR: "本年度已享受本政策",
    Reason.GROUP_PAID: "已享受同组政策，不重复享受",
    Reason.GROUP_IN_ROUND: "本轮同组政策金额更高，不重复享受",
    Reason.POLICY_BUDGET: "政策预算按比例核减后为零",
    Reason.FUND_BUDGET: "资金池预算不足，未获安排",
}


class Excluded(NamedTuple):
    """An eligible enterprise x policy that this round does not pay, and why."""

    candidate: Candidate
    reason: Reason
    #: The other policy involved (stacking), or the ledger round that already paid.
    other: str = ""


class Held(NamedTuple):
    """A grant that cannot be paid yet (no name, no valid account): held.csv, no budget."""

    candidate: Candidate
    #: What is missing: comma-separated codes of :data:`policymatch.rounds.held.MISSING_TEXT`.
    missing: str


class Grant(NamedTuple):
    """A candidate after budgets: ``amount_fen`` <= ``demand_fen``, and > 0."""

    candidate: Candidate
    amount_fen: int


@dataclass(frozen=True)
class BudgetUse:
    """One budget (a policy's or a fund's) in this round."""

    id: str
    budget_fen: int | None
    demand_fen: int
    granted_fen: int
    #: Priority level that was scaled (fund budgets only; None when everything fitted).
    scaled_level: int | None = None
    factor: tuple[int, int] | None = None


@dataclass(frozen=True)
class Allocation:
    grants: tuple[Grant, ...]
    push: tuple[Candidate, ...]
    excluded: tuple[Excluded, ...]
    policy_budgets: tuple[BudgetUse, ...]
    fund_budgets: tuple[BudgetUse, ...]
    held: tuple[Held, ...] = ()


# --- the steps ------------------------------------------------------------------------------


def ledger_filter(
    candidates: Iterable[Candidate],
    terms: Mapping[str, Terms],
    history: Iterable[Paid],
    as_of: dt.date,
    due: Mapping[tuple[str, str, str], int] | None = None,
) -> tuple[list[Candidate], list[Excluded]]:
    """Frequency and cross-round stacking against what the ledger holds.

    ``once``: not paid again under the policy, ever; ``yearly``: not in the as-of date's
    calendar year. Stacking: not paid under a policy whose group already paid the enterprise
    under another policy (for a ``yearly`` policy: in the same calendar year). A ledger entry
    belongs to the group it was recorded with and to the group its policy has now, so moving a
    policy into a group never opens a second payment. A grant with a remainder ``due`` (a
    ``shortfall: carry`` policy paid in part) passes the frequency check: the rest is owed.
    """
    year = as_of.year
    history = list(history)
    if not history:  # the first round: nothing to check against
        return list(candidates), []
    paid: dict[tuple[str, str], list[Paid]] = defaultdict(list)
    by_group: dict[tuple[str, str], list[Paid]] = defaultdict(list)
    for p in history:
        paid[p.policy_id, p.uscc].append(p)
        groups = {p.stacking_group}
        if p.policy_id in terms:
            groups.add(terms[p.policy_id].stacking_group)
        for g in groups - {None}:
            by_group[g, p.uscc].append(p)  # type: ignore[index]
    kept: list[Candidate] = []
    out: list[Excluded] = []
    for c in candidates:
        t = terms[c.policy_id]
        yearly = t.frequency is ir.Frequency.YEARLY
        same = [
            p for p in paid.get((c.policy_id, c.uscc), ()) if not yearly or p.once or p.year == year
        ]
        if same and due and (c.policy_id, c.uscc, t.period(as_of)) in due:
            same = []
        if same:
            reason = Reason.PAID_THIS_YEAR if yearly and not same[0].once else Reason.PAID_BEFORE
            out.append(Excluded(c, reason, same[0].round_id))
            continue
        if t.stacking_group is not None:
            others = [
                p
                for p in by_group.get((t.stacking_group, c.uscc), ())
                if p.policy_id != c.policy_id and (not yearly or p.year == year)
            ]
            if others:
                first = min(others, key=lambda p: (p.year, p.policy_id))
                out.append(Excluded(c, Reason.GROUP_PAID, first.policy_id))
                continue
        kept.append(c)
    return kept, out


def stack(
    candidates: Iterable[Candidate], terms: Mapping[str, Terms]
) -> tuple[list[Candidate], list[Excluded]]:
    """One policy per enterprise and stacking group: the largest amount, then the lower
    priority number, then the smaller policy id (decided on amounts before budgets).
    Candidates keep their order."""
    candidates = list(candidates)
    best: dict[tuple[str, str], Candidate] = {}
    for c in candidates:
        group = terms[c.policy_id].stacking_group
        if group is not None:
            current = best.get((group, c.uscc))
            if current is None or _rank(c, terms) < _rank(current, terms):
                best[group, c.uscc] = c
    kept: list[Candidate] = []
    out: list[Excluded] = []
    for c in candidates:
        group = terms[c.policy_id].stacking_group
        winner = c if group is None else best[group, c.uscc]
        if winner is c:
            kept.append(c)
        else:
            out.append(Excluded(c, Reason.GROUP_IN_ROUND, winner.policy_id))
    return kept, out


def _rank(c: Candidate, terms: Mapping[str, Terms]) -> tuple[int, int, str]:
    return (-c.demand_fen, terms[c.policy_id].priority, c.policy_id)


def prorate(amounts: Sequence[int], budget_fen: int) -> list[int]:
    """Every amount scaled by ``budget / sum(amounts)`` and floored to the fen (when short)."""
    demand = sum(amounts)
    if demand <= budget_fen:
        return list(amounts)
    return [a * budget_fen // demand for a in amounts]


def policy_budgets(
    candidates: Sequence[Candidate], amounts: list[int], terms: Mapping[str, Terms]
) -> tuple[list[int], list[BudgetUse]]:
    """Each policy's own ``budget`` applied to its grants (pro-rata when short)."""
    positions: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(candidates):
        positions[c.policy_id].append(i)
    out = list(amounts)
    uses: list[BudgetUse] = []
    for pid in sorted(positions):
        budget = terms[pid].budget_fen
        if budget is None:
            continue
        idx = positions[pid]
        before = [amounts[i] for i in idx]
        after = prorate(before, budget)
        for i, a in zip(idx, after, strict=True):
            out[i] = a
        factor = (budget, sum(before)) if sum(before) > budget else None
        uses.append(BudgetUse(pid, budget, sum(before), sum(after), factor=factor))
    return out, uses


def fund_budgets(
    candidates: Sequence[Candidate],
    amounts: list[int],
    terms: Mapping[str, Terms],
    funds: Mapping[str, int | None],
) -> tuple[list[int], list[BudgetUse]]:
    """Each fund's budget by priority level: levels that fit are paid in full; the first level
    that does not fit is scaled pro-rata to what is left; lower levels get nothing."""
    by_fund: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, c in enumerate(candidates):
        t = terms[c.policy_id]
        by_fund[t.fund][t.priority].append(i)
    out = list(amounts)
    uses: list[BudgetUse] = []
    for fund_id in sorted(set(funds) | set(by_fund)):
        levels = by_fund.get(fund_id, {})
        demand = sum(amounts[i] for idx in levels.values() for i in idx)
        budget = funds.get(fund_id)
        left = budget
        scaled: int | None = None
        factor: tuple[int, int] | None = None
        for level in sorted(levels):
            idx = levels[level]
            level_amounts = [amounts[i] for i in idx]
            level_demand = sum(level_amounts)
            if left is None or level_demand <= left:
                left = None if left is None else left - level_demand
                continue
            if scaled is None:
                scaled, factor = level, (left, level_demand)
                level_amounts = prorate(level_amounts, left)
                left = 0
            else:
                level_amounts = [0] * len(idx)
            for i, a in zip(idx, level_amounts, strict=True):
                out[i] = a
        granted = sum(out[i] for idx in levels.values() for i in idx)
        uses.append(BudgetUse(fund_id, budget, demand, granted, scaled, factor))
    return out, uses


def allocate(
    candidates: Iterable[Candidate],
    terms: Mapping[str, Terms],
    funds: Mapping[str, int | None],
    history: Iterable[Paid],
    as_of: dt.date,
    unpayable: Mapping[int, str] | None = None,
    due: Mapping[tuple[str, str, str], int] | None = None,
) -> Allocation:
    """The whole order of application after the engine: ledger, stacking, policy and fund
    budgets. Only 免申即享 candidates draw on budgets; the others become the push list.

    ``unpayable`` (frame row -> what is missing) holds 免申即享 candidates that survive the
    ledger and stacking but cannot be paid: they draw on no budget (policymatch.rounds.held).
    ``due`` (policy, USCC, period -> fen) is what ``shortfall: carry`` grants paid in part still
    owe: such a candidate asks for that remainder, no more (补发)."""
    # Sorted once here: every step keeps the order, so every list comes out sorted.
    ordered = sorted(candidates, key=_ORDER)
    if due:
        ordered = [_owed(c, terms, due, as_of) for c in ordered]
    kept, excluded = ledger_filter(ordered, terms, history, as_of, due)
    kept, stacked_out = stack(kept, terms)
    excluded += stacked_out
    pays = {pid for pid, t in terms.items() if t.draws_on_budget}
    push = tuple(c for c in kept if c.policy_id not in pays)
    paying = [c for c in kept if c.policy_id in pays]
    unpayable = unpayable or {}
    held = tuple(Held(c, unpayable[c.row]) for c in paying if c.row in unpayable)
    if held:
        paying = [c for c in paying if c.row not in unpayable]
    amounts = [c.demand_fen for c in paying]
    after_policy, policy_uses = policy_budgets(paying, amounts, terms)
    after_fund, fund_uses = fund_budgets(paying, after_policy, terms, funds)
    grants: list[Grant] = []
    for c, a_policy, a_fund in zip(paying, after_policy, after_fund, strict=True):
        if a_fund > 0:
            grants.append(Grant(c, a_fund))
        else:
            reason = Reason.POLICY_BUDGET if a_policy == 0 else Reason.FUND_BUDGET
            excluded.append(Excluded(c, reason))
    return Allocation(
        grants=tuple(grants),
        push=push,
        excluded=tuple(sorted(excluded, key=lambda e: _ORDER(e.candidate))),
        policy_budgets=tuple(policy_uses),
        fund_budgets=tuple(fund_uses),
        held=held,
    )


def _owed(
    c: Candidate,
    terms: Mapping[str, Terms],
    due: Mapping[tuple[str, str, str], int],
    as_of: dt.date,
) -> Candidate:
    left = due.get((c.policy_id, c.uscc, terms[c.policy_id].period(as_of)))
    return c if left is None else c._replace(demand_fen=min(c.demand_fen, left))


#: The order of every list: policy id, then USCC (then row, for a registry that repeats one).
_ORDER = operator.itemgetter(2, 1, 0)
