"""The watcher API on a policy set written as a county would write it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("durable")

from policymatch import load
from policymatch.backends.durable import RecordError, Watcher
from policymatch.engine import Engine
from policymatch.registry.frame import frame_from_records, iter_records
from policymatch.registry.generate import generate_frame
from policymatch.rounds.allocate import Paid
from policymatch.rounds.history import LedgerHistory
from policymatch.rounds.ledger import Ledger
from policymatch.rules import PolicySet, ir
from tests.backends.durable.helpers import AS_OF, USCC, write_policies

LOCAL = {"uscc": USCC, "region": "361126", "credit_blacklisted": False}


@pytest.fixture(scope="module")
def policy_set(tmp_path_factory: pytest.TempPathFactory) -> PolicySet:
    return load(str(write_policies(tmp_path_factory.mktemp("policies"))))


@pytest.fixture
def watcher(policy_set: PolicySet) -> Watcher:
    with Watcher(policy_set, AS_OF) as w:
        yield w  # type: ignore[misc]


def _kinds(notes: list) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
    return [(n.kind, n.policy_id, str(n.amount)) for n in notes]


def test_a_change_reports_the_grants_it_makes_due_with_explanations(watcher: Watcher) -> None:
    notes = watcher.update({**LOCAL, "above_scale_since": 2023, "industry": "C3011"})
    assert _kinds(notes) == [("grant", "SG", "100000.00")]
    note = notes[0]
    assert note.uscc == USCC
    assert note.policy.title == "首次升规入统奖励"
    assert note.explanation == (
        "本地企业: yes (credit_blacklisted=false, region=361126)",
        "上年首次纳入规上: yes (above_scale_since=2023)",
        'industry startswith "C": yes (industry=C3011)',
        "amount 100000.00",
    )


def test_a_change_revokes_with_the_reason(watcher: Watcher) -> None:
    watcher.update({**LOCAL, "tags": "专精特新", "tax_paid": "600万"})
    assert _kinds(
        watcher.update(
            {**LOCAL, "tags": "专精特新", "tax_paid": "600万", "credit_blacklisted": "是"}
        )
    ) == [
        ("revoke", "NS", "100000.00"),
        ("revoke", "ZJ", "100000.00"),
    ]
    watcher.update({**LOCAL, "tags": "专精特新"})
    notes = watcher.update({**LOCAL, "tags": "专精特新", "credit_blacklisted": None})
    assert [(n.kind, n.policy_id, n.explanation) for n in notes] == [
        ("revoke", "ZJ", ("missing data: credit_blacklisted",))
    ]
    notes = watcher.update({**LOCAL, "tags": "专精特新", "credit_blacklisted": True})
    assert notes == []
    watcher.update({**LOCAL, "tags": "专精特新"})
    notes = watcher.update({**LOCAL, "credit_blacklisted": True, "tags": "专精特新"})
    assert notes[0].explanation == ("no longer eligible: fails 本地企业",)


def test_an_amount_that_changes_is_revoked_and_granted_again(watcher: Watcher) -> None:
    assert _kinds(watcher.update({**LOCAL, "tax_paid": "600万"})) == [("grant", "NS", "100000.00")]
    notes = watcher.update({**LOCAL, "tax_paid": "1200万"})
    assert _kinds(notes) == [("revoke", "NS", "100000.00"), ("grant", "NS", "200000.00")]
    assert notes[0].explanation == ("amount is now 200000.00",)
    assert notes[1].explanation[-1] == "amount 200000.00 (tier 2)"


def test_amounts_are_exact_with_cap_and_half_up(watcher: Watcher) -> None:
    notes = watcher.update({**LOCAL, "rd_expense": "2000000.10", "revenue": "1000万"})
    assert _kinds(notes) == [("grant", "YF", "100000.01")]  # 100000.005 rounds half up
    notes = watcher.update({**LOCAL, "rd_expense": "2000万", "revenue": "1亿"})
    assert _kinds(notes) == [("revoke", "YF", "100000.01"), ("grant", "YF", "500000.00")]
    assert notes[1].explanation[-1] == "amount 500000.00, from 1000000.00 before cap and rounding"


def test_removal_revokes_everything(watcher: Watcher) -> None:
    watcher.update({**LOCAL, "tags": "专精特新、专精特新小巨人"})
    notes = watcher.remove(USCC)
    assert [(n.kind, n.policy_id, n.explanation) for n in notes] == [
        ("revoke", "XJR", ("removed from the registry",)),
        ("revoke", "ZJ", ("removed from the registry",)),
    ]
    assert watcher.remove(USCC) == []
    assert list(watcher.due()) == []
    assert len(watcher) == 0


def test_policies_out_of_force_and_modes(watcher: Watcher) -> None:
    notes = watcher.update({**LOCAL, "export_value": "1000万"})
    assert _kinds(notes) == [("grant", "WM", "50000.00")]
    assert notes[0].policy.mode is ir.Mode.ON_REQUEST
    assert "OLD" not in {p.id for p in watcher.program.policies}


def test_stacking_inside_a_round_is_the_rounds_business(watcher: Watcher) -> None:
    # Both policies of the group are due: the round picks the larger one when it pays.
    notes = watcher.update({**LOCAL, "tags": "专精特新，专精特新小巨人"})
    assert sorted(n.policy_id for n in notes) == ["XJR", "ZJ"]


def test_the_ledger_decides_what_was_paid(policy_set: PolicySet) -> None:
    ledger = LedgerHistory(
        policy_set.policies,
        [
            Paid("NS", USCC, 2023, None),  # yearly, last year: due again
            Paid("ZJ", USCC, 2022, "专精特新"),  # once, and the group's: XJR is not due either
        ],
    )
    row = {
        **LOCAL,
        "tags": "专精特新、专精特新小巨人",
        "tax_paid": "600万",
        "above_scale_since": 2023,
        "industry": "C1",
    }
    with Watcher(policy_set, AS_OF, ledger=ledger) as watcher:
        assert sorted(n.policy_id for n in watcher.update(row)) == ["NS", "SG"]
        ledger.add(Paid("SG", USCC, 2024, None))
        notes = watcher.recheck()  # a round was committed: ask again about what is due
        assert [(n.kind, n.policy_id, n.explanation) for n in notes] == [
            ("revoke", "SG", ("already paid (ledger)",))
        ]
        assert watcher.update(row) == []
        ledger.add(Paid("NS", USCC, 2024, None))
        assert [n.policy_id for n in watcher.update(row)] == ["NS"]  # asked on every change
        assert list(watcher.due()) == []


def test_the_history_is_read_from_the_rounds_ledger(policy_set: PolicySet, tmp_path: Path) -> None:
    # A ledger no round was committed to yet holds nothing.
    empty = LedgerHistory.read(Ledger(str(tmp_path / "ledger.sqlite")), policy_set.policies)
    assert not empty.paid(USCC, policy_set.policy("ZJ"), AS_OF)

    class Committed:
        def history(self) -> list[Paid]:
            return [Paid("XJR", USCC, 2021, "专精特新", "round-1")]

    held = LedgerHistory.read(Committed(), policy_set.policies)  # type: ignore[arg-type]
    assert held.paid(USCC, policy_set.policy("ZJ"), AS_OF)  # the group was paid once


def test_rows_are_typed_as_a_registry_file_types_them(watcher: Watcher) -> None:
    notes = watcher.update(
        {
            "统一社会信用代码": USCC,
            "行政区划代码": 361126,
            "严重失信主体": "否",
            "资质标签": "科技型中小企业|规上企业",
            "成立日期": "2022年3月2日",
            "上年纳税额": "1,000.50元",
        }
    )
    assert _kinds(notes) == [("grant", "KX", "20000.00")]
    record = watcher.record(USCC)
    assert record is not None
    assert record["tax_paid"] == Decimal("1000.50")
    assert record["registered_on"] == dt.date(2022, 3, 2)
    assert record["size"] is None  # not given, and nothing to derive it from


def test_size_is_derived_when_the_row_does_not_give_it(watcher: Watcher) -> None:
    watcher.update({**LOCAL, "industry": "C3391", "employees": 25, "revenue": "800万"})
    record = watcher.record(USCC)
    assert record is not None
    assert record["size"] == "小型"


def test_a_row_that_does_not_type_is_refused_with_every_problem(watcher: Watcher) -> None:
    with pytest.raises(RecordError) as exc:
        watcher.update(
            {
                "uscc": "91361126MA35G2K650",
                "employes": 3,
                "revenue": "lots",
                "age_years": 4,
                "registered_on": "2023-02-30",
            }
        )
    assert exc.value.problems == [
        "统一社会信用代码 '91361126MA35G2K650' 校验码不对（末位应为 '" + USCC[-1] + "'）",
        "'employes' is not a registry field (did you mean 'employees'?)",
        "revenue (上年营业收入): 'lots' 不是数字",
        "'age_years' is derived, not an input",
        "registered_on (成立日期): '2023-02-30' 不是存在的日期",
    ]
    with pytest.raises(RecordError, match="no uscc"):
        watcher.update({"region": "361126"})
    assert len(watcher) == 0


def test_a_replayed_registry_ends_where_the_batch_core_is(policy_set: PolicySet) -> None:
    first = list(iter_records(generate_frame(300, seed=7), policy_set.schema))
    rng = np.random.default_rng(7)
    changed = []
    for row in first:
        roll = rng.random()
        if roll < 0.1:
            continue  # left the registry
        if roll < 0.4:
            row = {
                **row,
                "tags": row["tags"] | {"专精特新"},
                "tax_paid": Decimal(int(rng.integers(0, 6 * 10**7))),
                "credit_blacklisted": bool(rng.random() < 0.1),
            }
        changed.append(row)
    with Watcher(policy_set, AS_OF) as watcher:
        for row in first:
            watcher.update(row)
        kept = {r["uscc"] for r in changed}
        for row in first:
            if row["uscc"] not in kept:
                watcher.remove(str(row["uscc"]))
        for row in changed:
            watcher.update(row)
        due = {(d.uscc, d.policy_id): d.amount for d in watcher.due()}
    frame = frame_from_records(changed, policy_set.schema)
    grants = Engine(policy_set).match(frame, AS_OF).grants
    want = dict(
        zip(zip(grants["uscc"], grants["policy_id"], strict=True), grants["amount"], strict=True)
    )
    assert len(want) > 100
    assert due == want


def test_the_watcher_frees_durable_when_closed(policy_set: PolicySet, tmp_path: Path) -> None:
    watcher = Watcher(policy_set, AS_OF)
    watcher.update({**LOCAL, "tax_paid": "600万"})
    watcher.close()
    watcher.close()  # twice is fine
    assert watcher._session.shards == 0
