"""Grants that cannot be paid are held (held.csv): no budget, not published, not committed, paid
in a later round once the registry has the data."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from policymatch import load
from policymatch.rounds.draft import draft_round
from policymatch.rounds.held import unpayable_rows
from policymatch.rounds.ledger import Ledger
from policymatch.rounds.round import write_draft
from tests.rounds.helpers import AS_OF, FULL, code, read_entry, registry, write_policies


@pytest.mark.parametrize(
    ("name", "account", "missing"),
    [
        ("甲公司", "6222 0212-3456 1234", None),
        ("甲公司", "12345678", None),
        ("甲公司", "1" * 30, None),
        (None, "6222021234561234", "name"),
        ("  ", "6222021234561234", "name"),
        ("甲公司", None, "bank_account"),
        ("甲公司", "", "bank_account"),
        ("甲公司", "1234567", "bank_account_invalid"),
        ("甲公司", "1" * 31, "bank_account_invalid"),
        ("甲公司", "6222****1234", "bank_account_invalid"),
        ("甲公司", "62220212345６1234", "bank_account_invalid"),  # a full-width digit
        (None, None, "name,bank_account"),
    ],
)
def test_the_account_rule(name: str | None, account: str | None, missing: str | None) -> None:
    frame = pd.DataFrame({"name": [name], "bank_account": [account]}, dtype=object)
    assert unpayable_rows(frame).get(0) == missing


def _rule(name: str | None, account: str | None) -> str | None:
    """The rule as the module docstring says it, one enterprise at a time, in Python."""
    no_name = name is None or not name.strip()
    no_account = account is None or not account.strip()
    digits = "" if account is None else re.sub(r"[\s-]", "", account)
    bad = not no_account and re.fullmatch(r"[0-9]{8,30}", digits) is None
    flags = (("name", no_name), ("bank_account", no_account), ("bank_account_invalid", bad))
    return ",".join(code for code, flag in flags if flag) or None


@pytest.mark.parametrize("dtype", ["object", "str"])
def test_judged_rows_follow_the_rule_whatever_the_characters(dtype: str) -> None:
    """Arrow judges most values, Python the unusual ones (odd spaces, full-width characters):
    every row comes out as the rule says, and judging only some rows judges them the same."""
    rng = random.Random(7)
    odd = [" ", "\u3000", "\xa0", "\x1c", "\u2028", "\t", "-", "＊", "１", "ａ", "甲", ",", "\x85"]
    pieces = ["1234", "5678", "90", "", *odd]
    names = [rng.choice([None, "", *odd, "甲公司"]) for _ in range(400)]
    names = [n if n is None else n + rng.choice(["", *odd]) for n in names]
    accounts = [
        rng.choice([None, "".join(rng.choices(pieces, k=rng.randint(0, 9)))]) for _ in range(400)
    ]
    frame = pd.DataFrame({"name": names, "bank_account": accounts}).astype(dtype)
    rows = sorted(rng.sample(range(400), 150))
    everyone = unpayable_rows(frame)
    assert everyone == {
        i: why for i, (n, a) in enumerate(zip(names, accounts, strict=True)) if (why := _rule(n, a))
    }
    assert unpayable_rows(frame, rows) == {i: why for i, why in everyone.items() if i in rows}


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def records(complete: bool) -> list[dict[str, Any]]:
    """W (60% of ui_paid, fund budget 1000) for four enterprises; three cannot be paid unless
    ``complete``."""
    acct = "6228480000000000000"
    rows = [
        {"uscc": code(1), "name": "甲公司", "ui_paid": 1000},
        {"uscc": code(2), "name": None if not complete else "乙公司", "ui_paid": 1000},
        {"uscc": code(3), "name": "丙公司", "ui_paid": 500, "bank_account": None},
        {"uscc": code(4), "name": "丁公司", "ui_paid": 500, "bank_account": "1234-567"},
    ]
    return [
        FULL | {"bank_account": acct} | r | ({"bank_account": acct} if complete else {})
        for r in rows
    ]


def run(root: Path, out: str, ledger: Ledger, complete: bool) -> Path:
    policy_set = load(str(write_policies(root / "policies")))
    reg = registry(records(complete), policy_set)
    draft = draft_round(policy_set, reg, AS_OF, ledger.history(), ledger=ledger.display)
    write_draft(draft, root / out)
    return root / out


def test_held_grants_draw_no_budget_and_are_paid_later(tmp_path: Path) -> None:
    ledger = Ledger(str(tmp_path / "ledger.sqlite"))
    first = run(tmp_path, "r1", ledger, complete=False)
    held = read(first / "held.csv")
    assert [(r["uscc"], r["policy_id"], r["missing"]) for r in held] == [
        (code(2), "W", "name"),
        (code(3), "W", "bank_account"),
        (code(4), "W", "bank_account_invalid"),
    ]
    assert held[0]["issuer"] == "县人社局"  # the department to ask
    assert held[0]["detail"] == "缺少企业名称"
    assert held[0]["demand"] == "600.00"
    # 甲 alone draws on the budget of 1000: paid in full (600 of 600), not scaled with the others
    grants = read(first / "grants.csv")
    assert [(r["uscc"], r["amount"]) for r in grants] == [(code(1), "600.00")]
    published = {r["统一社会信用代码"] for r in read(first / "公示名单.csv")}
    assert published == {code(1)}
    assert ledger.commit(read_entry(first)).grants == 1
    assert [p.uscc for p in ledger.history()] == [code(1)]
    # The registry now has the data: the held grants are paid (甲 was paid this year already)
    second = run(tmp_path, "r2", ledger, complete=True)
    assert read(second / "held.csv") == []
    paid = {r["uscc"]: r["amount"] for r in read(second / "grants.csv")}
    assert set(paid) == {code(2), code(3), code(4)}
    assert sum(int(a.replace(".", "")) for a in paid.values()) == 100_000  # the budget, all of it
    excluded = {(r["uscc"], r["reason"]) for r in read(second / "excluded.csv")}
    assert (code(1), "paid_this_year") in excluded
    assert ledger.commit(read_entry(second)).grants == 3
    ledger.dispose()


def test_explain_says_what_to_complete(tmp_path: Path) -> None:
    from policymatch.rounds.effects import round_effects

    policy_set = load(str(write_policies(tmp_path / "policies")))
    draft = draft_round(policy_set, registry(records(False), policy_set), AS_OF, [])
    assert round_effects(draft, code(3))["W"] == [
        "  待补正，本轮不兑现：缺少银行账号（请 县人社局 补正登记数据）；"
        "不占本轮预算，补正后在以后的轮次兑现 300.00 元"
    ]
