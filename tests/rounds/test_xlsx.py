"""The workbook writer: readable by openpyxl, exact, escaped, deterministic, and continued on a
second sheet past Excel's row limit."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from policymatch.registry.readers import column_letter
from policymatch.rounds.tables import Column, Kind, rows_table
from policymatch.rounds.workbook import sheet_names, write_workbook
from policymatch.rounds.xlsx import MAX_ROWS, Style, Workbook

COLUMNS = (
    Column("name", "名称", width=20),
    Column("amount", "金额（元）", Kind.MONEY),
    Column("n", "户数", Kind.COUNT),
    Column("share", "比例", Kind.PERCENT),
)
AS_OF = dt.date(2024, 3, 1)


def book(path: Path, rows: list[tuple[object, ...]], per_sheet: int = MAX_ROWS - 1) -> Path:
    table = rows_table(None, "清单", COLUMNS, rows)
    summary = rows_table(None, "汇总", COLUMNS, [("合计", 1, 1, 5000)])
    return write_workbook(
        path,
        as_of=AS_OF,
        summary=summary,
        funds=summary,
        sheets=[table],
        notes=["基准日期：2024-03-01"],
        rows_per_sheet=per_sheet,
    )


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_values_styles_and_escaping(tmp_path: Path) -> None:
    rows: list[tuple[object, ...]] = [
        ('甲 & <乙> "丙"', 123450, 3, 2500),  # percent in ten-thousandths: 25%
        ("  leading and trailing  ", 1, None, None),
        ("control\x01char", 99_999_999_999_999, 0, 10_000),
        ("", None, 7, 0),
    ]
    path = book(tmp_path / "b.xlsx", rows)
    sheet = openpyxl.load_workbook(path)["清单"]
    assert [c.value for c in sheet[1]] == ["名称", "金额（元）", "户数", "比例"]
    assert sheet["A1"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D5"
    assert [c.value for c in sheet[2]] == ['甲 & <乙> "丙"', 1234.5, 3, 0.25]
    assert sheet["A3"].value == "  leading and trailing  "
    assert sheet["B3"].value == 0.01
    assert sheet["C3"].value is None
    assert sheet["A4"].value == "control_x0001_char"  # Excel's escape for what XML cannot hold
    assert f"{sheet['B4'].value:.2f}" == "999999999999.99"
    assert sheet["A5"].value is None
    assert (sheet["B2"].number_format, sheet["C2"].number_format, sheet["D2"].number_format) == (
        "#,##0.00",
        "#,##0",
        "0.00%",
    )
    # the 合计 row below the filter range: the row count, money and counts summed
    assert [c.value for c in sheet[6]] == ["合计", 1000000001234.5, 10, None]
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()
    assert "<v>1000000001234.50</v>" in xml  # 123450 + 1 + 99,999,999,999,999 fen, exactly
    assert sheet["A6"].font.b
    assert sheet["B6"].number_format == "#,##0.00"
    summary = openpyxl.load_workbook(path)["汇总"]
    assert [c.value for c in summary[1]] == ["名称", "金额（元）", "户数", "比例"]
    assert summary["A3"].value == "合计"
    # policies, 合计, blank, funds, 合计, blank
    assert summary["A9"].value == "基准日期：2024-03-01"


def test_money_is_written_as_an_exact_decimal(tmp_path: Path) -> None:
    path = book(tmp_path / "b.xlsx", [("x", 1_000_000_000_000_01, 1, None)])
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()
    assert "<v>1000000000000.01</v>" in xml


def test_deterministic(tmp_path: Path) -> None:
    rows: list[tuple[object, ...]] = [(f"企业{i}", i, i, i * 7) for i in range(500)]
    a, b = book(tmp_path / "a.xlsx", rows), book(tmp_path / "b.xlsx", rows)
    assert a.read_bytes() == b.read_bytes()
    assert {i.date_time for i in zipfile.ZipFile(a).infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_long_list_continues_on_more_sheets(tmp_path: Path) -> None:
    rows: list[tuple[object, ...]] = [(f"企业{i}", i, i, None) for i in range(25)]
    path = book(tmp_path / "b.xlsx", rows, per_sheet=10)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "清单", "清单 (2)", "清单 (3)"]
    names = [cell.value for name in wb.sheetnames[1:] for cell in wb[name]["A"] if cell.row > 1]
    assert names == [*(f"企业{i}" for i in range(25)), "合计"]  # nothing lost, nothing repeated
    assert [wb[n].max_row for n in wb.sheetnames[1:]] == [11, 11, 7]
    assert wb["清单 (3)"]["B7"].value == sum(range(25)) / 100  # the whole list's total
    assert all(wb[n]["A1"].value == "名称" for n in wb.sheetnames[1:])


def test_sheet_names() -> None:
    assert sheet_names("清单", 0, MAX_ROWS - 1) == ["清单"]
    assert sheet_names("清单", MAX_ROWS - 1, MAX_ROWS - 1) == ["清单"]
    assert sheet_names("清单", MAX_ROWS, MAX_ROWS - 1) == ["清单", "清单 (2)"]


@pytest.mark.slow
def test_excel_row_limit_for_real(tmp_path: Path) -> None:
    """One row more than a sheet holds: the last one lands on the second sheet."""
    path = tmp_path / "big.xlsx"
    n = MAX_ROWS  # data rows: one past the 1,048,575 that fit under the header
    numbers = pc.cast(pa.array(range(n)), pa.string())
    with Workbook(path, ["a", "a (2)"], dt.datetime(2024, 3, 1)) as wb:
        sheet = wb.sheet([10], MAX_ROWS)
        sheet.row(["n"], [Style.HEADER])
        sheet.write([numbers.slice(0, MAX_ROWS - 1)], [Style.COUNT])
        assert sheet.rows == MAX_ROWS
        second = wb.sheet([10], n - MAX_ROWS + 2)
        second.row(["n"], [Style.HEADER])
        second.write([numbers.slice(MAX_ROWS - 1)], [Style.COUNT])
    with zipfile.ZipFile(path) as z:
        first = z.read("xl/worksheets/sheet1.xml").decode()
        last = re.findall(r'<row r="(\d+)">', first)[-1]
        assert last == str(MAX_ROWS)
        assert f"<v>{MAX_ROWS - 2}</v></c></row></sheetData>" in first
        assert (
            '<row r="2"><c r="A2" s="2"><v>1048575</v>'
            in z.read("xl/worksheets/sheet2.xml").decode()
        )


def _fail_midway(path: Path) -> None:
    with Workbook(path, ["a"], dt.datetime(2024, 3, 1)) as wb:
        wb.sheet([10], 3).row(["n"], [Style.HEADER])
        raise RuntimeError("boom")


def _short_sheet(path: Path) -> None:
    with Workbook(path, ["a"], dt.datetime(2024, 3, 1)) as wb:
        wb.sheet([10], 3).row(["n"], [Style.HEADER])


def test_a_failure_while_writing_propagates(tmp_path: Path) -> None:
    """The error comes through (not a hang on the compressing thread, not a zip error)."""
    with pytest.raises(RuntimeError, match="boom"):
        _fail_midway(tmp_path / "x.xlsx")
    with pytest.raises(ValueError, match="planned for 3 rows got 1"):
        _short_sheet(tmp_path / "y.xlsx")
