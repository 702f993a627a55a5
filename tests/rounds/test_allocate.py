"""Allocation: each rule of policy-format.md on small cases, then properties against the oracle."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import Counter
from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from policymatch.rounds.allocate import (
    Allocation,
    Candidate,
    Paid,
    Reason,
    Terms,
    allocate,
    prorate,
)
from policymatch.rules.ir import Frequency, Mode
from tests.rounds.oracle import Pol, oracle

AS_OF = dt.date(2024, 3, 1)


def terms(
    pid: str,
    *,
    fund: str = "pool",
    mode: Mode = Mode.AUTOMATIC,
    priority: int = 100,
    yearly: bool = False,
    group: str | None = None,
    budget: int | None = None,
) -> Terms:
    return Terms(
        pid,
        fund,
        mode,
        priority,
        Frequency.YEARLY if yearly else Frequency.ONCE,
        group,
        budget,
    )


def run(
    cands: list[tuple[str, str, int]],
    pols: list[Terms],
    funds: Mapping[str, int | None],
    history: tuple[Paid, ...] | list[Paid] = (),
) -> Allocation:
    return allocate(
        [Candidate(i, u, p, d) for i, (u, p, d) in enumerate(cands)],
        {t.id: t for t in pols},
        funds,
        history,
        AS_OF,
    )


def granted(a: Allocation) -> dict[tuple[str, str], int]:
    return {(g.candidate.uscc, g.candidate.policy_id): g.amount_fen for g in a.grants}


def reasons(a: Allocation) -> dict[tuple[str, str], Reason]:
    return {(e.candidate.uscc, e.candidate.policy_id): e.reason for e in a.excluded}


# --- pro-rata ---------------------------------------------------------------------------------


def test_prorate_is_floor_of_the_exact_share() -> None:
    # 1000.00 of demand 3000.00 -> each third, rounded down: 333.33 (not 333.34), 1 fen unspent
    assert prorate([100_000, 100_000, 100_000], 100_000) == [33_333, 33_333, 33_333]
    # no intermediate rounding: 0.07 * 1/3 = 0.0233.. -> 0.02; 0.01 * 1/3 -> 0.00
    assert prorate([7, 1, 22], 10) == [2, 0, 7]
    assert prorate([500, 500], 1000) == [500, 500]  # fits exactly: untouched


def test_prorate_has_no_overflow() -> None:
    big = 10**16  # 100 trillion yuan in fen: past int64 once multiplied
    assert prorate([big, big], big) == [big // 2, big // 2]


# --- the steps --------------------------------------------------------------------------------


def test_fund_budget_by_priority_level() -> None:
    pols = [terms("A", priority=1), terms("B"), terms("C"), terms("D", priority=200)]
    cands = [("u1", "A", 40_000), ("u1", "B", 30_000), ("u2", "C", 50_000), ("u3", "D", 10_000)]
    a = run(cands, pols, {"pool": 100_000})
    # level 1 fits (400 of 1000); level 100 gets 600 of its 800 (factor 3/4); level 200 nothing
    assert granted(a) == {("u1", "A"): 40_000, ("u1", "B"): 22_500, ("u2", "C"): 37_500}
    assert reasons(a) == {("u3", "D"): Reason.FUND_BUDGET}
    (use,) = a.fund_budgets
    assert (use.budget_fen, use.demand_fen, use.granted_fen) == (100_000, 130_000, 100_000)
    assert use.scaled_level == 100
    assert use.factor == (60_000, 80_000)


def test_policy_budget_first_then_fund() -> None:
    pols = [terms("A", budget=10_000), terms("B")]
    cands = [("u1", "A", 10_000), ("u2", "A", 30_000), ("u3", "B", 20_000)]
    a = run(cands, pols, {"pool": 15_000})
    # A: 400 of demand scaled to its 100 budget (25 and 75); then the pool: 100 + 200 > 150,
    # same level, factor 150/300
    assert granted(a) == {("u1", "A"): 1_250, ("u2", "A"): 3_750, ("u3", "B"): 10_000}
    assert a.policy_budgets[0].granted_fen == 10_000


def test_push_list_draws_on_no_budget() -> None:
    pols = [terms("A"), terms("P", mode=Mode.ON_REQUEST)]
    a = run([("u1", "A", 10_000), ("u1", "P", 90_000)], pols, {"pool": 10_000})
    assert granted(a) == {("u1", "A"): 10_000}
    assert [(c.uscc, c.policy_id, c.demand_fen) for c in a.push] == [("u1", "P", 90_000)]


def test_stacking_largest_then_priority_then_id() -> None:
    pols = [
        terms("Z1", group="g"),
        terms("Z2", group="g"),
        terms("Z3", group="g", priority=5),
        terms("Z4", group="g", priority=5),
    ]
    a = run([("u1", "Z1", 100), ("u1", "Z2", 300)], pols, {"pool": None})
    assert granted(a) == {("u1", "Z2"): 300}
    assert (a.excluded[0].reason, a.excluded[0].other) == (Reason.GROUP_IN_ROUND, "Z2")
    a = run([("u1", "Z1", 300), ("u1", "Z3", 300)], pols, {"pool": None})
    assert granted(a) == {("u1", "Z3"): 300}  # tie on amount: lower priority number
    a = run([("u1", "Z4", 300), ("u1", "Z3", 300)], pols, {"pool": None})
    assert granted(a) == {("u1", "Z3"): 300}  # tie on both: smaller id
    a = run([("u1", "Z1", 100), ("u2", "Z2", 300)], pols, {"pool": None})
    assert len(a.grants) == 2  # different enterprises do not compete


def test_stacking_decided_before_budgets() -> None:
    # Z2 wins on its amount before budgets, even though its budget then cuts it below Z1's
    pols = [terms("Z1", group="g"), terms("Z2", group="g", budget=50)]
    a = run([("u1", "Z1", 100), ("u1", "Z2", 300)], pols, {"pool": None})
    assert granted(a) == {("u1", "Z2"): 50}


def test_frequency_once_and_yearly() -> None:
    pols = [terms("O"), terms("Y", yearly=True)]
    history = [
        Paid("O", "u1", 2019, None, "r0"),
        Paid("Y", "u1", 2023, None, "r1"),
        Paid("Y", "u2", 2024, None, "r2"),
    ]
    cands = [("u1", "O", 100), ("u2", "O", 100), ("u1", "Y", 100), ("u2", "Y", 100)]
    a = run(cands, pols, {"pool": None}, history)
    assert granted(a) == {("u2", "O"): 100, ("u1", "Y"): 100}
    assert reasons(a) == {("u1", "O"): Reason.PAID_BEFORE, ("u2", "Y"): Reason.PAID_THIS_YEAR}
    assert {e.other for e in a.excluded} == {"r0", "r2"}


def test_a_grant_recorded_once_blocks_its_policy_for_good() -> None:
    """The ledger recorded O's grant as once: a policy set that now says O is yearly (edited or
    forged) does not pay it again in a later year; a yearly grant does not block another year."""
    pols = [terms("O", yearly=True)]
    history = [Paid("O", "u1", 2019, None, "r0", once=True), Paid("O", "u2", 2023, None, "r1")]
    a = run([("u1", "O", 100), ("u2", "O", 100)], pols, {"pool": None}, history)
    assert granted(a) == {("u2", "O"): 100}
    assert reasons(a) == {("u1", "O"): Reason.PAID_BEFORE}


def test_stacking_across_rounds() -> None:
    pols = [terms("Z1", group="g"), terms("Z2", group="g"), terms("ZY", group="g", yearly=True)]
    history = [Paid("Z1", "u1", 2022, "g", "r0"), Paid("ZY", "u2", 2024, "g", "r1")]
    cands = [("u1", "Z2", 300), ("u1", "ZY", 50), ("u2", "Z1", 100), ("u3", "Z2", 300)]
    a = run(cands, pols, {"pool": None}, history)
    # u1: Z1 paid in 2022 blocks the once policy Z2 for good, not the yearly ZY in 2024;
    # u2: ZY paid this year blocks Z1
    assert granted(a) == {("u1", "ZY"): 50, ("u3", "Z2"): 300}
    assert reasons(a) == {("u1", "Z2"): Reason.GROUP_PAID, ("u2", "Z1"): Reason.GROUP_PAID}


def test_group_of_a_ledger_entry_is_its_recorded_and_its_current_one() -> None:
    # Z1 was paid before it joined group g (recorded without a group): still counts for g now
    pols = [terms("Z1", group="g"), terms("Z2", group="g")]
    a = run([("u1", "Z2", 300)], pols, {"pool": None}, [Paid("Z1", "u1", 2023, None)])
    assert reasons(a) == {("u1", "Z2"): Reason.GROUP_PAID}
    # and a policy since removed from the set still counts under the group it was paid in
    a = run([("u1", "Z2", 300)], pols, {"pool": None}, [Paid("GONE", "u1", 2023, "g")])
    assert reasons(a) == {("u1", "Z2"): Reason.GROUP_PAID}


def test_zero_after_policy_budget() -> None:
    pols = [terms("A", budget=1)]
    a = run([("u1", "A", 100), ("u2", "A", 100)], pols, {"pool": None})
    assert granted(a) == {}
    assert set(reasons(a).values()) == {Reason.POLICY_BUDGET}


# --- properties -------------------------------------------------------------------------------

USCCS = [f"u{i}" for i in range(6)]


Scenario = tuple[
    list[tuple[str, str, int]],  # due: (uscc, policy, demand fen)
    dict[str, Pol],
    dict[str, int | None],  # fund budgets
    list[tuple[str, str, int, str | None]],  # ledger: (uscc, policy, year, group)
]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    n_pol = draw(st.integers(1, 6))
    pols: dict[str, Pol] = {}
    for i in range(n_pol):
        pols[f"P{i}"] = Pol(
            fund=draw(st.sampled_from(["f1", "f2"])),
            push=draw(st.booleans()) and draw(st.booleans()),
            priority=draw(st.sampled_from([1, 50, 100])),
            yearly=draw(st.booleans()),
            group=draw(st.sampled_from([None, None, "g", "h"])),
            budget=draw(st.none() | st.integers(0, 50_000)),
        )
    amounts = st.sampled_from([1, 3, 7, 100, 333, 10_000, 99_999, 1_000_000]) | st.integers(
        1, 10**7
    )
    due = draw(
        st.lists(
            st.tuples(st.sampled_from(USCCS), st.sampled_from(sorted(pols)), amounts), max_size=25
        )
    )
    due = list({(u, p): (u, p, d) for u, p, d in due}.values())  # one amount per pair
    funds = {f: draw(st.none() | st.integers(0, 2_000_000)) for f in ("f1", "f2")}
    paid = draw(
        st.lists(
            st.tuples(
                st.sampled_from(USCCS),
                st.sampled_from([*sorted(pols), "GONE"]),
                st.sampled_from([2022, 2023, 2024]),
                st.sampled_from([None, "g", "h"]),
            ),
            max_size=6,
        )
    )
    return due, pols, funds, paid


def _terms(pols: Mapping[str, Pol]) -> dict[str, Terms]:
    return {
        pid: terms(
            pid,
            fund=p.fund,
            mode=Mode.ON_COMMITMENT if p.push else Mode.AUTOMATIC,
            priority=p.priority,
            yearly=p.yearly,
            group=p.group,
            budget=p.budget,
        )
        for pid, p in pols.items()
    }


def _allocate(scenario: Scenario, order: list[int] | None = None) -> Allocation:
    due, pols, funds, paid = scenario
    cands = [Candidate(i, u, p, d) for i, (u, p, d) in enumerate(due)]
    if order is not None:
        cands = [cands[i] for i in order]
    history = [Paid(p, u, y, g) for u, p, y, g in paid]
    return allocate(cands, _terms(pols), funds, history, AS_OF)


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_matches_the_independent_oracle(scenario: Scenario) -> None:
    due, pols, funds, paid = scenario
    a = _allocate(scenario)
    expected, push = oracle(due, pols, funds, paid, AS_OF.year)
    assert granted(a) == expected
    assert {(c.uscc, c.policy_id) for c in a.push} == push


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_no_budget_is_ever_exceeded(scenario: Scenario) -> None:
    due, pols, funds, _ = scenario
    a = _allocate(scenario)
    by_policy: Counter[str] = Counter()
    by_fund: Counter[str] = Counter()
    for g in a.grants:
        assert 0 < g.amount_fen <= g.candidate.demand_fen
        by_policy[g.candidate.policy_id] += g.amount_fen
        by_fund[pols[g.candidate.policy_id].fund] += g.amount_fen
    for pid, total in by_policy.items():
        budget = pols[pid].budget
        assert budget is None or total <= budget
    for fund, total in by_fund.items():
        budget = funds[fund]
        assert budget is None or total <= budget
    # every candidate is accounted for exactly once
    seen = Counter([(g.candidate.uscc, g.candidate.policy_id) for g in a.grants])
    seen.update((c.uscc, c.policy_id) for c in a.push)
    seen.update((e.candidate.uscc, e.candidate.policy_id) for e in a.excluded)
    assert seen == Counter((u, p) for u, p, _ in due)
    # at most one policy per enterprise and stacking group
    groups = Counter(
        (c.uscc, pols[c.policy_id].group)
        for c in [g.candidate for g in a.grants] + list(a.push)
        if pols[c.policy_id].group is not None
    )
    assert all(n == 1 for n in groups.values())


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.integers(1, 500_000))
def test_scaling_is_monotone_in_the_budget(scenario: Scenario, more: int) -> None:
    due, pols, funds, paid = scenario
    richer = {f: None if b is None else b + more for f, b in funds.items()}
    before, after = granted(_allocate(scenario)), granted(_allocate((due, pols, richer, paid)))
    for key, amount in before.items():
        assert after.get(key, 0) >= amount


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_scaling_is_monotone_in_the_demand(scenario: Scenario) -> None:
    # inside one scaled level, a larger demand never gets a smaller grant
    a = _allocate(scenario)
    _, pols, _, _ = scenario
    by_level: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for g in a.grants:
        p = pols[g.candidate.policy_id]
        if p.budget is None:
            by_level.setdefault((p.fund, p.priority), []).append(
                (g.candidate.demand_fen, g.amount_fen)
            )
    for pairs in by_level.values():
        pairs.sort()
        assert all(x[1] <= y[1] for x, y in itertools.pairwise(pairs))


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_same_inputs_same_lists_whatever_the_order(scenario: Scenario, rnd: random.Random) -> None:
    order = list(range(len(scenario[0])))
    rnd.shuffle(order)
    a, b = _allocate(scenario), _allocate(scenario, order)
    assert a == b
