"""A text longer than a workbook cell holds (Excel: 32,767 characters, counted in UTF-16 units):
the workbook cuts it with a marker and says so on 汇总; the CSV file keeps it whole."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa

from policymatch.rounds.outputs import restore
from policymatch.rounds.xlsx import CELL_LIMIT, too_long, truncated, utf16_length
from tests.hostile.outputs.conftest import WriteRound

LONG = "弋阳县" * 13_334  # 40,002 characters
WIDE = "\U0001f600" * 20_000  # 20,000 characters, 40,000 UTF-16 units


def test_a_huge_name_is_cut_in_the_workbook_only(write_round: WriteRound, tmp_path: Path) -> None:
    out = write_round([LONG, WIDE, "正常企业"], tmp_path / "out")
    with (out / "grants.csv").open(encoding="utf-8-sig", newline="") as f:
        names = {restore(r["name"]) for r in csv.DictReader(f)}
    assert {LONG, WIDE} <= names  # the CSV keeps the whole value
    for book in ("兑现清单.xlsx", "公示名单.xlsx"):
        wb = openpyxl.load_workbook(out / book)
        texts = [c.value for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "s"]
        cut = [t for t in texts if "已截断" in str(t)]
        assert cut, book
        assert all(utf16_length(str(t)) <= CELL_LIMIT for t in texts)
        assert any(t.startswith("弋阳县弋阳县") and "全文 40,002 字" in t for t in cut)
    summary = openpyxl.load_workbook(out / "兑现清单.xlsx")["汇总"]
    notes = [str(r[0].value) for r in summary.iter_rows() if r[0].value]
    assert any("超过 Excel 每格 32,767 字的上限" in n for n in notes)
    # the shared strings themselves are within the limit (what Excel checks when it opens)
    with zipfile.ZipFile(out / "兑现清单.xlsx") as z:
        assert LONG not in z.read("xl/sharedStrings.xml").decode()


def test_truncation_fits_exactly() -> None:
    for text in (LONG, WIDE, "a" * (CELL_LIMIT + 1), "\U0001f600" * (CELL_LIMIT // 2 + 1)):
        cut = truncated(text)
        assert utf16_length(cut) <= CELL_LIMIT
        assert utf16_length(cut) >= CELL_LIMIT - 1  # as much as fits (a wide character may not)
    at_limit = "a" * CELL_LIMIT
    assert too_long(pa.array([at_limit, at_limit + "a", None, WIDE])).to_pylist() == [
        False,
        True,
        False,
        True,
    ]
