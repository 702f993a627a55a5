"""The vectorized typing agrees with ``parse_value`` cell by cell, and no text crashes the loader."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policymatch.registry.cells import WHITESPACE, check_uscc, type_column, uscc_check_bytes
from policymatch.registry.frame import to_cell
from policymatch.registry.load import iter_registry, merge_loads, read_registry
from policymatch.registry.uscc import ALPHABET, check_char, uscc_problem
from policymatch.schema import STANDARD_SCHEMA
from policymatch.values import parse_value

S = STANDARD_SCHEMA
FIELDS = list(S.input_fields)

# Text that looks like registry cells, and text that does not.
PIECES = ["0", "1", "12", "3.2", ".5", "%", "万", "亿", "元", ",", "，", "-", "+", " ", "\u3000",
          "2023", "/", "年", "月", "日", "-01-", "是", "否", "Y", "true", "、", "|", "高新技术企业",
          "专精特新", "有限责任公司", "大型", "e5", "x", "NaN", "inf", "\t", "\n", '"', "0000"]  # fmt: skip
# Numbers near the edges of the fast paths (digit counts, decimal places, percent), built from
# integers because st.from_regex draws slowly.
numbers = st.tuples(
    st.integers(0, 10**16), st.integers(0, 10**7), st.booleans(), st.sampled_from(["", "%"])
).map(lambda t: f"{t[0]}.{t[1]}{t[3]}" if t[2] else f"{t[0]}{t[3]}")
cell_text = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=6).map("".join),
    st.text(max_size=10),
    numbers,
)


def expected(field: object, raw: str) -> object:
    """What parse_value then to_cell make of ``raw``, or the ValueError's text."""
    try:
        value = parse_value(field, raw)  # type: ignore[arg-type]
        return to_cell(field, value)  # type: ignore[arg-type]
    except (ValueError, ArithmeticError) as exc:
        return ("error", str(exc))


def cell_of(column: object, i: int) -> object:
    value = column.values.iloc[i]  # type: ignore[attr-defined]
    if isinstance(value, np.datetime64) or value is pd.NaT:
        return value
    return None if value is pd.NA else value


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(cells=st.lists(cell_text, min_size=1, max_size=8), which=st.sampled_from(FIELDS))
def test_vectorized_typing_agrees_with_parse_value(cells: list[str], which: object) -> None:
    column = type_column(which, pd.Series(cells, dtype="str"))  # type: ignore[arg-type]
    for i, raw in enumerate(cells):
        want = expected(which, raw)
        if isinstance(want, tuple):
            assert column.problem[i] >= 0, (raw, want)
            assert column.messages[column.problem[i]].endswith(want[1])
            continue
        assert column.problem[i] < 0, (raw, column.messages)
        got = cell_of(column, i)
        if want is None:
            assert pd.isna(got) or (got == 0 and which.type.value == "tags"), (raw, got)  # type: ignore[attr-defined]
        elif isinstance(want, pd.Timestamp):
            assert pd.Timestamp(got) == want.normalize(), raw
        else:
            assert got == want, (raw, got, want)


def test_whitespace_is_what_str_strip_removes() -> None:
    computed = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())
    assert computed == WHITESPACE


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_vectorized_check_digit_agrees_with_uscc_py(body: str) -> None:
    raw = np.frombuffer(body.encode("ascii"), dtype=np.uint8).reshape(1, 17)
    assert chr(uscc_check_bytes(raw)[0]) == check_char(body)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.text(alphabet=ALPHABET + "IOSVZa ", min_size=16, max_size=19),
                          st.just("")), min_size=1, max_size=10))  # fmt: skip
def test_uscc_validation_agrees_with_uscc_problem(codes: list[str]) -> None:
    field = S["uscc"]
    column = type_column(field, pd.Series(codes, dtype="str"))
    check_uscc(field, column)
    for i, c in enumerate(codes):
        problem = "统一社会信用代码缺失" if not c.strip() else uscc_problem(c.strip())
        if problem is None:
            assert column.problem[i] < 0
            assert column.values.iloc[i] == c.strip()
        else:
            assert column.messages[column.problem[i]] == problem


HEADER = [f.display for f in FIELDS]


@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(
        st.lists(st.one_of(cell_text, st.sampled_from(["91361126MA0000001X", "91361126MA00000021"])),
                 min_size=len(HEADER), max_size=len(HEADER)),
        max_size=12,
    ),
    chunk_rows=st.integers(3, 6),
)  # fmt: skip
def test_random_rows_never_crash_the_loader(
    tmp_path_factory: object, rows: list[list[str]], chunk_rows: int
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path: Path = tmp_path_factory.mktemp("fuzz") / "r.csv"  # type: ignore[attr-defined]
    path.write_text(out.getvalue(), encoding="utf-8")
    whole = read_registry(path, S)
    records = [r for r in rows if any(c.strip() for c in r)]  # wholly empty rows are layout
    # A value over several lines whose later line has a whole record's cells reads as a quote
    # runaway (docs/registry.md): each such line is set aside too, under the runaway's row.
    swallowed = [r for r in whole.rejected if r.reason.startswith("被第")]
    assert whole.rows_read == len(records) + len(swallowed)
    assert whole.rows_read == len(whole.frame) + len(whole.rejected)
    assert len({r.row for r in whole.rejected}) == len(whole.rejected) - len(swallowed)
    assert all(r.reason for r in whole.rejected)
    merged = merge_loads(iter_registry(path, S, chunk_rows=chunk_rows))
    pd.testing.assert_frame_equal(merged.frame, whole.frame)
    assert merged.rejected == whole.rejected


def test_a_wholly_empty_row_is_layout(
    write_text: Callable[..., Path], code: Callable[[int], str]
) -> None:
    text = f"统一社会信用代码,企业名称\r\n,\r\n{code(1)},甲\r\n , \u3000\r\n"
    load = read_registry(write_text(text), S)
    assert (load.rows_read, len(load.frame), load.rejected) == (1, 1, [])
