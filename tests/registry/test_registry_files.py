"""Broken and odd registry files: each one made here, each with the outcome a user should see."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policymatch.errors import RegistryError
from policymatch.registry.load import RejectedRow, is_database_url, read_registry
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA
Csv = Callable[[list[str], list[list[str]]], str]


def error_of(source: object, **kw: str) -> tuple[str, str]:
    with pytest.raises(RegistryError) as info:
        read_registry(source, S, **kw)  # type: ignore[arg-type]
    diagnostic = info.value.diagnostics[0]
    return diagnostic.code, info.value.render()


def test_header_only_is_an_empty_registry(write_text: Callable[..., Path]) -> None:
    load = read_registry(write_text("统一社会信用代码,企业名称\r\n"), S)
    assert (load.rows_read, len(load.frame), load.rejected) == (0, 0, [])
    assert list(load.frame.columns) == [f.name for f in S.input_fields]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n"])
def test_an_empty_file_has_no_header(
    write_bytes: Callable[[str, bytes], Path], data: bytes
) -> None:
    code, text = error_of(write_bytes("empty.csv", data))
    assert code in ("PM507", "PM503")
    assert "header" in text


def test_missing_file(tmp_path: Path) -> None:
    code, text = error_of(tmp_path / "nope.csv")
    assert code == "PM501"
    assert "not found" in text
    assert "nope.csv" in text


@pytest.mark.parametrize(
    ("name", "expected"),
    [("registry.xls", "PM510"), ("registry.json", "PM510"), ("registry", "PM510")],
)
def test_formats_that_are_not_read(
    write_bytes: Callable[[str, bytes], Path], name: str, expected: str
) -> None:
    code, text = error_of(write_bytes(name, b"x"))
    assert code == expected
    assert "help:" in text


def test_table_or_query_with_a_file_is_refused(write_text: Callable[..., Path]) -> None:
    assert error_of(write_text("uscc\n"), table="t")[0] == "PM511"


@pytest.mark.parametrize(
    ("kw", "fragment"), [({}, "neither"), ({"table": "t", "query": "select 1"}, "both")]
)
def test_a_database_url_needs_exactly_one_of_table_and_query(
    kw: dict[str, str], fragment: str
) -> None:
    code, text = error_of("postgresql+psycopg://u:secret@127.0.0.1:1/db", **kw)
    assert code == "PM511"
    assert fragment in text
    assert "secret" not in text
    assert "***" in text


def test_is_database_url() -> None:
    assert is_database_url("sqlite:///x.db")
    assert is_database_url("postgresql+psycopg://u@h/db")
    assert not is_database_url("registry.csv")
    assert not is_database_url(r"C:\data\registry.csv")


def test_no_uscc_column(write_text: Callable[..., Path]) -> None:
    code, text = error_of(write_text("企业名称,统一社会信用码\r\n某,x\r\n"))
    assert code == "PM503"
    assert "统一社会信用代码" in text
    assert "'统一社会信用码'" in text


def test_duplicate_headers_name_both_columns(write_text: Callable[..., Path]) -> None:
    code, text = error_of(write_text("uscc,企业名称, 统一社会信用代码 \r\nx,y,z\r\n"))
    assert code == "PM506"
    assert "column 1 (A) 'uscc'" in text
    assert "column 3 (C) '统一社会信用代码'" in text


def test_unknown_columns_are_ignored_and_reported(
    write_text: Callable[..., Path], csv_of: Csv, code: Callable[[int], str]
) -> None:
    header = ["备注", "统一社会信用代码", "成立年限", "", "企业名称"]
    load = read_registry(write_text(csv_of(header, [["x", code(1), "3", "y", "甲"]])), S)
    assert load.ignored_columns == ["备注", "成立年限", "(column 4 (D): no header)"]
    assert list(load.frame["name"]) == ["甲"]


def test_headers_are_matched_after_stripping_space_and_bom(
    write_bytes: Callable[[str, bytes], Path], code: Callable[[int], str]
) -> None:
    text = f"\ufeff 统一社会信用代码 ,\t企业名称\r\n{code(1)},甲\r\n"
    load = read_registry(write_bytes("r.csv", text.encode()), S)
    assert list(load.frame["name"]) == ["甲"]
    assert load.ignored_columns == []


def test_row_numbers_are_spreadsheet_rows(
    write_text: Callable[..., Path], code: Callable[[int], str]
) -> None:
    """Blank lines keep their number; a quoted cell over two lines is one row (set aside: no
    field spans lines)."""
    text = (
        "统一社会信用代码,企业名称\r\n"
        f"{code(1)},甲\r\n"
        "\r\n"
        f'{code(2)},"乙\r\n分公司"\r\n'
        ",,\r\n"  # a row with too many (empty) cells
        "bad,丙\r\n"
        "   \r\n"
        f"{code(3)},丁"  # no newline at the end: fine
    )
    load = read_registry(write_text(text), S)
    assert [r.row for r in load.rejected] == [4, 5, 6]
    assert load.rejected[0].reason == (
        "企业名称: 值中有换行（登记表的字段都不跨行；是否有引号未闭合？）"
    )
    assert load.rejected[2].reason == "统一社会信用代码 'bad' 有 3 个字符，应为 18 个"
    assert list(load.frame["name"]) == ["甲", "丁"]
    assert load.rows_read == 5


def test_a_row_cut_short_is_set_aside(
    write_text: Callable[..., Path], code: Callable[[int], str]
) -> None:
    text = f"统一社会信用代码,企业名称,上年营业收入\r\n{code(1)},甲,1\r\n{code(2)},乙"
    load = read_registry(write_text(text), S)
    assert load.rejected == [
        RejectedRow(
            3,
            code(2),
            "本行有 2 个单元格，表头有 3 个：单元格缺失（文件是否被截断，或有引号未闭合？）",
        )
    ]
    assert load.rows_read == 2
    assert len(load.frame) == 1


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        ('"乙', "文件在本行一个带引号的值中结束（引号未闭合）：文件可能被截断"),
        ('"乙\r\n分公司\r\n', "文件在本行一个带引号的值中结束（引号未闭合）：文件可能被截断"),
        ('"乙,1', "本行有 2 个单元格，表头有 3 个：单元格缺失（文件是否被截断，或有引号未闭合？）"),
    ],
)  # fmt: skip
def test_a_quote_left_open_at_the_end(
    write_text: Callable[..., Path], code: Callable[[int], str], tail: str, reason: str
) -> None:
    columns = 3 if "," in tail else 2
    header = ",".join(["统一社会信用代码", "企业名称", "上年营业收入"][:columns])
    first = ",".join([code(1), "甲", "1"][:columns])
    load = read_registry(write_text(f"{header}\r\n{first}\r\n{code(2)},{tail}"), S)
    assert load.rejected == [RejectedRow(3, code(2), reason)]
    assert len(load.frame) == 1


def test_a_closed_quote_at_the_end_is_fine(
    write_text: Callable[..., Path], code: Callable[[int], str]
) -> None:
    text = f'统一社会信用代码,企业名称\r\n{code(1)},"甲 ""一"""'
    load = read_registry(write_text(text), S)
    assert load.rejected == []
    assert list(load.frame["name"]) == ['甲 "一"']


