"""A whole round on a county-sized registry, checked to the fen against an independent computation.

The registry is generated (30,000 rows, seeded, no missing cells), written as the CSV a county
exports, and run through ``run_round`` with a ledger that already holds an earlier round. The
expected lists are computed here from the generator's records with plain Python: each policy's
rule written out by hand (not compiled), Decimal amounts rounded half-up, and the allocation of
:mod:`tests.rounds.oracle` (Fractions). Every grant, push entry and exclusion must agree, and every
file must say the same.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from policymatch import load
from policymatch.registry.frame import from_cell
from policymatch.registry.generate import generate_frame
from policymatch.registry.writers import write_csv
from policymatch.rounds.allocate import Terms
from policymatch.rounds.ledger import Ledger, LedgerGrant, RoundEntry
from policymatch.rounds.round import RoundRequest, run_round
from policymatch.schema import Schema
from policymatch.values import Value
from tests.rounds.oracle import Pol, oracle

ROWS = 30_000
AS_OF = dt.date(2024, 3, 1)

POLICIES = """\
version: 1
funds:
  - {id: pool, title: 惠企政策资金池, budget: 800万}
  - {id: tech, title: 科技专项资金, budget: 120万}
define:
  本地企业: region == "361126" and not credit_blacklisted
policies:
  - id: W
    title: 失业保险稳岗返还
    fund: pool
    priority: 1
    frequency: yearly
    eligibility:
      all:
        - 本地企业
        - ui_paid > 0
        - layoff_rate <= 5.5% or (employees <= 30 and layoff_rate <= 20%)
    amount:
      tiers:
        - {when: 'size in ["中型", "小型", "微型"]', value: ui_paid * 60%}
        - {when: size == "大型", value: ui_paid * 30%}
  - id: G
    title: 首次升规入统奖励
    fund: pool
    eligibility:
      all:
        - 本地企业
        - coalesce(above_scale_since, 0) == year(as_of) - 1
    amount:
      tiers:
        - {when: industry startswith "C", value: 10万}
        - {when: 'industry startswith "F" or industry startswith "G" or industry startswith "M"', value: 5万}
  - id: Z1
    title: 专精特新奖励
    fund: pool
    stacking_group: 专精特新
    eligibility: 本地企业 and "专精特新" in tags
    amount: 10万
  - id: Z2
    title: 专精特新小巨人奖励
    fund: pool
    stacking_group: 专精特新
    eligibility: 本地企业 and "专精特新小巨人" in tags
    amount: 50万
  - id: R
    title: 研发投入奖励
    fund: tech
    frequency: yearly
    budget: 100万
    eligibility: 本地企业 and rd_expense >= 50万 and rd_expense >= revenue * 3%
    amount: rd_expense * 5%
    cap: 20万
  - id: H
    title: 高新技术企业奖励
    fund: tech
    priority: 50
    eligibility: 本地企业 and "高新技术企业" in tags
    amount: 3万
  - id: X
    title: 外贸出口奖励
    fund: pool
    mode: 即申即享
    frequency: yearly
    eligibility: 本地企业 and export_value >= 100万
    amount: export_value * 0.5%
    cap: 30万
  - id: S
    title: 小微企业稳岗补助
    fund: pool
    mode: 承诺兑现
    eligibility: 本地企业 and size in ["小型", "微型"] and ui_paid > 0 and layoff_rate == 0 and employees >= 5
    amount: min(employees * 1000, 5万)
