"""The same registry as CSV (three encodings), Excel, Parquet and SQL tables loads to an
identical typed frame; chunked reads equal one-shot reads; format-specific cells (number cells
in Excel, typed Parquet columns) follow the same rules."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from policymatch.registry.frame import frame_from_records, iter_records
from policymatch.registry.load import (
    RegistryLoad,
    RejectedRow,
    iter_registry,
    merge_loads,
    read_registry,
)
from policymatch.registry.uscc import make_uscc
from policymatch.registry.writers import write_csv, write_parquet, write_table, write_xlsx
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA

FILES: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    "utf8.csv": lambda f, p: write_csv(f, p, S, encoding="utf-8"),
    "bom.csv": lambda f, p: write_csv(f, p, S),
    "gb18030.csv": lambda f, p: write_csv(f, p, S, encoding="gb18030"),
    "names.csv": lambda f, p: write_csv(f, p, S, headers="name"),
    "registry.xlsx": lambda f, p: write_xlsx(f, p, S),
    "registry.parquet": lambda f, p: write_parquet(f, p, S, row_group_size=50),
    "labels.parquet": lambda f, p: write_parquet(f, p, S, headers="label"),
}


def check_chunks(source: str | Path, whole: RegistryLoad, **kw: Any) -> None:
    chunks = list(iter_registry(source, S, chunk_rows=37, **kw))
    assert len(chunks) > 1
    merged = merge_loads(chunks)
    pd.testing.assert_frame_equal(merged.frame, whole.frame)
    assert (merged.rejected, merged.rows_read) == (whole.rejected, whole.rows_read)
    # Text as Arrow strings (what the streaming round reads): the same cells, the same rows.
    arrow = merge_loads(iter_registry(source, S, chunk_rows=37, arrow_text=True, **kw))
    text = {f.name: "str" for f in S.input_fields if f.type.is_text}
    pd.testing.assert_frame_equal(arrow.frame, whole.frame.astype(text))
    assert (arrow.rejected, arrow.rows_read) == (whole.rejected, whole.rows_read)


@pytest.mark.parametrize("name", list(FILES))
def test_every_file_format_loads_the_same_frame(
    tmp_path: Path, sample_frame: pd.DataFrame, name: str
) -> None:
    path = tmp_path / name
    FILES[name](sample_frame, path)
    load = read_registry(path, S)
    assert load.rejected == []
    assert load.ignored_columns == []
    assert load.rows_read == len(sample_frame)
    assert load.source == str(path)
    assert load.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    pd.testing.assert_frame_equal(load.frame, sample_frame)
    check_chunks(path, load)


def test_a_frame_from_records_loads_back_the_same(
    tmp_path: Path, sample_frame: pd.DataFrame
) -> None:
    """The readers produce exactly the frame.py contract (frame_from_records is its reference)."""
    reference = frame_from_records(iter_records(sample_frame, S), S)
    pd.testing.assert_frame_equal(reference, sample_frame)


def test_sqlite_table_and_query(tmp_path: Path, sample_frame: pd.DataFrame) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    write_table(sample_frame, url, "registry", S)
    by_table = read_registry(url, S, table="registry")
    pd.testing.assert_frame_equal(by_table.frame, sample_frame)
    assert by_table.sha256 is None
    assert by_table.source == url
    by_query = read_registry(url, S, query="SELECT * FROM registry WHERE 1 = 1;")
    pd.testing.assert_frame_equal(by_query.frame, sample_frame)
    check_chunks(url, by_table, table="registry")
    check_chunks(url, by_query, query="SELECT * FROM registry")


@pytest.mark.postgres
def test_postgres_table_and_query(
    postgres_url: str,
    table_name: str,
    drop_table: Callable[[str, str], None],
    sample_frame: pd.DataFrame,
) -> None:
    drop_table(postgres_url, table_name)
    write_table(sample_frame, postgres_url, table_name, S)
    sorted_frame = sample_frame.sort_values("uscc", ignore_index=True)
    # A heap table has no order: the query orders; the table read is compared sorted.
    by_query = read_registry(postgres_url, S, query=f"SELECT * FROM {table_name} ORDER BY uscc")
    pd.testing.assert_frame_equal(by_query.frame, sorted_frame)
    by_table = read_registry(postgres_url, S, table=f"public.{table_name}")
    pd.testing.assert_frame_equal(
        by_table.frame.sort_values("uscc", ignore_index=True), sorted_frame
    )
    check_chunks(postgres_url, by_query, query=f"SELECT * FROM {table_name} ORDER BY uscc")


@pytest.mark.mariadb
def test_mariadb_table_and_query(
    mariadb_url: str,
    table_name: str,
    drop_table: Callable[[str, str], None],
    sample_frame: pd.DataFrame,
) -> None:
    drop_table(mariadb_url, table_name)
    write_table(sample_frame, mariadb_url, table_name, S, headers="label")
    sorted_frame = sample_frame.sort_values("uscc", ignore_index=True)
    query = f"SELECT * FROM {table_name} ORDER BY `统一社会信用代码`"
    by_query = read_registry(mariadb_url, S, query=query)
    pd.testing.assert_frame_equal(by_query.frame, sorted_frame)
    by_table = read_registry(mariadb_url, S, table=table_name)
    pd.testing.assert_frame_equal(
        by_table.frame.sort_values("uscc", ignore_index=True), sorted_frame
    )
    check_chunks(mariadb_url, by_query, query=query)


def test_excel_number_cells(tmp_path: Path, digits_code: str) -> None:
    """Codes typed into number cells: kept when exact, refused when the digits are gone."""
    import xlsxwriter

    digits_only = digits_code
    good = make_uscc("91361126MA0000001")
    path = tmp_path / "numbers.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    dates = book.add_format({"num_format": "yyyy/m/d"})
    sheet.write_row(0, 0, ["统一社会信用代码", "行政区划代码", "从业人数", "上年营业收入", "成立日期",
                           "严重失信主体", "银行账号", "上年裁员率"])  # fmt: skip
    sheet.write_row(1, 0, [good, 361126.0, 12.0, 1234.5])
    sheet.write_datetime(1, 4, dt.datetime(2023, 1, 5, 13, 30), dates)
    sheet.write_row(1, 5, [True, "6217000012345678901", 0.032])
    sheet.write_row(2, 0, [float(digits_only), 361126, 3, 10])
    sheet.write_row(2, 6, [6217000012345678901])
    book.close()
    load = read_registry(path, S)
    assert load.rejected == [
        RejectedRow(
            3,
            f"{float(digits_only):.0f}",
            f"统一社会信用代码: {float(digits_only):.0f} 以数字格式保存，已丢失末尾的数字（电子表格"
            "只保留 15 位有效数字）：请把这一列设为文本格式; 银行账号: "
            f"{float(6217000012345678901):.0f} 以数字格式保存，已丢失末尾的数字（电子表格只保留 "
            "15 位有效数字）：请把这一列设为文本格式",
        )
    ]
    row = load.frame.iloc[0]
    assert (row["uscc"], row["region"], row["employees"], row["revenue"]) == (
        good,
        "361126",
        12,
        123450,
    )
    assert row["registered_on"] == pd.Timestamp("2023-01-05")
    assert (row["credit_blacklisted"], row["bank_account"], row["layoff_rate"]) == (
        True,
        "6217000012345678901",
        32_000,
    )


def test_excel_header_below_a_title_gap_and_values_beyond_the_header(
    tmp_path: Path, code: Callable[[int], str]
) -> None:
    import xlsxwriter

    path = tmp_path / "gaps.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(2, 0, ["统一社会信用代码", "企业名称"])  # header in row 3
    sheet.write_row(3, 0, [code(1), "甲"])
    sheet.write_row(5, 0, [code(2), "乙", None, "多余"])  # row 6; row 5 is empty
    sheet.write_row(6, 0, [code(3), "丙"])
    book.close()
    load = read_registry(path, S)
    assert load.rejected == [
        RejectedRow(6, code(2), "the row has values beyond the header, in column D")
    ]
    assert list(load.frame["name"]) == ["甲", "丙"]
    assert load.rows_read == 3


def test_parquet_typed_columns(tmp_path: Path, code: Callable[[int], str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "uscc": pa.array([code(1), code(2), None]),
            "region": pa.array([361126, 361102, 361126], type=pa.int64()),
            "revenue": pa.array([1234.5, None, 0.125]),
            "employees": pa.array([3, None, -1], type=pa.int32()),
            "registered_on": pa.array([dt.date(2020, 2, 29), None, dt.date(2020, 1, 1)]),
            "credit_blacklisted": pa.array([True, None, False]),
            "layoff_rate": pa.array([0.5, 0.0, 1.0]),
        }
    )
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path)
    load = read_registry(path, S)
    assert load.rejected == [
        RejectedRow(
            3,
            None,
            "统一社会信用代码缺失; 从业人数不能为负数：-1; "
            "上年营业收入: '0.125' 的小数超过两位（金额精确到分）",
        )
    ]
    assert load.frame["region"].tolist() == ["361126", "361102"]
    assert load.frame["revenue"].tolist() == [123450, pd.NA]
    assert load.frame["registered_on"].iloc[0] == pd.Timestamp("2020-02-29")
    assert load.frame["layoff_rate"].tolist() == [500_000, 0]
