"""Repeated codes: exact duplicates keep their first row, different data sets every row aside,
across chunks as within one, and every row is accounted for."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from policymatch.registry.load import RejectedRow, iter_registry, merge_loads, read_registry
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA
Csv = Callable[[list[str], list[list[str]]], str]
HEADER = ["统一社会信用代码", "企业名称", "上年营业收入"]


def loads(path: Path) -> list[object]:
    """The one-shot load, and chunked loads put together, which must agree."""
    whole = read_registry(path, S)
    text = {f.name: "str" for f in S.input_fields if f.type.is_text}
    for size, arrow_text in itertools.product((1, 3), (False, True)):
        merged = merge_loads(iter_registry(path, S, chunk_rows=size, arrow_text=arrow_text))
        want = whole.frame.astype(text) if arrow_text else whole.frame
        pd.testing.assert_frame_equal(merged.frame, want)
        assert merged.rejected == whole.rejected
        assert merged.rows_read == whole.rows_read
    return [whole]


def read(write_text: Callable[..., Path], csv_of: Csv, rows: list[list[str]]):
    path = write_text(csv_of(HEADER, rows))
    loads(path)
    return read_registry(path, S)


def test_an_exact_duplicate_keeps_the_first_row(
    write_text: Callable[..., Path], csv_of: Csv, code: Callable[[int], str]
) -> None:
    rows = [
        [code(1), "甲", "1,000"],
        [code(2), "乙", "5"],
        [code(1), "甲", "1000.00"],  # written differently, typed identically
        [code(1), " 甲 ", "1000"],
    ]
    load = read(write_text, csv_of, rows)
    assert load.rejected == [
        RejectedRow(4, code(1), "与第 2 行完全重复"),
        RejectedRow(5, code(1), "与第 2 行完全重复"),
    ]
    # Kept rows of repeated codes come after the others.
    assert list(load.frame["uscc"]) == [code(2), code(1)]
    assert list(load.frame["revenue"]) == [500, 100_000]
    assert load.rows_read == 4


def test_different_data_sets_every_row_aside(
    write_text: Callable[..., Path], csv_of: Csv, code: Callable[[int], str]
) -> None:
    rows = [[code(1), "甲", "1"], [code(2), "乙", "5"], [code(1), "甲", "2"], [code(1), "甲", "1"]]
    load = read(write_text, csv_of, rows)
    label = f"统一社会信用代码 '{code(1)}'"
    assert load.rejected == [
        RejectedRow(2, code(1), f"{label} 也出现在第 4、5 行，数据不同"),
        RejectedRow(4, code(1), f"{label} 也出现在第 2、5 行，数据不同"),
        RejectedRow(5, code(1), f"{label} 也出现在第 2、4 行，数据不同"),
    ]
    assert list(load.frame["uscc"]) == [code(2)]


def test_a_duplicate_with_a_bad_value_keeps_its_own_reason(
    write_text: Callable[..., Path], csv_of: Csv, code: Callable[[int], str]
) -> None:
    rows = [[code(1), "甲", "1"], [code(1), "甲", "1x"]]
    load = read(write_text, csv_of, rows)
    label = f"统一社会信用代码 '{code(1)}'"
    assert load.rejected == [
        RejectedRow(2, code(1), f"{label} 也出现在第 3 行，数据不同"),
        RejectedRow(
            3,
            code(1),
            f"上年营业收入: '1x' 不是数字; {label} 也出现在第 2 行，数据不同",
        ),
    ]
    assert len(load.frame) == 0


def test_a_broken_row_counts_as_a_duplicate(
    write_text: Callable[..., Path], code: Callable[[int], str]
) -> None:
    text = f"统一社会信用代码,企业名称\r\n{code(1)},甲\r\n{code(1)},甲,分公司\r\n"
    path = write_text(text)
    loads(path)
    load = read_registry(path, S)
    assert [r.row for r in load.rejected] == [2, 3]
    assert load.rejected[1].reason.startswith("本行有 3 个单元格，表头有 2 个")
    assert load.rejected[1].reason.endswith("也出现在第 2 行，数据不同")


def test_invalid_codes_repeated_are_reported_once_each(
    write_text: Callable[..., Path], csv_of: Csv
) -> None:
    load = read(write_text, csv_of, [["bad", "甲", "1"], ["bad", "甲", "1"]])
    assert [r.reason for r in load.rejected] == [
        "统一社会信用代码 'bad' 有 3 个字符，应为 18 个; "
        "统一社会信用代码 'bad' 也出现在第 3 行，数据不同",
        "统一社会信用代码 'bad' 有 3 个字符，应为 18 个; "
        "统一社会信用代码 'bad' 也出现在第 2 行，数据不同",
    ]


@pytest.mark.parametrize("chunk_rows", [1, 4, 7])
def test_chunks_hold_repeated_codes_until_the_end(
    write_text: Callable[..., Path], csv_of: Csv, code: Callable[[int], str], chunk_rows: int
) -> None:
    rows = [[code(i % 9), f"企业{i % 9}", str(i % 9 if i % 9 != 4 else i)] for i in range(20)]
    path = write_text(csv_of(HEADER, rows))
    chunks = list(iter_registry(path, S, chunk_rows=chunk_rows))
    assert all(c.rows_read == len(c.frame) + len(c.rejected) for c in chunks)
    assert sum(c.rows_read for c in chunks) == 20
    merged = merge_loads(chunks)
    whole = read_registry(path, S)
    pd.testing.assert_frame_equal(merged.frame, whole.frame)
    assert merged.rejected == whole.rejected
    # codes 0..8 repeat; 4 repeats with different revenue each time: all 3 of its rows set aside
    assert sorted(whole.frame["uscc"]) == sorted(code(i) for i in range(9) if i != 4)
    assert len(whole.rejected) == 20 - 8


def collide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every key hashes alike, in both passes and for broken rows."""
    import numpy as np

    from policymatch.registry import cells

    monkeypatch.setattr(cells, "text_hashes", lambda text: np.zeros(len(text), dtype=np.uint64))


