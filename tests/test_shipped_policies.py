"""The shipped policy set (``policies/``, 弋阳县 361126), pinned to the county's items (docs/policies.md).

The examples in the YAML check chosen points; the properties here check each rule with
arithmetic or dates against an independent Python reading of the same sentence (as
docs/policies.md interprets it), over values drawn around every threshold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from policymatch.backends.reference import evaluate_policy
from policymatch.engine import BACKENDS, get_backend
from policymatch.examples import example_record, run_examples
from policymatch.money import to_fen
from policymatch.registry.frame import frame_from_records
from policymatch.rounds.allocate import Candidate, Paid, Reason, Terms, allocate, budget_fen
from policymatch.rules import PolicySet, compile_policy_set, ir
from policymatch.schema import FieldType
from policymatch.values import Value

POLICIES = Path(__file__).resolve().parent.parent / "policies"
#: The demo as-of date of docs/policies.md: every shipped policy is in force on it.
DEMO_AS_OF = dt.date(2024, 3, 1)
LOCAL: dict[str, Value] = {"region": "361126", "credit_blacklisted": False}


class Spec(NamedTuple):
    title: str
    issuer: str
    mode: ir.Mode
    frequency: ir.Frequency
    priority: int
    stacking_group: str | None


_AUTO, _REQUEST, _COMMIT = ir.Mode.AUTOMATIC, ir.Mode.ON_REQUEST, ir.Mode.ON_COMMITMENT
_ONCE, _YEARLY = ir.Frequency.ONCE, ir.Frequency.YEARLY

#: The county's items (docs/policies.md), item by item (item 3 is two policies sharing a stacking group).
SPEC: dict[str, Spec] = {
    "YY-RS-2023-01": Spec("失业保险稳岗返还", "县人社局", _AUTO, _YEARLY, 1, None),
    "YY-GX-2023-01": Spec("首次升规入统奖励", "县工信局", _AUTO, _ONCE, 100, None),
    "YY-GX-2023-02": Spec("专精特新企业奖励", "县工信局", _AUTO, _ONCE, 100, "专精特新奖励"),
    "YY-GX-2023-03": Spec("专精特新小巨人企业奖励", "县工信局", _AUTO, _ONCE, 100, "专精特新奖励"),
    "YY-KJ-2023-01": Spec("研发投入奖励", "县科技局", _AUTO, _YEARLY, 100, None),
    "YY-KJ-2023-02": Spec("高新技术企业奖励", "县科技局", _AUTO, _ONCE, 100, None),
    "YY-KJ-2023-03": Spec("科技型中小企业补助", "县科技局", _AUTO, _ONCE, 100, None),
    "YY-SW-2023-01": Spec("纳税贡献奖励", "县税务局、县财政局", _AUTO, _YEARLY, 100, None),
    "YY-SH-2023-01": Spec("外贸出口奖励", "县商务局", _REQUEST, _YEARLY, 100, None),
    "YY-RS-2023-02": Spec("小微企业稳岗补助", "县人社局", _COMMIT, _YEARLY, 100, None),
    "YY-SG-2023-01": Spec("个转企奖励", "县市管局", _AUTO, _ONCE, 100, None),
}


@cache
def shipped() -> PolicySet:
    return compile_policy_set(POLICIES)


def paid(policy_id: str, as_of: dt.date = DEMO_AS_OF, **fields: Value) -> Decimal | None:
    """What a local, creditworthy enterprise is due (None: not eligible or nothing due)."""
    out = evaluate_policy(shipped().policy(policy_id), {**LOCAL, **fields}, as_of)
    assert out.status != "unknown", out.missing
    return out.amount if out.status == "eligible" else None


def due(amount: Decimal) -> Decimal | None:
    """The spec's money rule: rounded half-up to the fen; zero or less is not granted."""
    rounded = to_fen(amount)
    return rounded if rounded > 0 else None


# --- the set as a whole ---------------------------------------------------------------------


def test_the_policies_are_those_of_the_spec() -> None:
    got = {
        p.id: Spec(p.title, p.issuer, p.mode, p.frequency, p.priority, p.stacking_group)
        for p in shipped().policies
    }
    assert got == SPEC


def test_one_fund_of_20_million_pays_every_policy() -> None:
    policy_set = shipped()
    assert list(policy_set.funds) == ["huiqi-pool"]
    fund = policy_set.funds["huiqi-pool"]
    assert (fund.title, fund.budget) == ("弋阳县惠企政策资金池", Decimal(20_000_000))
    assert {p.fund for p in policy_set.policies} == {"huiqi-pool"}
    assert all(p.budget is None for p in policy_set.policies)


