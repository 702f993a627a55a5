"""Issue 11, item 9: a workbook that expands without bound is refused before it is expanded.

The bombs are built here with zipfile: a real .xlsx (xlsxwriter) whose shared strings are
replaced by one string of 1 GiB, deflated to about 4.5 MB on disk; and a worksheet whose rows
reach the last column Excel has, so that a few kilobytes of XML are millions of cells.
"""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest

from policymatch.errors import RegistryError
from policymatch.registry.limits import limits, reading_limits
from policymatch.registry.load import read_registry
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA
SST = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'


def workbook(path: Path) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["统一社会信用代码", "企业名称"])
    sheet.write_row(1, 0, ["91361126MA0000001X", "甲"])
    book.close()
    return path


def refusal(path: Path) -> tuple[str, str, int]:
    """The code and text of the refusal, and the peak of Python memory while reading."""
    tracemalloc.start()
    try:
        with pytest.raises(RegistryError) as info:
            read_registry(path, S)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return info.value.diagnostics[0].code, info.value.render(), peak


def test_one_shared_string_of_a_gigabyte(tmp_path: Path) -> None:
    base = workbook(tmp_path / "base.xlsx")

    def bomb(f: object) -> None:
        f.write(SST.encode())  # type: ignore[attr-defined]
        block = b"a" * (1 << 24)
        for _ in range(64):
            f.write(block)  # type: ignore[attr-defined]
        f.write(b"</t></si></sst>")  # type: ignore[attr-defined]

    path = tmp_path / "bomb.xlsx"
    with (
        zipfile.ZipFile(base) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out,
    ):
        for item in src.infolist():
            if item.filename != "xl/sharedStrings.xml":
                out.writestr(item.filename, src.read(item.filename))
        with out.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            bomb(f)
    assert path.stat().st_size < 8 << 20
    code, text, peak = refusal(path)
    assert code == "PM520"
    assert "shared strings expand to 1,073,741,9" in text
    assert f"at most {limits().xlsx_shared_strings:,}" in text
    assert peak < 32 << 20  # nothing was decompressed


def test_a_worksheet_of_too_many_cells(tmp_path: Path) -> None:
    base = workbook(tmp_path / "base.xlsx")
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x</t></is></c><c r="XFD{r}"><v>1</v></c></row>'
        for r in range(2, 200)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>统一社会信用代码</t></is></c></row>'
        f"{rows}</sheetData></worksheet>"
    )
    path = tmp_path / "cells.xlsx"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            out.writestr(item.filename, data)
    with reading_limits(xlsx_cells=1_000_000):
        code, text, _ = refusal(path)
    assert code == "PM520"
    assert "the worksheet has more than 1,000,000 cells (by row 63)" in text
    with reading_limits(xlsx_columns=1000):
        code, text, _ = refusal(path)
    assert code == "PM520"
    assert "row 2 has 16,384 columns (at most 1,000)" in text


def test_a_workbook_within_the_limits_reads(tmp_path: Path) -> None:
    load = read_registry(workbook(tmp_path / "ok.xlsx"), S)
    assert (load.rows_read, list(load.frame["name"])) == (1, ["甲"])