"""

D = Decimal
WAN = D(10_000)
LOCAL: Callable[[Mapping[str, Value]], bool] = lambda r: (  # noqa: E731
    r["region"] == "361126" and not r["credit_blacklisted"]
)


def half_up(x: Decimal) -> int:
    """Yuan to fen, half-up (written here, not taken from policymatch.money)."""
    return int((x * 100).quantize(D(1), rounding=ROUND_HALF_UP))


def w(r: Mapping[str, Value]) -> int | None:
    rate, n = r["layoff_rate"], r["employees"]
    if not (
        LOCAL(r) and r["ui_paid"] > 0 and (rate <= D("0.055") or (n <= 30 and rate <= D("0.2")))
    ):
        return None
    share = D("0.6") if r["size"] in ("中型", "小型", "微型") else D("0.3")
    return half_up(r["ui_paid"] * share)


def g(r: Mapping[str, Value]) -> int | None:
    if not (LOCAL(r) and (r["above_scale_since"] or 0) == AS_OF.year - 1):
        return None
    industry = str(r["industry"])
    if industry[0] == "C":
        return half_up(10 * WAN)
    return half_up(5 * WAN) if industry[0] in "FGM" else None


def rd(r: Mapping[str, Value]) -> int | None:
    spend = r["rd_expense"]
    if not (LOCAL(r) and spend >= 50 * WAN and spend >= r["revenue"] * D("0.03")):
        return None
    return half_up(min(spend * D("0.05"), 20 * WAN))


def x(r: Mapping[str, Value]) -> int | None:
    if not (LOCAL(r) and r["export_value"] >= 100 * WAN):
        return None
    return half_up(min(r["export_value"] * D("0.005"), 30 * WAN))


def s(r: Mapping[str, Value]) -> int | None:
    ok = LOCAL(r) and r["size"] in ("小型", "微型") and r["ui_paid"] > 0
    if not (ok and r["layoff_rate"] == 0 and r["employees"] >= 5):
        return None
    return half_up(min(D(r["employees"]) * 1000, 5 * WAN))


RULES: dict[str, Callable[[Mapping[str, Value]], int | None]] = {
    "W": w,
    "G": g,
    "Z1": lambda r: half_up(10 * WAN) if LOCAL(r) and "专精特新" in r["tags"] else None,
    "Z2": lambda r: half_up(50 * WAN) if LOCAL(r) and "专精特新小巨人" in r["tags"] else None,
    "R": rd,
    "H": lambda r: half_up(3 * WAN) if LOCAL(r) and "高新技术企业" in r["tags"] else None,
    "X": x,
    "S": s,
}
POLS = {
    "W": Pol("pool", priority=1, yearly=True),
    "G": Pol("pool"),
    "Z1": Pol("pool", group="专精特新"),
    "Z2": Pol("pool", group="专精特新"),
    "R": Pol("tech", yearly=True, budget=100 * 10_000 * 100),
    "H": Pol("tech", priority=50),
    "X": Pol("pool", push=True, yearly=True),
    "S": Pol("pool", push=True),
}
#: Sized to the generator's seed: W (priority 1) fits the pool and the rest of the pool is
#: scaled; in tech, H (priority 50) fits, and R is cut to its own budget, then scaled again.
FUNDS = {"pool": 800 * 10_000 * 100, "tech": 120 * 10_000 * 100}


def records_of(frame: pd.DataFrame, schema: Schema) -> list[dict[str, Value]]:
    """The frame's rows as Python values, a column at a time (row by row is slow)."""
    columns = {
        f.name: [from_cell(f, v) for v in frame[f.name].tolist()] for f in schema.input_fields
    }
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def fen(text: str) -> int:
    return int(D(text) * 100)


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Value]], list[tuple[str, str, int, str | None]]]:  # fmt: skip
    """The round folder, the registry's records, and what the ledger held before the round."""
    root = tmp_path_factory.mktemp("county")
    (root / "policies").mkdir()
    (root / "policies" / "set.yaml").write_text(POLICIES, encoding="utf-8")
    policy_set = load(str(root / "policies"))
    frame = generate_frame(ROWS, seed=20240301, null_rate=0, schema=policy_set.schema)
    write_csv(frame, root / "registry.csv", policy_set.schema)
    records = records_of(frame, policy_set.schema)
    # An earlier round in the ledger: some Z1 (once) in 2022, some W (yearly) this year already,
    # some R (yearly) last year.
    earlier: list[tuple[str, str, int, str | None]] = []
    for i, r in enumerate(records):
        uscc = str(r["uscc"])
        if i % 7 == 0 and RULES["Z1"](r):
            earlier.append((uscc, "Z1", 2022, "专精特新"))
        if i % 5 == 0 and RULES["W"](r):
            earlier.append((uscc, "W", 2024, None))
        if i % 3 == 0 and RULES["R"](r):
            earlier.append((uscc, "R", 2023, None))
    ledger = Ledger(str(root / "ledger.sqlite"))
    for year in (2022, 2023, 2024):
        grants = [LedgerGrant(u, None, p, 100, 100) for u, p, y, _ in earlier if y == year]
        terms = {t.id: t for t in map(Terms.of, policy_set.policies)}
        entry = RoundEntry(
            f"earlier-{year}", dt.date(year, 3, 1), "x", None, "0", "", terms, grants
        )
        assert ledger.commit(entry).recorded
    ledger.dispose()
    request = RoundRequest(
        str(root / "registry.csv"), AS_OF, root / "out", ledger=str(root / "ledger.sqlite")
    )
    run_round(policy_set, request)
    return root / "out", records, earlier


def expected(
    records: list[dict[str, Value]], earlier: list[tuple[str, str, int, str | None]]
) -> tuple[dict[tuple[str, str], int], set[tuple[str, str]], dict[tuple[str, str], int]]:
    due = [
        (str(r["uscc"]), pid, amount)
        for r in records
        for pid, rule in RULES.items()
        if (amount := rule(r)) is not None and amount > 0
    ]
    grants, push = oracle(due, POLS, FUNDS, earlier, AS_OF.year)
    return grants, push, {(u, p): d for u, p, d in due}


