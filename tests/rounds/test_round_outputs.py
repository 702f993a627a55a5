"""The files of a round: golden CSV files byte for byte, the workbook, the manifest, determinism.

Regenerate the golden files after an intended change with ``UPDATE_GOLDEN=1 pytest ...``
and review the diff.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from policymatch import load
from policymatch.rounds.draft import draft_round
from policymatch.rounds.round import PUBLICITY_BOOK, WORKBOOK, write_draft
from tests.golden import assert_golden
from tests.rounds.helpers import (
    AS_OF,
    GOLDEN_HISTORY,
    GOLDEN_RECORDS,
    GOLDEN_REJECTED,
    code,
    registry,
    write_policies,
)

GOLDEN = Path(__file__).parent / "golden"
CSV_FILES = (
    "grants.csv",
    "push.csv",
    "missing.csv",
    "near_miss.csv",
    "rejected.csv",
    "excluded.csv",
    "summary.csv",
    "公示名单.csv",
    "held.csv",
)


@pytest.fixture
def golden_round(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The golden round, written from inside tmp_path (so file names in the manifest are
    relative and the same on every machine)."""
    monkeypatch.chdir(tmp_path)
    return write_golden(Path("out"))


def write_golden(out: Path) -> Path:
    policy_set = load(str(write_policies(Path("policies"))))
    reg = registry(GOLDEN_RECORDS, policy_set, GOLDEN_REJECTED)
    draft = draft_round(policy_set, reg, AS_OF, GOLDEN_HISTORY, ledger="sqlite:///ledger.sqlite")
    write_draft(draft, out)
    return out


@pytest.mark.parametrize("name", CSV_FILES)
def test_csv_files_are_golden(golden_round: Path, name: str) -> None:
    assert_golden(GOLDEN / name, (golden_round / name).read_bytes())


def test_csv_format(golden_round: Path) -> None:
    for name in CSV_FILES:
        data = (golden_round / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), name  # BOM
        assert b"\r" not in data
        assert data.endswith(b"\n")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_the_amounts_of_the_golden_round(golden_round: Path) -> None:
    """The allocation worked by hand (see the comments of GOLDEN_RECORDS)."""
    got = {
        (r["uscc"], r["policy_id"]): (r["demand"], r["amount"])
        for r in read_csv(golden_round / "grants.csv")
    }
    # pool (1000.00): level 1 (W) 300 + 74.07 + 600 = 974.07 fits; level 100 gets the 25.93
    # left for a demand of 700: Z2 300 -> floor(30000 * 2593 / 70000) fen = 11.11, Z1 100 -> 3.70.
    # T: its own budget 150 for a demand of 200: 100 -> 75.00, 50 -> 37.50.
    assert got == {
        (code(1), "W"): ("300.00", "300.00"),
        (code(2), "W"): ("74.07", "74.07"),
        (code(7), "W"): ("600.00", "600.00"),
        (code(1), "Z2"): ("300.00", "11.11"),
        (code(4), "Z2"): ("300.00", "11.11"),
        (code(2), "Z1"): ("100.00", "3.70"),
        (code(2), "T"): ("100.00", "75.00"),
        (code(3), "T"): ("50.00", "37.50"),
        (code(6), "T"): ("50.00", "37.50"),
    }
    excluded = {
        (r["uscc"], r["policy_id"]): r["reason"] for r in read_csv(golden_round / "excluded.csv")
    }
    assert excluded == {
        (code(1), "Z1"): "group_in_round",
        (code(8), "Z1"): "paid_before",
        (code(9), "Z1"): "paid_before",
        (code(9), "Z2"): "group_paid",
    }
    push = read_csv(golden_round / "push.csv")
    assert [(r["uscc"], r["policy_id"], r["amount"]) for r in push] == [(code(5), "P", "30.00")]
    missing = read_csv(golden_round / "missing.csv")
    assert [(r["uscc"], r["policy_id"], r["fields"]) for r in missing] == [
        (code(3), "W", "ui_paid")
    ]
    near = [
        (r["uscc"], r["policy_id"], r["condition"], r["field"], r["value"], r["gap"], r["ratio"])
        for r in read_csv(golden_round / "near_miss.csv")
    ]
    # Only a threshold within 20% is near: not code(4) (not local: a status), nor code(5)
    # (ui_paid > 0: a threshold of 0), nor code(4) on T (fails two conditions).
    assert near == [(code(10), "T", "纳税达标", "tax_paid", "900.00 元", "100.00 元", "0.1000")]


def test_near_misses_go_to_their_department_not_the_review_workbook(golden_round: Path) -> None:
    book = openpyxl.load_workbook(golden_round / "临界企业_县税务局.xlsx")
    assert book.sheetnames == ["临界企业"]
    rows = list(book["临界企业"].iter_rows(values_only=True))
    assert rows[0][:3] == ("统一社会信用代码", "企业名称", "政策编号")
    assert len(rows) == 2
    assert rows[1][0] == code(10)
    assert "上年纳税额 900.00 元，差 100.00 元（10.0%）" in rows[1]
    assert "13700002222" in rows[1]
    assert sorted(p.name for p in golden_round.glob("临界企业_*.xlsx")) == [
        "临界企业_县税务局.xlsx"
    ]
    assert "临界企业" not in openpyxl.load_workbook(golden_round / WORKBOOK).sheetnames


