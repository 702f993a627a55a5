"""Acceptance: a scripted year of the 资金池, through the CLI, on every ledger database.

Four rounds, two 回补 from two departments, one objection withheld, three bank returns re-paid
in the next round, one recovery. The statement, the 回补清单 and ``ledger check`` agree to the
fen; no enterprise x policy x period is paid twice.
"""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from policymatch import load
from policymatch.registry.frame import frame_from_records
from policymatch.registry.writers import write_csv
from tests.rounds.helpers import cli_on, code

POLICIES = """\
version: 1
funds:
  - id: pool
    title: 县惠企政策资金池
    budget: 5000
    scale: 3000
    annual: {2024: 8000}
policies:
  - id: A
    title: 稳岗奖励
    issuer: 县人社局
    fund: pool
    eligibility: ui_paid > 0
    amount: ui_paid * 10%
  - id: B
    title: 科技创新奖励
    issuer: 县科技局
    fund: pool
    frequency: yearly
    eligibility: tax_paid >= 1000
    amount: tax_paid * 5%
"""
ACCOUNT = "6228480000000000000"


def enterprise(n: int, account: str | None = ACCOUNT) -> dict[str, Any]:
    return {
        "uscc": code(n),
        "name": f"企业{n}",
        "ui_paid": Decimal(1000),
        "tax_paid": Decimal(2000),
        "bank_account": account,
    }


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def fen(text: str) -> int:
    return int(Decimal(text) * 100)


