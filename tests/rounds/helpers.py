"""A small policy set that exercises every step of allocation, and registry stand-ins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from policymatch import load
from policymatch.cli import main
from policymatch.registry.frame import frame_from_records
from policymatch.rounds.allocate import Paid
from policymatch.rounds.ledger import RoundEntry
from policymatch.rounds.manifest import read_round
from policymatch.rules import PolicySet
from policymatch.values import Value

#: Two funds: a pool with a budget (priority levels 1 and 100 compete for it) and an open one.
#: Z1/Z2 share a stacking group; T has its own budget; P is a push-list policy; OLD has expired.
POLICY_SET = """\
version: 1
funds:
  - id: pool
    title: 测试资金池
    budget: 1000
  - id: open
    title: 不设预算的资金
policies:
  - id: W
    title: 稳岗返还
    issuer: 县人社局
    fund: pool
    priority: 1
    frequency: yearly
    eligibility:
      all:
        - label: 本县企业
          when: region == "361126"
        - label: 缴纳失业保险
          when: ui_paid > 0
    amount: ui_paid * 60%
  - id: Z1
    title: 专精特新奖励
    issuer: 县工信局
    fund: pool
    stacking_group: 专精特新
    eligibility: '"专精特新" in tags'
    amount: 100
  - id: Z2
    title: 小巨人奖励
    issuer: 县工信局
    fund: pool
    stacking_group: 专精特新
    eligibility: '"专精特新小巨人" in tags'
    amount: 300
  - id: T
    title: 纳税贡献奖励
    issuer: 县税务局
    fund: open
    frequency: yearly
    budget: 150
    eligibility:
      all:
        - label: 本县企业
          when: region == "361126"
        - label: 纳税达标
          when: tax_paid >= 1000
    amount:
      tiers:
        - when: tax_paid >= 5000
          value: 100
        - when: tax_paid >= 1000
          value: 50
  - id: P
    title: 外贸出口奖励
    issuer: 县商务局
    fund: pool
    mode: 即申即享
    eligibility: export_value >= 1000
    amount: export_value * 0.5%
    cap: 30
  - id: OLD
    title: 已到期政策
    fund: pool
    effective: {from: 2020-01-01, to: 2021-12-31}
    eligibility: employees > 0
    amount: 1