def test_every_policy_is_in_force_on_the_demo_date_with_its_basis() -> None:
    policy_set = shipped()
    assert policy_set.in_force(DEMO_AS_OF) == policy_set.policies
    for p in policy_set.policies:
        assert (p.effective_from, p.effective_to) == (dt.date(2023, 1, 1), dt.date(2025, 12, 31))
        assert p.basis.startswith(("弋府发〔2023〕12号 第", "弋人社发〔2023〕5号 第")), p.id


def test_every_policy_first_requires_the_shared_local_enterprise_define() -> None:
    local = ir.Labeled(
        "本地企业",
        ir.And(
            (
                ir.Compare("==", ir.Field("region", FieldType.CODE), ir.Const("361126", ir.T.TEXT)),
                ir.Not(ir.Field("credit_blacklisted", FieldType.BOOLEAN)),
            )
        ),
    )
    for p in shipped().policies:
        assert ir.top_conditions(p.eligibility)[0] == local, p.id


def test_the_county_extension_adds_the_conversion_date() -> None:
    field = shipped().schema["个转企日期"]
    assert (field.name, field.type, field.label) == ("converted_on", FieldType.DATE, "个转企日期")


def test_amount_shapes_follow_the_spec() -> None:
    policy_set = shipped()
    tiered = {p.id for p in policy_set.policies if p.amount.tiers}
    assert tiered == {"YY-RS-2023-01", "YY-GX-2023-01", "YY-SW-2023-01"}
    caps = {p.id: p.cap for p in policy_set.policies if p.cap is not None}
    assert caps == {
        "YY-KJ-2023-01": Decimal(500_000),
        "YY-SH-2023-01": Decimal(300_000),
        "YY-RS-2023-02": Decimal(50_000),
    }


# --- examples -------------------------------------------------------------------------------


def test_all_examples_pass() -> None:
    failed = [
        f"{r.policy.id} / {r.example.name} ({r.example.file}:{r.example.line}): "
        + "; ".join(r.problems)
        for r in run_examples(shipped())
        if not r.passed
    ]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("policy_id", sorted(SPEC))
def test_examples_cover_both_outcomes_missing_data_and_the_local_condition(
    policy_id: str,
) -> None:
    examples = shipped().policy(policy_id).examples
    assert {ex.eligible for ex in examples} == {True, False, None}
    local_failures = [ex for ex in examples if ex.fails == ("本地企业",)]
    records = [dict(ex.enterprise) for ex in local_failures]
    assert any(r["region"] != "361126" and r["credit_blacklisted"] is False for r in records)
    assert any(r["region"] == "361126" and r["credit_blacklisted"] is True for r in records)


def test_missing_data_names_only_fields_the_example_leaves_empty() -> None:
    for r in run_examples(shipped()):
        if r.example.eligible is not None:
            continue
        assert r.outcome is not None
        record = example_record(r.example)
        assert r.outcome.missing, r.example.name
        assert all(record.get(name) is None for name in r.outcome.missing), r.example.name


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_every_backend_gives_each_example_its_expected_result(backend: str) -> None:
    # One frame per as-of date, one row per example, every policy matched against every row:
    # the batch backends must reach the examples' outcomes (and amounts) too.
    policy_set = shipped()
    by_date: dict[dt.date, list[tuple[ir.Policy, ir.Example]]] = {}
    for p in policy_set.policies:
        for ex in p.examples:
            by_date.setdefault(ex.as_of, []).append((p, ex))
    for as_of, cases in sorted(by_date.items()):
        frame = frame_from_records(
            [{**example_record(ex), "uscc": f"E{i}"} for i, (_, ex) in enumerate(cases)],
            policy_set.schema,
        )
        result = get_backend(backend).match(policy_set.policies, frame, as_of, policy_set.schema)
        grants = {(r.row, r.policy_id): r.amount_fen for r in result.grants.itertuples()}
        unknown = {(r.row, r.policy_id) for r in result.unknown.itertuples()}
        for row, (p, ex) in enumerate(cases):
            got = "unknown" if (row, p.id) in unknown else grants.get((row, p.id), False)
            if ex.eligible is None:
                assert got == "unknown", ex.name
            elif not ex.eligible:
                assert got is False, ex.name
            else:
                assert ex.amount is not None, ex.name  # every eligible example states its amount
                assert got == int(ex.amount * 100), ex.name


# --- rounds: stacking and priority as the spec orders them ------------------------------------