def test_a_row_with_too_many_cells_is_set_aside(
    write_text: Callable[..., Path], code: Callable[[int], str]
) -> None:
    text = f"统一社会信用代码,企业名称\r\n{code(1)},某某,分公司\r\n{code(2)},乙\r\n"
    load = read_registry(write_text(text), S)
    assert load.rejected == [
        RejectedRow(
            2,
            code(1),
            "本行有 3 个单元格，表头有 2 个：某个值可能含有未加引号的逗号",
        )
    ]


def test_a_parquet_file_that_is_not_one(write_bytes: Callable[[str, bytes], Path]) -> None:
    code, _text = error_of(write_bytes("r.parquet", b"PAR1 not really"))
    assert code == "PM508"


def test_a_workbook_that_is_not_one(write_bytes: Callable[[str, bytes], Path]) -> None:
    code, text = error_of(write_bytes("r.xlsx", b"\xd0\xcf\x11\xe0 an old .xls renamed"))
    assert code == "PM508"
    assert "help:" in text


def test_a_workbook_with_a_damaged_sheet(tmp_path: Path, code: Callable[[int], str]) -> None:
    import zipfile

    import xlsxwriter

    good = tmp_path / "good.xlsx"
    book = xlsxwriter.Workbook(str(good))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["统一社会信用代码", "企业名称"])
    for i in range(50):
        sheet.write_row(i + 1, 0, [code(i), f"企业{i}"])
    book.close()
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(damaged, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) * 2 // 3]  # cut inside the rows
            out.writestr(item, data)
    code_, text = error_of(damaged)
    assert code_ == "PM508"
    assert "cannot read the worksheet" in text
