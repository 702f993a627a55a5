"""The demo's round on the shipped policies: held grants are neither paid nor published, and
after the commit the pool statement, the 回补清单 and ``ledger check`` balance to the fen."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from policymatch.cli import main
from tests.rounds.helpers import commit

SHIPPED = Path(__file__).parents[2] / "policies"


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def fen(text: str) -> int:
    return int(Decimal(text) * 100)


def test_the_demo_round_holds_and_balances(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    pol = ["--policies", str(SHIPPED)]
    assert main(["sample-registry", "--rows", "3000", "--seed", "1", *pol, "--out", "reg.csv"]) == 0
    assert (
        main(["run", "--registry", "reg.csv", "--as-of", "2024-03-01", *pol, "--out", "out"]) == 0
    )
    held = {(r["uscc"], r["policy_id"]) for r in read(tmp_path / "out" / "held.csv")}
    assert held  # the sample registry has enterprises without a name or an account
    published = read(tmp_path / "out" / "公示名单.csv")
    assert not held & {(r["统一社会信用代码"], r["政策编号"]) for r in published}
    assert all(r["企业名称"] and r["银行账号"] for r in published)
    paid = sum(fen(r["amount"]) for r in read(tmp_path / "out" / "grants.csv"))
    assert commit("out", "--yes", policies=SHIPPED) == 0
    assert main(["pool", "--out", "stmt"]) == 0
    lines = read(tmp_path / "stmt" / "pool_statement.csv")
    assert fen(lines[0]["amount"]) == 20_000_000 * 100  # the shipped pool's scale
    assert fen(lines[-1]["balance"]) == 20_000_000 * 100 - paid
    owed = sum(fen(r["owed"]) for r in read(tmp_path / "stmt" / "replenish_due.csv"))
    assert owed == paid
    capsys.readouterr()
    assert main(["ledger", "check"]) == 0
    assert f"余额 {Decimal(20_000_000 * 100 - paid) / 100:,.2f} 元" in capsys.readouterr().out
