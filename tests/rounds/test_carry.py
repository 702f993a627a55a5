"""``shortfall: carry``: the part a budget cut is due later (补发); the default cut is final."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

import policymatch
from policymatch import load
from policymatch.cli import main
from policymatch.registry.frame import frame_from_records
from policymatch.registry.writers import write_csv
from tests.rounds.helpers import code

POLICIES = """\
version: 1
funds:
  - id: pool
    title: 资金池
    scale: 200
policies:
  - id: C
    title: 补发政策
    issuer: 县工信局
    fund: pool
    shortfall: carry
    eligibility: ui_paid > 0
    amount: 100
  - id: F
    title: 核减即止政策
    issuer: 县工信局
    fund: pool
    eligibility: ui_paid > 0
    amount: 100
"""


def grants(folder: Path) -> dict[tuple[str, str], str]:
    with (folder / "grants.csv").open(encoding="utf-8-sig", newline="") as f:
        return {(r["uscc"], r["policy_id"]): r["amount"] for r in csv.DictReader(f)}


def write_county(folder: Path) -> None:
    """policies/ (a pool of 200.00 for two policies of 100.00) and r.csv (two enterprises)."""
    (folder / "policies").mkdir()
    (folder / "policies" / "p.yaml").write_text(POLICIES, encoding="utf-8")
    schema = load(folder / "policies").schema
    people = [
        {"uscc": code(n), "name": f"企业{n}", "ui_paid": Decimal(1), "bank_account": "62284800001"}
        for n in (1, 2)
    ]
    write_csv(frame_from_records(people, schema), folder / "r.csv", schema)


def test_the_remainder_is_paid_later_and_only_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_county(tmp_path)

    def run(out: str) -> dict[tuple[str, str], str]:
        assert main(["run", "--registry", "r.csv", "--as-of", "2024-03-01", "--out", out]) == 0
        paid = grants(tmp_path / out)
        # The library's round, and the explanation, read the ledger's pool and 补发 as run does
        library = policymatch.run_round("policies", "r.csv", "2024-03-01", ledger="ledger.sqlite")
        granted = library.granted
        assert paid == {
            (u, p): f"{a:.2f}"
            for u, p, a in zip(granted.uscc, granted.policy_id, granted.amount_yuan, strict=True)
        }
        why = policymatch.explain_enterprise(
            "policies", "r.csv", code(1), "C", "2024-03-01", ledger="ledger.sqlite"
        ).to_dict()
        assert why["read_out"]["amount_yuan"] == paid.get((code(1), "C"), "0.00")
        return paid

    # 400.00 asked of a pool of 200.00: every grant scaled to 50.00
    assert set(run("r1").values()) == {"50.00"}
    capsys.readouterr()
    assert main(["commit", "r1"]) == 0
    err = capsys.readouterr().err
    assert "（F）" in err  # only the final cut is warned about
    # The pool is empty: the remainder waits
    assert run("r2") == {}
    assert main(["commit", "r2"]) == 0
    assert main(["pool", "replenish", "--fund", "pool", "--amount", "200", "--from", "县工信局", "--ref", "x"]) == 0  # fmt: skip
    # 补发: C's remainder (50.00 each), never F's
    assert run("r3") == {(code(1), "C"): "50.00", (code(2), "C"): "50.00"}
    assert main(["commit", "r3"]) == 0
    assert run("r4") == {}  # paid in full now
    capsys.readouterr()
    assert main(["ledger", "check"]) == 0
    # 200.00 scale - 200.00 round 1 + 200.00 回补 - 100.00 补发
    assert "资金 pool 余额 100.00 元" in capsys.readouterr().out