def test_keys_that_only_share_a_hash_are_told_apart(
    write_text: Callable[..., Path],
    csv_of: Csv,
    code: Callable[[int], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Duplicate detection keeps 8-byte hashes; a collision must cost time, never rows."""
    collide(monkeypatch)
    rows = [[code(1), "甲", "1"], [code(2), "乙", "2"], [code(2), "乙", "2"], [code(3), "丙", "3"]]
    load = read(write_text, csv_of, rows)
    assert load.rejected == [RejectedRow(4, code(2), "与第 3 行完全重复")]
    assert list(load.frame["uscc"]) == [code(1), code(2), code(3)]


def test_colliding_hashes_change_no_result(
    write_text: Callable[..., Path], code: Callable[[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every key sharing one hash, each row is held back until the end: the same rows are
    set aside, with the same reasons, row numbers and keys shown (only the kept rows' order, the
    rows of repeated codes last, may differ)."""
    lines = [
        "统一社会信用代码,企业名称,上年营业收入",
        f"{code(1)},甲,1",
        f"{code(2)},乙,2",
        f" {code(2)} ,乙,2.00",  # an exact duplicate, written differently
        f"{code(3)},丙,3",
        f"{code(3)},丙,4",  # different data
        f"{code(4)},丁,1x",  # a bad value, its code not repeated
        "bad,戊,5",
        "bad,戊,5",
        ",己,6",
        f"{code(5)},庚,7,多",  # a broken row, its code repeated below
        f"{code(5)},庚,7",
        f"{code(6)},辛,8,多",  # a broken row alone
        f"{code(7)},壬,9",
    ]
    path = write_text("\r\n".join(lines) + "\r\n")

    def results() -> list[tuple[list[RejectedRow], pd.DataFrame]]:
        out = []
        for chunks in (None, 1, 4):
            for arrow_text in (False, True):
                if chunks is None and arrow_text:
                    continue
                load = (
                    read_registry(path, S)
                    if chunks is None
                    else merge_loads(
                        iter_registry(path, S, chunk_rows=chunks, arrow_text=arrow_text)
                    )
                )
                frame = load.frame.sort_values("uscc").reset_index(drop=True)
                out.append((load.rejected, frame))
        return out

    before = results()
    assert [r.row for r in before[0][0]] == [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    collide(monkeypatch)
    after = results()
    for (rejected, frame), (want_rejected, want_frame) in zip(after, before, strict=True):
        assert rejected == want_rejected
        pd.testing.assert_frame_equal(frame, want_frame)


def test_a_file_changed_between_passes_is_refused(
    write_text: Callable[..., Path], csv_of: Csv, code: Callable[[int], str]
) -> None:
    from policymatch.errors import RegistryError

    path = write_text(csv_of(HEADER, [[code(i), "甲", str(i)] for i in range(10)]))
    chunks = iter_registry(path, S, chunk_rows=3)
    next(chunks)  # the first pass is done, the second has begun
    with path.open("a", encoding="utf-8") as f:
        f.write(f"{code(99)},乙,1\r\n")
    with pytest.raises(RegistryError) as info:
        list(chunks)
    assert info.value.diagnostics[0].code == "PM509"