def test_publicity_list_masks_sensitive_fields(golden_round: Path) -> None:
    text = (golden_round / "公示名单.csv").read_text("utf-8-sig")
    assert "6222********1234" in text
    assert "138****5678" in text
    assert "079****1234" in text  # 0793-5821234 without its dash
    for raw in ("6222 0212 3456 1234", "6222021234561234", "13812345678", "5821234"):
        assert raw not in text


def test_manifest(golden_round: Path) -> None:
    manifest = json.loads((golden_round / "manifest.json").read_text("utf-8"))
    assert manifest["as_of"] == "2024-03-01"
    counts = manifest["counts"]
    assert counts["rows_read"] == counts["rows_matched"] + counts["rows_set_aside"] == 11
    assert counts["rows_set_aside"] == 1
    assert manifest["policy_set"]["files"] == {
        "policies/policies.yaml": manifest["policy_set"]["files"]["policies/policies.yaml"]
    }
    assert set(manifest["outputs"]) == {
        *CSV_FILES,
        WORKBOOK,
        PUBLICITY_BOOK,
        "临界企业_县税务局.xlsx",
    }
    assert manifest["policies"]["OLD"]["in_force"] is False
    assert manifest["funds"]["pool"] == {
        "budget": "1000.00",
        "demand": "1674.07",
        "granted": "999.99",
    }


def test_same_inputs_same_bytes(golden_round: Path) -> None:
    again = write_golden(Path("again"))
    for name in (*CSV_FILES, WORKBOOK, PUBLICITY_BOOK, "临界企业_县税务局.xlsx", "manifest.json"):
        assert (golden_round / name).read_bytes() == (again / name).read_bytes(), name


def test_workbook(golden_round: Path) -> None:
    book = openpyxl.load_workbook(golden_round / WORKBOOK)
    assert book.sheetnames == [
        "汇总",
        "兑现清单",
        "推送清单",
        "待补充数据",
        "数据问题",
        "未兑现",
        "待补正",
    ]
    sheet = book["兑现清单"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:7] == [
        "统一社会信用代码",
        "企业名称",
        "政策编号",
        "政策名称",
        "资金来源",
        "应兑现金额（元）",
        "兑现金额（元）",
    ]
    csv_rows = (golden_round / "grants.csv").read_text("utf-8-sig").splitlines()
    assert sheet.max_row == len(csv_rows) + 1  # the header, the grants, the 合计 row
    amounts = [sheet.cell(row=r, column=7) for r in range(2, sheet.max_row)]
    assert all(c.number_format == "#,##0.00" for c in amounts)
    assert f"{sum(c.value for c in amounts):.2f}" == "1149.99"  # pool 999.99 + T 150.00
    total = [c.value for c in sheet[sheet.max_row]]
    assert total[:7] == ["合计", "共 9 笔", None, None, None, 1874.07, 1149.99]
    assert sheet.auto_filter.ref == f"A1:K{sheet.max_row - 1}"  # the 合计 row stays put
    # people read titles, not ids; codes and accounts are text cells
    assert {sheet.cell(row=r, column=5).value for r in range(2, sheet.max_row)} == {
        "测试资金池",
        "不设预算的资金",
    }
    assert {sheet.cell(row=r, column=9).value for r in range(2, sheet.max_row)} == {
        "2024 年度",
        "一次性",
    }
    codes = [sheet.cell(row=r, column=c).value for r in range(2, sheet.max_row) for c in (1, 11)]
    assert "6217000000000000017" in codes
    assert all(isinstance(v, str) for v in codes if v is not None)
    summary = book["汇总"]
    assert summary["A1"].value == "政策编号"
    labels = [row[0].value for row in summary.iter_rows()]
    assert "资金来源" in labels  # the funds table below the policies
    assert any(str(v).startswith("基准日期：2024-03-01") for v in labels if v)
    pool = next(row for row in summary.iter_rows(values_only=True) if row[0] == "测试资金池")
    # eligible pairs, demand, granted, shortfall, budget, remaining, use, grants, scaled level
    assert pool[1:11] == ("pool", 10, 1674.07, 999.99, 674.08, 1000, 0.01, 0.9999, 6, 100)
    totals = [row for row in summary.iter_rows(values_only=True) if row[0] == "合计"]
    # policies: demand of 免申即享 only (the push list's 30.00 apart), granted as the funds'
    assert totals[0][:6] == ("合计", "共 5 项政策", 14, 1874.07, 1149.99, 724.08)
    assert totals[0][17] == 30.0
    assert totals[1][:6] == ("合计", "共 2 个资金来源", 13, 1824.07, 1149.99, 674.08)