"""


def write_policies(folder: Path, text: str = POLICY_SET) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policies.yaml").write_text(text, encoding="utf-8")
    return folder


def read_entry(folder: Path, policies: Path | None = None) -> RoundEntry:
    """The round in ``folder`` as commit reads it: checked against the policy set it was run
    with (by default the ``policies`` folder beside it, where :func:`write_policies` puts it)."""
    return read_round(folder, load(str(policies or folder.parent / "policies")))


def commit(folder: Path | str, *more: str, policies: Path | str = "policies") -> int:
    """``policymatch commit`` of a round folder with the policy set it was run with, as a user
    must give it (the registry is the one the manifest names unless ``more`` says)."""
    return main(["commit", str(folder), "--policies", str(policies), *more])


def cli_on(ledger: str, capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    """``policymatch ARGV --ledger LEDGER`` in process: what it printed (stdout and stderr), once
    its exit code is ``code`` and it printed no traceback."""
    capsys.readouterr()
    got = main([*argv, "--ledger", ledger])
    out, err = capsys.readouterr()
    assert got == code, out + err
    assert "Traceback" not in err
    return out + err


@dataclass(frozen=True)
class Rejected:
    row: int
    uscc: str | None
    reason: str


@dataclass
class Registry:
    """Stands in for a registry read: a typed frame and the rows set aside."""

    frame: pd.DataFrame
    rejected: list[Rejected] = field(default_factory=list)
    source: str = "registry.csv"
    sha256: str | None = "0" * 64
    ignored_columns: list[str] = field(default_factory=list)
    missing_fields: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.rejected)


def registry(
    records: Sequence[Mapping[str, Value]], policy_set: PolicySet, rejected: Sequence[Rejected] = ()
) -> Registry:
    return Registry(frame_from_records(records, policy_set.schema), list(rejected))


def code(n: int) -> str:
    """A valid unified social credit code, numbered."""
    from policymatch.registry.uscc import make_uscc

    return make_uscc(f"91361126MA35{n:05d}")


AS_OF = dt.date(2024, 3, 1)
WAN = Decimal(10_000)

#: What a complete registry row of the golden round holds unless it says otherwise.
FULL: dict[str, Value] = {
    "region": "361126",
    "ui_paid": Decimal(0),
    "tax_paid": Decimal(0),
    "export_value": Decimal(0),
    # A payee needs an account (policymatch.rounds.held): the golden enterprises have one.
    "bank_account": "6228480000000000000",
}

#: Enterprises of the golden round: each line says what it is there to show (AS_OF, POLICY_SET).
GOLDEN_RECORDS: list[dict[str, Value]] = [FULL | r for r in [
    # W 300.00 (60% of 500); 专精特新 and 小巨人: Z2 (300) wins over Z1 (100), then scaled
    {"uscc": code(1), "name": "弋阳甲科技有限公司", "region": "361126", "ui_paid": Decimal(500),
     "tags": frozenset({"专精特新", "专精特新小巨人"}), "bank_name": "中国银行弋阳支行",
     "bank_account": "6222 0212 3456 1234", "contact_phone": "13812345678"},
    # W 74.07; Z1 100 scaled; T 100 scaled by its own budget; a name with a comma and quotes
    {"uscc": code(2), "name": '弋阳"乙"材料, 有限公司', "region": "361126",
     "ui_paid": Decimal("123.45"), "tags": frozenset({"专精特新"}), "tax_paid": Decimal(6000),
     "bank_account": "6217000000000000017", "contact_phone": "0793-5821234"},
    # W unknown (ui_paid missing): missing data; T 50
    {"uscc": code(3), "name": "丙商贸有限公司", "ui_paid": None, "tax_paid": Decimal(1000)},
    # not local: W fails 本县企业 only (not a near miss: a status); 小巨人 Z2 300 (no region condition)
    {"uscc": code(4), "name": "丁铜业有限公司", "region": "361127", "ui_paid": Decimal(100),
     "tags": frozenset({"专精特新小巨人"})},
    # push list: P 0.5% of 10000 = 50, capped at 30; W fails 缴纳失业保险 (ui_paid > 0) only: a
    # threshold of 0, never a near miss
    {"uscc": code(5), "name": "戊外贸有限公司", "region": "361126", "ui_paid": Decimal(0),
     "export_value": Decimal(10_000), "contact_phone": "13900001111"},
    # T 50 (paid under T last year: yearly, so paid again this year)
    {"uscc": code(6), "name": "己食品有限公司", "region": "361126", "tax_paid": Decimal(2000)},
    # W 600.00
    {"uscc": code(7), "name": "庚机械制造有限公司", "region": "361126", "ui_paid": Decimal(1000)},
    # Z1 paid in 2022 (once): excluded, already paid
    {"uscc": code(8), "name": "辛电子有限公司", "region": "361126",
     "tags": frozenset({"专精特新"})},
    # Z1 paid in 2023, now 小巨人: Z2 excluded, same stacking group already paid
    {"uscc": code(9), "name": "壬新材料有限公司", "region": "361126",
     "tags": frozenset({"专精特新", "专精特新小巨人"})},
    # T near miss: 纳税达标 (tax_paid >= 1000) 100.00 short, 10% (within the default 20%)
    {"uscc": code(10), "name": "癸建材有限公司", "region": "361126", "tax_paid": Decimal(900),
     "contact_phone": "13700002222"},
]]  # fmt: skip

GOLDEN_HISTORY = [
    Paid("T", code(6), 2023, None, "r2023"),
    Paid("Z1", code(8), 2022, "专精特新", "r2022"),
    Paid("Z1", code(9), 2023, "专精特新", "r2023"),
]

GOLDEN_REJECTED = [
    Rejected(11, "91361126MA35XXX03B", "统一社会信用代码: check digit (expected 'A')")
]