class Year:
    def __init__(self, root: Path, ledger: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.ledger, self.capsys = root, ledger, capsys
        (root / "policies").mkdir()
        (root / "policies" / "set.yaml").write_text(POLICIES, encoding="utf-8")
        self.schema = load(str(root / "policies")).schema

    def cli(self, *argv: str, code: int = 0) -> str:
        return cli_on(self.ledger, self.capsys, *argv, code=code)

    def run(self, name: str, as_of: str, records: list[dict[str, Any]]) -> Path:
        reg = self.root / f"{name}.csv"
        write_csv(frame_from_records(records, self.schema), reg, self.schema)
        folder = self.root / name
        self.cli(
            "run", "--registry", str(reg), "--as-of", as_of, "--out", str(folder),
            "--policies", str(self.root / "policies"),
        )  # fmt: skip
        return folder

    def round_id(self, folder: Path) -> str:
        import hashlib

        return hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()[:12]

    def commit(self, folder: Path, *more: str) -> str:
        """Commit a round with the policy set it was run with, as a user must."""
        return self.cli("commit", str(folder), "--policies", str(self.root / "policies"), *more)

    def replenish(self, amount: str, dept: str, source: str, ref: str, date: str) -> str:
        return self.cli(
            "pool", "replenish", "--fund", "pool", "--amount", amount, "--from", dept,
            "--source", source, "--ref", ref, "--date", date,
            "--policies", str(self.root / "policies"),
        )  # fmt: skip


def journal(ledger: str) -> list[tuple[str, str | None, str | None, str | None, int]]:
    engine = sa.create_engine(ledger if "://" in ledger else f"sqlite:///{ledger}")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT kind, policy_id, uscc, period, amount_fen FROM pm_journal ORDER BY seq")
        )
        out = [(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]
    engine.dispose()
    return out


def test_a_year_of_the_pool(tmp_path: Path, ledger_target: str, capsys: Any) -> None:
    y = Year(tmp_path, ledger_target, capsys)
    # Round 1 (March): six enterprises, A 100 and B 100 each; one has no account (held).
    people = [enterprise(n) for n in range(1, 7)] + [enterprise(7, account="123")]
    r1 = y.run("r1", "2024-03-01", people)
    assert len(read(r1 / "grants.csv")) == 12
    assert {r["uscc"] for r in read(r1 / "held.csv")} == {code(7)}
    # An objection in 公示 against 企业1's A: withheld at commit
    (tmp_path / "objections.csv").write_text(
        f"uscc,policy_id,reason,reference\n{code(1)},A,公示期间收到实名异议,异议〔2024〕1号\n",
        encoding="utf-8",
    )
    out = y.commit(r1, "--withhold", str(tmp_path / "objections.csv"))
    assert "（11 笔，1,100.00 元）" in out
    assert "暂缓兑现 1 笔" in out
    rid1 = y.round_id(r1)
    # Three transfers come back from the bank
    (tmp_path / "returns.csv").write_text(
        "uscc,policy_id,round,amount,reason\n"
        f"{code(2)},A,{rid1},100.00,账户已销户\n"
        f"{code(3)},B,{rid1},100,户名不符\n"
        f"{code(4)},A,{rid1},100.00,账号错误\n",
        encoding="utf-8",
    )
    assert "已登记退票 3 笔，300.00 元" in y.cli("returns", str(tmp_path / "returns.csv"), "--date", "2024-04-01")  # fmt: skip
    y.replenish("300", "县人社局", "上级", "余财〔2024〕5号", "2024-05-01")
    # Round 2 (June): the withheld and the returned grants are paid again; two newcomers
    people = [enterprise(n) for n in range(1, 10)]
    r2 = y.run("r2", "2024-06-01", people)
    paid2 = {(r["uscc"], r["policy_id"]) for r in read(r2 / "grants.csv")}
    again = {(code(1), "A"), (code(2), "A"), (code(3), "B"), (code(4), "A")}
    assert again <= paid2
    assert paid2 - again == {(code(n), p) for n in (7, 8, 9) for p in "AB"}
    y.commit(r2)
    rid2 = y.round_id(r2)
    # 企业5's A was wrong: recovered, never paid again
    y.cli(
        "recover", "--uscc", code(5), "--policy", "A", "--round", rid1, "--amount", "100",
        "--reason", "不符合条件", "--ref", "追缴〔2024〕2号", "--date", "2024-07-01",
    )  # fmt: skip
    # Round 3 (September): twelve newcomers ask 2400 of a pool holding 2000: scaled, cut once
    # grants warned about (no terminal: the commit goes on)
    people = [enterprise(n) for n in range(1, 22)]
    r3 = y.run("r3", "2024-09-01", people)
    granted3 = sum(fen(r["amount"]) for r in read(r3 / "grants.csv"))
    balance_before_r3 = 300_000 - 110_000 + 30_000 + 30_000 - 100_000 + 10_000
    assert granted3 <= balance_before_r3 < sum(fen(r["demand"]) for r in read(r3 / "grants.csv"))
    assert (code(5), "A") not in {(r["uscc"], r["policy_id"]) for r in read(r3 / "grants.csv")}
    assert "一次性（once）政策兑现按比例核减" in y.commit(r3)
    y.replenish("1000", "县科技局", "本级", "余财〔2024〕9号", "2024-10-15")
    # Round 4 (December): one newcomer; the rest paid or cut for good
    r4 = y.run("r4", "2024-12-01", [enterprise(n) for n in range(1, 23)])
    assert {(r["uscc"], r["policy_id"]) for r in read(r4 / "grants.csv")} == {
        (code(22), "A"),
        (code(22), "B"),
    }
    y.commit(r4)

    # Nothing paid twice: per enterprise x policy x period, payments = 1 + returns
    events = journal(ledger_target)
    advances = Counter((p, u, per) for k, p, u, per, _ in events if k == "advance")
    returns = Counter((p, u, per) for k, p, u, per, _ in events if k == "return")
    assert all(n == 1 + returns[key] for key, n in advances.items())
    assert sum(returns.values()) == 3
    assert all(advances[k] == 2 for k in returns)
    assert ("A", code(1), "once") in advances
    assert ("withhold", "A", code(1), "once", 10_000) in events

    # The statement, the 回补清单 and ledger check agree to the fen
    total = {k: sum(a for kk, *_, a in events if kk == k) for k in ("opening", "advance", "replenish", "return", "recover")}  # fmt: skip
    balance = (
        total["opening"]
        + total["replenish"]
        - total["advance"]
        + total["return"]
        + total["recover"]
    )
    assert total["opening"] == 300_000
    assert total["replenish"] == 130_000
    y.cli("pool", "--fund", "pool", "--as-of", "2024-12-31", "--out", str(tmp_path / "stmt"))
    lines = read(tmp_path / "stmt" / "pool_statement.csv")
    assert fen(lines[-1]["balance"]) == balance
    due = {r["department"]: r for r in read(tmp_path / "stmt" / "replenish_due.csv")}
    assert set(due) == {"县人社局", "县科技局"}
    assert sum(fen(r["owed"]) for r in due.values()) == total["opening"] - balance
    assert fen(due["县人社局"]["replenished"]) == 30_000
    assert fen(due["县人社局"]["recovered"]) == 10_000
    assert fen(due["县科技局"]["returned"]) == 10_000
    for r in due.values():
        assert fen(r["owed"]) == fen(r["advanced"]) - fen(r["returned"]) - fen(r["recovered"]) - fen(r["replenished"])  # fmt: skip
    assert (tmp_path / "stmt" / "资金池对账单.xlsx").is_file()
    checked = y.cli("ledger", "check")
    assert f"资金 pool 余额 {Decimal(balance) / 100:.2f} 元" in checked
    assert rid2  # the rounds are named by their ids throughout