def _allocate(
    demands: list[tuple[str, str, int]], history: tuple[Paid, ...] = ()
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], Reason]]:
    policy_set = shipped()
    terms = {p.id: Terms.of(p) for p in policy_set.policies}
    funds = {
        f.id: None if f.budget is None else budget_fen(f.budget) for f in policy_set.funds.values()
    }
    candidates = [Candidate(i, uscc, pid, fen) for i, (uscc, pid, fen) in enumerate(demands)]
    result = allocate(candidates, terms, funds, history, DEMO_AS_OF)
    grants = {(g.candidate.uscc, g.candidate.policy_id): g.amount_fen for g in result.grants}
    excluded = {(e.candidate.uscc, e.candidate.policy_id): e.reason for e in result.excluded}
    return grants, excluded


def test_a_little_giant_gets_the_larger_award_only() -> None:
    tags = frozenset({"专精特新", "专精特新小巨人"})
    small, giant = paid("YY-GX-2023-02", tags=tags), paid("YY-GX-2023-03", tags=tags)
    assert (small, giant) == (Decimal(100_000), Decimal(500_000))
    uscc = "E1"
    grants, excluded = _allocate(
        [(uscc, "YY-GX-2023-02", int(small * 100)), (uscc, "YY-GX-2023-03", int(giant * 100))]
    )
    assert grants == {(uscc, "YY-GX-2023-03"): 50_000_000}
    assert excluded == {(uscc, "YY-GX-2023-02"): Reason.GROUP_IN_ROUND}


def test_no_top_up_after_the_smaller_award_was_paid() -> None:
    uscc = "E1"
    history = (Paid("YY-GX-2023-02", uscc, 2023, "专精特新奖励"),)
    grants, excluded = _allocate([(uscc, "YY-GX-2023-03", 50_000_000)], history)
    assert grants == {}
    assert excluded == {(uscc, "YY-GX-2023-03"): Reason.GROUP_PAID}


def test_the_unemployment_refund_is_funded_first_when_the_pool_runs_short() -> None:
    # 15 million of refunds and 10 million of 高新 awards against a 20 million pool.
    refunds = [(f"R{i:02}", "YY-RS-2023-01", 100_000_000) for i in range(15)]
    awards = [(f"H{i:02}", "YY-KJ-2023-02", 20_000_000) for i in range(50)]
    grants, excluded = _allocate(refunds + awards)
    assert all(grants[uscc, pid] == fen for uscc, pid, fen in refunds)
    assert sum(grants[uscc, pid] for uscc, pid, _ in awards) == 500_000_000
    assert not excluded


# --- each rule against an independent reading of its sentence ---------------------------------


def _near(points: list[int], step: int, spread: int = 3) -> st.SearchStrategy[int]:
    """Integers at, just below and just above each threshold (in units of ``step``)."""
    return st.sampled_from(points).flatmap(
        lambda p: st.integers(-spread, spread).map(lambda k: p + k * step)
    )


def money(*thresholds_yuan: int) -> st.SearchStrategy[Decimal]:
    fen = st.one_of(
        _near([t * 100 for t in thresholds_yuan], 1), st.integers(0, 20_000_000_000)
    ).filter(lambda f: f >= 0)
    return fen.map(lambda f: Decimal(f) / 100)


def rate(*thresholds: str) -> st.SearchStrategy[Decimal]:
    millionths = st.one_of(
        _near([int(Decimal(t) * 1_000_000) for t in thresholds], 1), st.integers(0, 1_000_000)
    ).filter(lambda m: 0 <= m <= 1_000_000)
    return millionths.map(lambda m: Decimal(m) / 1_000_000)


SIZES = st.sampled_from(["大型", "中型", "小型", "微型"])
EFFECTIVE = st.dates(dt.date(2023, 1, 1), dt.date(2025, 12, 31))
FEW = settings(max_examples=300, deadline=None)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@FEW
@given(
    ui_paid=money(0, 1),
    layoff=rate("0.055", "0.2", "0"),
    employees=_near([30], 1, 2) | st.integers(0, 2000),
    size=SIZES,
)
def test_unemployment_refund(ui_paid: Decimal, layoff: Decimal, employees: int, size: str) -> None:
    ok = ui_paid > 0 and (
        layoff <= Decimal("0.055") or (employees <= 30 and layoff <= Decimal("0.2"))
    )
    share = Decimal("0.3") if size == "大型" else Decimal("0.6")
    want = due(ui_paid * share) if ok else None
    got = paid("YY-RS-2023-01", ui_paid=ui_paid, layoff_rate=layoff, employees=employees, size=size)
    assert got == want


