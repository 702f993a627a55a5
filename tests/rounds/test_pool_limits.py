"""A round pays at most the lowest of the fund's budget, its pool balance and what is left of
the year's appropriation, as the ledger says when the round is run."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

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
    budget: 900
    scale: 1000
    annual: {2024: 150}
policies:
  - id: A
    title: 奖励
    issuer: 县工信局
    fund: pool
    eligibility: ui_paid > 0
    amount: 100
"""


def paid(folder: Path) -> dict[str, str]:
    with (folder / "grants.csv").open(encoding="utf-8-sig", newline="") as f:
        return {r["uscc"]: r["amount"] for r in csv.DictReader(f)}


def test_the_appropriation_then_the_balance_limit_the_rounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.yaml").write_text(POLICIES, encoding="utf-8")
    schema = load("policies").schema

    def run(out: str, as_of: str, n: int) -> dict[str, str]:
        people = [
            {
                "uscc": code(i),
                "name": f"企业{i}",
                "ui_paid": Decimal(1),
                "bank_account": "62284800001",
            }
            for i in range(1, n + 1)
        ]
        write_csv(frame_from_records(people, schema), tmp_path / "r.csv", schema)
        assert main(["run", "--registry", "r.csv", "--as-of", as_of, "--out", out]) == 0
        return paid(tmp_path / out)

    # 2024's appropriation (150.00) binds before the pool (1000.00) and the budget (900.00)
    assert run("r1", "2024-03-01", 2) == {code(1): "75.00", code(2): "75.00"}
    assert main(["commit", "r1"]) == 0
    manifest = (tmp_path / "r1" / "manifest.json").read_text("utf-8")
    assert '"available": "150.00"' in manifest
    assert run("r2", "2024-06-01", 3) == {}  # the year's money is spent
    assert main(["commit", "r2"]) == 0
    # 2025 has no appropriation: the pool's balance (850.00) is the limit
    assert run("r3", "2025-03-01", 3) == {code(3): "100.00"}
