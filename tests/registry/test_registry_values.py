"""Cell values: every accepted form, and the exact reason of every kind of bad value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from policymatch.registry.load import RejectedRow, read_registry
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA
Csv = Callable[[list[str], list[list[str]]], str]


def load_one(write_text: Callable[..., Path], csv_of: Csv, header: list[str], row: list[str]):
    load = read_registry(write_text(csv_of(header, [row])), S)
    assert load.rows_read == 1
    return load


# (header, cell, golden reason) -- the reason a row with only this bad cell is set aside for.
BAD_VALUES = [
    ("上年营业收入", "12,3x", "上年营业收入: '12,3x' 不是数字"),
    ("上年营业收入", "1.234", "上年营业收入: '1.234' 的小数超过两位（金额精确到分）"),
    ("上年营业收入", "-5", "上年营业收入不能为负数：-5"),
    ("上年营业收入", "99999999999999999999", "上年营业收入: '99999999999999999999' 太大"),
    ("从业人数", "-3", "从业人数不能为负数：-3"),
    ("从业人数", "3.5", "从业人数: '3.5' 不是整数"),
    ("从业人数", "三十", "从业人数: '三十' 不是数字"),
    ("上年裁员率", "1.5", "上年裁员率: 比率 '1.5' 不在 0 到 1 之间（写作 3.2% 或 0.032）"),
    ("上年裁员率", "-0.1", "上年裁员率: 比率 '-0.1' 不在 0 到 1 之间（写作 3.2% 或 0.032）"),
    ("上年裁员率", "120%", "上年裁员率: 比率 '120%' 不在 0 到 1 之间（写作 3.2% 或 0.032）"),
    ("上年裁员率", "0.1234567", "上年裁员率: 比率 '0.1234567' 的精度超过百万分之一"),
    ("成立日期", "2023-02-30", "成立日期: '2023-02-30' 不是存在的日期"),
    ("成立日期", "2023/13/1", "成立日期: '2023/13/1' 不是存在的日期"),
    ("成立日期", "5 Jan 2023", "成立日期: '5 Jan 2023' 不是日期（写作 2023-01-05、2023/1/5 或 2023年1月5日）"),
    ("成立日期", "0203-01-05", "成立日期: '0203-01-05' 不在 1678 到 2261 年之间"),
    ("市场主体类型", "有限公司", "市场主体类型: '有限公司' 不是市场主体类型的取值之一：有限责任公司、股份有限公司、个人独资企业、合伙企业、个体工商户、农民专业合作社、其他"),
    ("企业规模", "巨型", "企业规模: '巨型' 不是企业规模的取值之一：大型、中型、小型、微型"),
    ("资质标签", "高新技术企业|未知标签", "资质标签: 未知的资质标签：未知标签"),
    ("严重失信主体", "maybe", "严重失信主体: 'maybe' 不是是/否值（写作 是/否、true/false、Y/N 或 1/0）"),
    ("首次纳入规上年份", "2019年", "首次纳入规上年份: '2019年' 不是数字"),
]  # fmt: skip


@pytest.mark.parametrize(("header", "cell", "reason"), BAD_VALUES)
def test_a_bad_value_sets_the_row_aside_with_its_reason(
    write_text: Callable[..., Path],
    csv_of: Csv,
    code: Callable[[int], str],
    header: str,
    cell: str,
    reason: str,
) -> None:
    load = load_one(write_text, csv_of, ["统一社会信用代码", header], [code(1), cell])
    assert load.rejected == [RejectedRow(2, code(1), reason)]
    assert len(load.frame) == 0


BAD_CODES = [
    ("", None, "统一社会信用代码缺失"),
    ("   ", None, "统一社会信用代码缺失"),
    ("9136112", "9136112", "统一社会信用代码 '9136112' 有 7 个字符，应为 18 个"),
    ("91361126MA000000IO", "91361126MA000000IO", "统一社会信用代码 '91361126MA000000IO' 含有 GB 32100-2015 以外的字符：IO"),
    ("91361126MA0000001A", "91361126MA0000001A", "统一社会信用代码 '91361126MA0000001A' 校验码不对（末位应为 'X'）"),
    ("91361126ma0000001x", "91361126ma0000001x", "统一社会信用代码 '91361126ma0000001x' 含有 GB 32100-2015 以外的字符：amx"),
]  # fmt: skip


@pytest.mark.parametrize(("cell", "shown", "reason"), BAD_CODES)
def test_a_bad_code_sets_the_row_aside(
    write_text: Callable[..., Path], csv_of: Csv, cell: str, shown: str | None, reason: str
) -> None:
    load = load_one(write_text, csv_of, ["统一社会信用代码", "企业名称"], [cell, "某公司"])
    assert load.rejected == [RejectedRow(2, shown, reason)]


def test_every_problem_of_a_row_is_in_its_reason_in_column_order(
    write_text: Callable[..., Path], csv_of: Csv
) -> None:
    header = ["上年营业收入", "统一社会信用代码", "从业人数", "成立日期"]
    load = load_one(write_text, csv_of, header, ["12,3x", " 9136112 ", "-3", "2023-02-30"])
    assert load.rejected == [
        RejectedRow(
            2,
            "9136112",
            "统一社会信用代码 '9136112' 有 7 个字符，应为 18 个; 成立日期: '2023-02-30' 不是存在的日期;"
            " 从业人数不能为负数：-3; 上年营业收入: '12,3x' 不是数字",
        )
    ]


GOOD_VALUES = [
    ("上年营业收入", "1,234.50", "revenue", 123450),
    ("上年营业收入", "1234.5元", "revenue", 123450),
    ("上年营业收入", " 50万 ", "revenue", 50_000_000),
    ("上年营业收入", "1.5亿", "revenue", 15_000_000_000),
    ("上年营业收入", "0", "revenue", 0),
    ("上年纳税额", "-5.25", "tax_paid", -525),  # tax may be refunded
    ("从业人数", "012", "employees", 12),
    ("上年裁员率", "3.2%", "layoff_rate", 32_000),
    ("上年裁员率", "0.032", "layoff_rate", 32_000),
    ("上年裁员率", "1", "layoff_rate", 1_000_000),
    ("成立日期", "2023-01-05", "registered_on", pd.Timestamp("2023-01-05")),
    ("成立日期", "2023/1/5", "registered_on", pd.Timestamp("2023-01-05")),
    ("成立日期", "2023年1月5日", "registered_on", pd.Timestamp("2023-01-05")),
    ("成立日期", "2023-01-05 10:30:00", "registered_on", pd.Timestamp("2023-01-05")),
    ("严重失信主体", "是", "credit_blacklisted", True),
    ("严重失信主体", "N", "credit_blacklisted", False),
    ("严重失信主体", "true", "credit_blacklisted", True),
    ("严重失信主体", "0", "credit_blacklisted", False),
    ("行政区划代码", "036112", "region", "036112"),
    ("银行账号", "0012345678901234567", "bank_account", "0012345678901234567"),
    ("联系电话", "13800000000", "contact_phone", "13800000000"),
    ("企业名称", "  某某 公司\u3000", "name", "某某 公司"),
]  # fmt: skip


@pytest.mark.parametrize(("header", "cell", "field", "expected"), GOOD_VALUES)
def test_accepted_forms(
    write_text: Callable[..., Path],
    csv_of: Csv,
    code: Callable[[int], str],
    header: str,
    cell: str,
    field: str,
    expected: object,
) -> None:
    load = load_one(write_text, csv_of, ["统一社会信用代码", header], [code(1), cell])
    assert load.rejected == []
    assert load.frame[field].iloc[0] == expected


@pytest.mark.parametrize("cell", ["高新技术企业,专精特新", "高新技术企业，专精特新", "专精特新;高新技术企业",
                                  "高新技术企业；专精特新", "高新技术企业、专精特新", "高新技术企业|专精特新",
                                  " 高新技术企业 、 专精特新 、"])  # fmt: skip
def test_tags_split_on_every_separator(
    write_text: Callable[..., Path], csv_of: Csv, code: Callable[[int], str], cell: str
) -> None:
    load = load_one(write_text, csv_of, ["统一社会信用代码", "资质标签"], [code(1), cell])
    field = S["tags"]
    expected = 1 << field.values.index("高新技术企业") | 1 << field.values.index("专精特新")
    assert load.frame["tags"].iloc[0] == expected


def test_empty_cells_are_null_and_empty_tags_the_empty_set(
    write_text: Callable[..., Path], csv_of: Csv, code: Callable[[int], str]
) -> None:
    header = [
        "统一社会信用代码",
        "企业名称",
        "上年营业收入",
        "成立日期",
        "资质标签",
        "严重失信主体",
    ]
    load = load_one(write_text, csv_of, header, [code(1), "", " ", "", "", ""])
    row = load.frame.iloc[0]
    assert row["name"] is None
    assert row["revenue"] is pd.NA
    assert row["registered_on"] is pd.NaT
    assert row["tags"] == 0
    assert row["credit_blacklisted"] is pd.NA


def test_codes_stay_text(write_text: Callable[..., Path], csv_of: Csv, digits_code: str) -> None:
    """A digits-only code is never a number: leading zeros and all 18 digits survive."""
    digits_only = digits_code
    header = ["统一社会信用代码", "行政区划代码", "行业代码", "银行账号"]
    load = load_one(
        write_text, csv_of, header, [digits_only, "001100", "C0011", "00000000000000000001"]
    )
    assert load.rejected == []
    row = load.frame.iloc[0]
    assert (row["uscc"], row["region"], row["industry"], row["bank_account"]) == (
        digits_only,
        "001100",
        "C0011",
        "00000000000000000001",
    )
    assert load.frame["uscc"].dtype == object


def test_size_is_kept_when_given_and_derived_when_empty(
    write_text: Callable[..., Path], csv_of: Csv, code: Callable[[int], str]
) -> None:
    header = ["统一社会信用代码", "行业代码", "从业人数", "上年营业收入", "企业规模"]
    rows = [
        [code(1), "C3011", "10", "100万", "大型"],  # given: kept although the inputs say 微型
        [code(2), "C3011", "10", "100万", ""],  # derived
        [code(3), "C3011", "500", "", ""],  # not decidable: null
    ]
    load = read_registry(write_text(csv_of(header, rows)), S)
    assert list(load.frame["size"]) == ["大型", "微型", None]


def test_dates_frame_dtype_and_values(
    write_text: Callable[..., Path], csv_of: Csv, code: Callable[[int], str]
) -> None:
    load = load_one(write_text, csv_of, ["统一社会信用代码", "成立日期"], [code(1), "1995-07-01"])
    assert load.frame["registered_on"].dtype == "datetime64[ns]"
    assert load.frame["registered_on"].iloc[0].date() == dt.date(1995, 7, 1)