@FEW
@given(
    ui_paid=money(0, 1),
    layoff=rate("0"),
    employees=_near([5, 50], 1, 2) | st.integers(0, 500),
    size=SIZES,
)
def test_small_business_job_subsidy(
    ui_paid: Decimal, layoff: Decimal, employees: int, size: str
) -> None:
    ok = size in ("小型", "微型") and ui_paid > 0 and layoff == 0 and employees >= 5
    want = due(min(Decimal(1000 * employees), Decimal(50_000))) if ok else None
    got = paid("YY-RS-2023-02", ui_paid=ui_paid, layoff_rate=layoff, employees=employees, size=size)
    assert got == want


@FEW
@given(rd=money(1_000_000, 10_000_000, 3_000_000), revenue=money(0, 100_000_000, 33_333_333))
def test_rd_award(rd: Decimal, revenue: Decimal) -> None:
    ok = rd >= 1_000_000 and rd >= revenue * Decimal("0.03")
    want = due(min(rd * Decimal("0.05"), Decimal(500_000))) if ok else None
    assert paid("YY-KJ-2023-01", rd_expense=rd, revenue=revenue) == want


@FEW
@given(tax=money(5_000_000, 10_000_000, 50_000_000) | money(0).map(lambda m: -m))
def test_tax_contribution_award(tax: Decimal) -> None:
    tiers = [(50_000_000, 500_000), (10_000_000, 200_000), (5_000_000, 100_000)]
    want = next((Decimal(award) for floor, award in tiers if tax >= floor), None)
    assert paid("YY-SW-2023-01", tax_paid=tax) == want


@FEW
@given(export=money(5_000_000, 60_000_000))
def test_export_award(export: Decimal) -> None:
    ok = export >= 5_000_000
    want = due(min(export * Decimal("0.005"), Decimal(300_000))) if ok else None
    assert paid("YY-SH-2023-01", export_value=export) == want


@FEW
@given(
    as_of=EFFECTIVE,
    since=st.integers(2015, 2026),
    industry=st.sampled_from(["C3011", "C", "B0610", "E4710", "F5123", "G5430", "H6210"])
    | st.sampled_from(["I6513", "J6610", "K7010", "L7211", "M7320", "N7721", "P8331"]),
)
def test_first_time_above_scale_award(as_of: dt.date, since: int, industry: str) -> None:
    award = {"C": 100_000, "F": 50_000, "G": 50_000, "H": 50_000, "I": 50_000}
    award |= {"L": 50_000, "M": 50_000}
    ok = since == as_of.year - 1 and industry[0] in award
    want = Decimal(award[industry[0]]) if ok else None
    assert paid("YY-GX-2023-01", as_of, above_scale_since=since, industry=industry) == want


def _window_property(
    policy_id: str, field: str, years: int, amount: int
) -> Callable[[dt.date, int], None]:
    """Eligible exactly when ``field`` lies in (as_of − ``years`` years, as_of]."""

    def check(as_of: dt.date, days_before: int) -> None:
        day = as_of - dt.timedelta(days=days_before)
        ok = years_before(as_of, years) < day <= as_of
        # The tag is what 科技型中小企业补助 also needs; 个转企奖励 ignores it.
        extra: dict[str, Value] = {"tags": frozenset({"科技型中小企业"})}
        assert paid(policy_id, as_of, **{field: day}, **extra) == (Decimal(amount) if ok else None)

    return check


@FEW
@given(as_of=EFFECTIVE, days_before=_near([0, 365, 366, 1095, 1096], 1) | st.integers(-60, 1200))
@example(as_of=dt.date(2023, 2, 28), days_before=1094)  # registered 2020-02-29
@example(as_of=dt.date(2023, 3, 1), days_before=1096)  # registered 2020-02-29
@example(as_of=dt.date(2024, 2, 29), days_before=1096)  # registered 2021-02-28
def test_young_tech_sme_subsidy(as_of: dt.date, days_before: int) -> None:
    _window_property("YY-KJ-2023-03", "registered_on", 3, 20_000)(as_of, days_before)


@FEW
@given(as_of=EFFECTIVE, days_before=_near([0, 365, 366], 1) | st.integers(-60, 800))
@example(as_of=dt.date(2025, 2, 28), days_before=365)  # converted 2024-02-29
@example(as_of=dt.date(2024, 2, 29), days_before=366)  # converted 2023-02-28
@example(as_of=dt.date(2025, 3, 1), days_before=366)  # converted 2024-02-29
def test_conversion_award(as_of: dt.date, days_before: int) -> None:
    _window_property("YY-SG-2023-01", "converted_on", 1, 10_000)(as_of, days_before)
