"""The vectorised reader is the old reader: every cell typed in Arrow gives exactly what the
cell-by-cell parser gives (the same frame cell, or the same problem, byte for byte).

The reference is :func:`policymatch.registry.cells._cell` (``parse_value``, ``to_cell`` and the
frame's limits), the path every cell took before the Arrow fast paths and the one they fall back
to; its error text, labelled, is the reason a rejected row shows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policymatch.registry.cells import (
    MULTI_LINE,
    WHITESPACE,
    _cell,
    check_single_line,
    compiled_loops,
    labelled,
    text_hashes,
    type_column,
    warm_loops,
)
from policymatch.registry.frame import ARROW_TEXT
from policymatch.registry.generate import generate_frame
from policymatch.registry.load import iter_registry
from policymatch.registry.readers import arrow_to_raw
from policymatch.registry.writers import write_csv, write_parquet
from policymatch.schema import STANDARD_SCHEMA, Field, FieldType
from policymatch.values import is_blank

S = STANDARD_SCHEMA
FIELDS = list(S.input_fields)
NUMBER_FIELDS = [
    f for f in FIELDS if f.type in (FieldType.INTEGER, FieldType.MONEY, FieldType.RATE)
]
SETTINGS = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

# Texts each fast path must refuse or take exactly as parse_value does.
NASTY = [
    "5.5%%", "1万万", "5%万", "1,,000", "1,000", "1，000", "1,2345", ",100", "100,", "1,000.5",
    "1,234,567.89", "1,234,567,890,123.45", "12元", "50万", "1.5亿", "3.2%", "100%", "100.0001%",
    "100.00001%", "0.5%", ".5", "5.", "+5", "-5", "-0", "-5.00", "1e5", "1E5", "NaN", "inf", "0x10",
    "00012", "0", "1", "1.0", "1.000000", "1.0000001", "0.0000001", "0.000001", "2", "0.1234567",
    "9" * 13, "9" * 13 + ".99", "9" * 14, "9" * 15, "9" * 16, "9" * 19, "9" * 20, "1_000",
    "１２３", "٣", "１.５", "2023-01-05", "2023-1-5", "2023-02-30", "2024-02-29", "2023-02-29",
    "2023-13-01", "2023-00-10", "0000-01-01", "1677-12-31", "1678-01-01", "2261-12-31",
    "2262-01-01", "9999-12-31", "2023/01/05", "2023.1.5", "2023年1月5日", "20230105",
    "2023-01-05 10:00", "2023-01-05T10:00:00", "２０２３-０１-０５", "2023-01-5", "是", "否", "Y",
    "y", "N", "yes", "YES", "Yes", "yEs", "TRUE", "True", "tRUE", "t", "F", "1.0", "İ", "ı",
    "有限责任公司", "大型", "高新技术企业", "高新技术企业|专精特新", "高新技术企业，专精特新",
    "91361126MAD43LL9K3", "91361126MAD43LL9K4", "91361126mad43ll9k3", "9136112", "\x00", "a\nb",
    "a\rb", "\t\n", "\u3000", "\xa0", "\u2028x", "x\u205f", "\x1c5\x1f", '"', "''",
]  # fmt: skip
PIECES = ["0", "1", "9", "12", ".", ",", "，", "%", "万", "亿", "元", "-", "+", "/", "年", "月",
          "日", "e", "是", "否", "Y", "|", "、", "高新技术企业", "大型", "2023", "-01-"]  # fmt: skip
# Any text Arrow holds (no lone surrogates), with white space of every kind around it.
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
padding = st.sampled_from(["", " ", "\t", "\u3000", "\xa0", " \u2003", "\x85"])
dates = st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).flatmap(
    lambda d: st.sampled_from(
        [d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日",
         f"{d.year:04d}{d.month:02d}{d.day:02d}", f"{d.year:04d}-{d.month:02d}-{d.day + 1:02d}"]
    )
)  # fmt: skip
numbers = st.tuples(
    st.integers(0, 10**16), st.integers(0, 10**7), st.booleans(), st.sampled_from(["", "%", "万"])
).map(lambda t: f"{t[0]}.{t[1]}{t[3]}" if t[2] else f"{t[0]}{t[3]}")
core = st.one_of(
    st.sampled_from(NASTY),
    st.lists(st.sampled_from(PIECES), max_size=5).map("".join),
    numbers,
    dates,
    any_text,
)
cell_text = st.tuples(padding, core, padding).map("".join)


def reference(field: Field, raw: object) -> object:
    """What the cell-by-cell parser makes of ``raw``: ("blank",), the frame cell, or
    ("error", the labelled reason)."""
    if is_blank(raw):
        return ("blank",)
    try:
        cell = _cell(field, raw)
    except (ValueError, TypeError, ArithmeticError) as exc:
        return ("error", labelled(field, str(exc)))
    return ("blank",) if cell is None else cell


def assert_same(field: Field, raws: list[object], column: object) -> None:
    values = column.values  # type: ignore[attr-defined]
    for i, raw in enumerate(raws):
        want = reference(field, raw)
        problem = column.problem[i]  # type: ignore[attr-defined]
        got_message = column.messages[problem] if problem >= 0 else None  # type: ignore[attr-defined]
        if isinstance(want, tuple) and want[0] == "error":
            assert got_message == want[1], (field.name, raw)
            continue
        assert got_message is None, (field.name, raw, got_message)
        got = values.iloc[i]
        if want == ("blank",):
            assert pd.isna(got) or (field.type is FieldType.TAGS and got == 0), (field.name, raw)
        elif field.type is FieldType.DATE:
            assert np.datetime64(got, "ns") == want, (field.name, raw, got)
        else:
            assert got == want, (field.name, raw, got, want)
            assert type(got) is not float, (field.name, raw, got)


@SETTINGS
@given(
    cells=st.lists(cell_text, min_size=1, max_size=12),
    field=st.sampled_from(FIELDS),
    arrow_text=st.booleans(),
)
def test_text_cells_typed_in_arrow_are_the_cell_parser(
    cells: list[str], field: Field, arrow_text: bool
) -> None:
    column = type_column(field, pd.Series(cells, dtype="str"), arrow_text)
    assert_same(field, cells, column)
    if field.type.is_text:
        assert column.values.dtype == (ARROW_TEXT if arrow_text else object)


@pytest.mark.parametrize("arrow_text", [False, True])
def test_cells_of_other_types_typed_as_text_fields(arrow_text: bool) -> None:
    """A code, string or enum column that is not text (an Excel or SQL column of numbers and
    dates) goes through the cell parser, and with ``arrow_text`` still gives Arrow strings."""
    cells = [12345, None, 3.5, " 有限责任公司 ", dt.date(2023, 1, 5), True, "  ", "合伙企业"]
    for field in (f for f in FIELDS if f.type.is_text):
        column = type_column(field, pd.Series(cells, dtype=object), arrow_text)
        assert_same(field, cells, column)
        assert column.values.dtype == (ARROW_TEXT if arrow_text else object)


@SETTINGS
@given(
    unscaled=st.lists(
        st.one_of(st.integers(-(10**20), 10**20), st.integers(0, 10**9), st.none()),
        min_size=1,
        max_size=12,
    ),
    scale=st.integers(0, 8),
    field=st.sampled_from(NUMBER_FIELDS),
)
def test_decimal_cells_typed_from_their_integers_are_the_cell_parser(
    unscaled: list[int | None], scale: int, field: Field
) -> None:
    # A Parquet or database decimal column: typed from its 128-bit integers where exact, and
    # otherwise by its text, as it always was.
    values = [None if u is None else Decimal(u).scaleb(-scale) for u in unscaled]
    numbers = pa.array(values, pa.decimal128(38, scale))
    texts = pc.cast(numbers, pa.string()).to_pylist()
    assert_same(field, texts, type_column(field, arrow_to_raw(numbers)))


# Numbers and dates on the edges of the shapes typed in the bytes (``cells._typed_cells``):
# digit groups joined by "," or "，" (thousands separators in their place or not), fractions
# of any length, "%" and "万", full-width and Arabic-Indic digits, days a month lacks, years
# the frame cannot hold.
digit_run = st.text(alphabet="0123456789１٣", min_size=1, max_size=4)
fraction = st.text(alphabet="0000123456789１", min_size=0, max_size=8)
grouped = st.tuples(
    st.lists(digit_run, min_size=1, max_size=5),
    st.sampled_from([",", "，", "", " "]),
    st.one_of(st.just(""), st.sampled_from([".", "．"]).flatmap(lambda p: fraction.map(p.__add__))),
    st.sampled_from(["", "%", "万", "e5", "元", "%%"]),
).map(lambda t: t[1].join(t[0]) + t[2] + t[3])
some_day = st.tuples(
    st.one_of(st.sampled_from([1677, 1678, 1900, 2000, 2023, 2024, 2100, 2261, 2262]),
              st.integers(0, 9999)),
    st.integers(0, 13),
    st.one_of(st.sampled_from([0, 1, 28, 29, 30, 31, 32]), st.integers(0, 99)),
    st.sampled_from(["-", "/"]),
).map(lambda t: f"{t[0]:04d}{t[3]}{t[1]:02d}{t[3]}{t[2]:02d}")  # fmt: skip
edgy = st.tuples(padding, st.one_of(grouped, some_day, core), padding).map("".join)


@SETTINGS
@given(
    cells=st.lists(st.one_of(edgy, st.just(""), st.none()), min_size=1, max_size=16),
    field=st.sampled_from([*NUMBER_FIELDS, S["registered_on"]]),
    cut=st.integers(0, 16),
)
def test_numbers_and_dates_typed_in_the_bytes_are_the_cell_parser(
    cells: list[str | None], field: Field, cut: int
) -> None:
    # As the CSV reader hands them over: text in several Arrow chunks, nulls among them.
    chunks = [pa.array(cells[:cut], pa.string()), pa.array(cells[cut:], pa.string())]
    raw = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks), dtype=ARROW_TEXT))
    assert_same(field, [c or "" for c in cells], type_column(field, raw, arrow_text=True))


@SETTINGS
@given(
    cells=st.lists(st.one_of(cell_text, st.none()), min_size=1, max_size=12),
    field=st.sampled_from([f for f in FIELDS if f.type.is_text]),
)
def test_text_columns_with_nulls_as_arrow_text_are_the_cell_parser(
    cells: list[str | None], field: Field
) -> None:
    # A Parquet text column: blanks are nulls, as well as empty or white space.
    raw = pd.Series(pd.arrays.ArrowStringArray(pa.array(cells, pa.large_string())))
    column = type_column(field, raw, arrow_text=True)
    assert_same(field, [c or "" for c in cells], column)
    assert column.values.dtype == ARROW_TEXT


WHOLES = [
    "0",
    "1",
    "7",
    "05",
    "12",
    "100",
    "101",
    "999",
    "1000",
    "1234",
    "9" * 13,
    "9" * 14,
    "9" * 15,
    "9" * 16,
    "1,000",
    "1,2345",
    "12,345",
    "123,456",
    "1234,567",
    "1,234,567",
    "1,234,567,890",
    "1,234,567,890,123",
    "0,123",
    ",123",
    "1,",
    "1,,000",
    "１",
    "",
]
FRACTIONS = ["", ".", ".0", ".5", ".05", ".123", ".1234", ".12345", ".123456", ".1234567",
             ".0000", ".00000", ".000000", ".0000000", ".١"]  # fmt: skip


@pytest.mark.parametrize("field", [*NUMBER_FIELDS, S["registered_on"]], ids=lambda f: f.name)
def test_every_edge_of_the_shapes_typed_in_the_bytes(field: Field) -> None:
    # Every combination near a limit of a shape: digits, groups, places, "%", days and years.
    numbers = [w + f + p for w in WHOLES for f in FRACTIONS for p in ("", "%")]
    days = [
        f"{year:04d}-{month:02d}-{day:02d}"
        for year in (1677, 1678, 1900, 2000, 2023, 2024, 2100, 2261, 2262)
        for month in range(14)
        for day in range(33)
    ]
    cells = numbers + days
    assert_same(field, cells, type_column(field, pd.Series(cells, dtype="str"), arrow_text=True))


def test_key_hashes_are_the_same_whatever_the_arrow_layout() -> None:
    keys = ["91361126MAD43LL9K3", "", "统一", "91361126MAD43LL9K3 "]
    hashes = text_hashes(pa.array(keys, pa.large_string()))
    assert (text_hashes(pa.array(keys, pa.string())) == hashes).all()
    assert (text_hashes(pa.chunked_array([keys[:1], keys[1:]])) == hashes).all()
    assert (text_hashes(pa.array(keys, pa.string()).slice(1)) == hashes[1:]).all()
    assert hashes[0] != hashes[3]


@SETTINGS
@given(cells=st.lists(cell_text, min_size=1, max_size=12))
def test_line_breaks_found_in_arrow_bytes_are_those_python_finds(cells: list[str]) -> None:
    field = S["name"]
    column = type_column(field, pd.Series(cells, dtype="str"))
    check_single_line(field, column)
    for i, raw in enumerate(cells):
        broken = "\n" in raw.strip(WHITESPACE) or "\r" in raw.strip(WHITESPACE)
        message = column.messages[column.problem[i]] if column.problem[i] >= 0 else None
        assert message == (labelled(field, MULTI_LINE) if broken else None), raw


def test_the_nasty_texts_are_refused_with_the_parsers_reasons() -> None:
    # The examples the readers are known by, through every field at once.
    for field in FIELDS:
        assert_same(field, NASTY, type_column(field, pd.Series(NASTY, dtype="str")))
    revenue = type_column(S["revenue"], pd.Series(["5.5%%", "1万万", "1,,000"], dtype="str"))
    assert [revenue.messages[p] for p in revenue.problem] == [
        "上年营业收入: '5.5%%' 不是数字：万、亿、% 只能写一个",
        "上年营业收入: '1万万' 不是数字：万、亿、% 只能写一个",
        "上年营业收入: '1,,000' 不是数字：千位分隔符的位置不对（写作 1,234,567.89）",
    ]


def test_warming_compiles_every_loop_a_read_runs(tmp_path: Path) -> None:
    # One signature each, compiled by warm_loops (what warm.py runs at install): reading a
    # registry of every format then compiles nothing more.
    warm_loops()
    assert all(len(loop.signatures) == 1 for loop in compiled_loops())
    frame = generate_frame(300, seed=3)
    write_parquet(frame, tmp_path / "r.parquet", S)
    write_csv(frame, tmp_path / "r.csv", S)
    for name in ("r.parquet", "r.csv"):
        for arrow_text in (False, True):
            list(iter_registry(tmp_path / name, S, chunk_rows=100, arrow_text=arrow_text))
    assert [len(loop.signatures) for loop in compiled_loops()] == [1] * len(compiled_loops())