def test_every_grant_to_the_fen(county: tuple[Path, list[dict[str, Value]], list]) -> None:
    out, records, earlier = county
    grants, push, demand = expected(records, earlier)
    rows = read(out / "grants.csv")
    got = {(r["uscc"], r["policy_id"]): fen(r["amount"]) for r in rows}
    assert got == grants
    assert all(fen(r["demand"]) == demand[r["uscc"], r["policy_id"]] for r in rows)
    pushed = {(r["uscc"], r["policy_id"]): fen(r["amount"]) for r in read(out / "push.csv")}
    assert set(pushed) == push
    assert all(a == demand[k] for k, a in pushed.items())
    # the round is big enough to exercise every rule
    assert {p for _, p in grants} == {"W", "G", "Z1", "Z2", "R", "H"}
    assert {p for _, p in push} == {"X", "S"}
    assert read(out / "missing.csv") == []  # a registry without gaps: every result is known


def test_budgets_hold_and_the_summary_adds_up(county: tuple[Path, list, list]) -> None:
    out, records, earlier = county
    grants, _, _ = expected(records, earlier)
    summary = {r["policy_id"]: r for r in read(out / "summary.csv")}
    for pid in ("W", "G", "Z1", "Z2", "R", "H"):
        paid = sum(a for (_, p), a in grants.items() if p == pid)
        assert fen(summary[pid]["granted"]) == paid
        assert fen(summary[pid]["demand"]) - fen(summary[pid]["shortfall"]) == paid
    assert fen(summary["R"]["granted"]) <= 100 * 10_000 * 100
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    for fund, budget in FUNDS.items():
        total = sum(a for (_, p), a in grants.items() if POLS[p].fund == fund)
        assert fen(manifest["funds"][fund]["granted"]) == total <= budget
    # both funds ran short, and the scaling happened where the sizes above say
    assert fen(manifest["funds"]["pool"]["demand"]) > FUNDS["pool"]
    assert summary["W"]["shortfall"] == "0.00"
    assert summary["H"]["shortfall"] == "0.00"
    for pid in ("G", "Z1", "Z2", "R"):
        assert fen(summary[pid]["shortfall"]) > 0, pid
    counts = manifest["counts"]
    assert counts["rows_read"] == counts["rows_matched"] + counts["rows_set_aside"] == ROWS
    assert counts["grants"] == len(grants)


def test_exclusions_name_their_reason(county: tuple[Path, list, list]) -> None:
    out, _, earlier = county
    excluded = {(r["uscc"], r["policy_id"]): r["reason"] for r in read(out / "excluded.csv")}
    for uscc, pid, year, _ in earlier:
        if pid == "Z1":
            assert excluded.get((uscc, "Z1")) == "paid_before"
            assert excluded.get((uscc, "Z2"), "group_paid") == "group_paid"
        if pid == "W" and year == 2024:
            assert excluded[uscc, "W"] == "paid_this_year"
        if pid == "R":
            assert excluded.get((uscc, "R")) != "paid_this_year"  # yearly: last year's is no bar


def test_the_other_files_agree(county: tuple[Path, list, list]) -> None:
    out, _, _ = county
    rows = read(out / "grants.csv")
    public = read(out / "公示名单.csv")
    assert len(public) == len(rows)
    assert [(p["统一社会信用代码"], p["兑现金额（元）"]) for p in public] == [
        (r["uscc"], r["amount"]) for r in rows
    ]
    for p, r in zip(public, rows, strict=True):
        account = r["bank_account"]
        assert p["银行账号"] == account[:4] + "*" * (len(account) - 8) + account[-4:]
    for name in ("grants.csv", "excluded.csv", "push.csv"):
        listed = read(out / name)
        assert listed == sorted(listed, key=lambda r: (r["policy_id"], r["uscc"])), name
    # No near misses: they are one top-level threshold short, and these policies' only
    # threshold items (W: ui_paid > 0) are thresholds of 0; the rest are single expressions.
    assert read(out / "near_miss.csv") == []
    book = openpyxl.load_workbook(out / "兑现清单.xlsx", read_only=True)
    sheet = book["兑现清单"]
    *cells, foot = sheet.iter_rows(min_row=2, values_only=True)
    assert len(cells) == len(rows)
    assert [(c[0], c[2]) for c in cells] == [(r["uscc"], r["policy_id"]) for r in rows]
    total = sum(D(str(c[6])) for c in cells)
    assert total == sum(D(r["amount"]) for r in rows)
    assert foot[:2] == ("合计", f"共 {len(rows):,} 笔")
    assert D(str(foot[6])) == total
