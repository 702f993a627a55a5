"""The first pass of a chunked CSV read converts the code column alone, and falls back to every
column when a value spans lines or the file ends inside quotes; a registry that is one chunk has
no first pass; a GB18030 file is decoded once. Whatever the pass did, the chunks put together
equal the one-shot read."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from policymatch.registry.load import RejectedRow, iter_registry, merge_loads, read_registry
from policymatch.registry.readers import CsvSource
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA
HEADER = "统一社会信用代码,企业名称,备注,银行账号\r\n"


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Sequence[int] | None]:
    """The columns each CSV parse converted (None: all), in order."""
    seen: list[Sequence[int] | None] = []
    original = CsvSource._open

    def spy(self: CsvSource, width: int, sink: list[Any], block: int | None = None,
            include: Sequence[int] | None = None) -> Any:  # fmt: skip
        if block is None:  # not the header's read
            seen.append(include)
        return original(self, width, sink, block, include)

    monkeypatch.setattr(CsvSource, "_open", spy)
    return seen


def agree(path: Path) -> None:
    whole = read_registry(path, S)
    for size in (1, 2, 5):
        merged = merge_loads(iter_registry(path, S, chunk_rows=size))
        pd.testing.assert_frame_equal(merged.frame, whole.frame)
        assert merged.rejected == whole.rejected
        assert merged.rows_read == whole.rows_read


def records(code: Callable[[int], str], numbers: list[int]) -> str:
    return "".join(f"{code(n)},企业{i},,62170000{i:08d}\r\n" for i, n in enumerate(numbers))


def test_a_clean_file_converts_the_code_column_alone(
    write_text: Callable[..., Path], code: Callable[[int], str], opened: list[Any]
) -> None:
    path = write_text(HEADER + records(code, [1, 2, 1, 3, 2]))
    agree(path)
    merged = merge_loads(iter_registry(path, S, chunk_rows=2))
    assert {r.uscc for r in merged.rejected} == {code(1), code(2)}
    assert opened[-2:] == [[0, 3], None]  # the codes (and the last column), then everything


@pytest.mark.parametrize(
    "damage",
    [
        '{a},甲,"第一行\r\n第二行",1001\r\n',  # a two-line remark: one record
        '{a},"乙,x,1002\r\n{b},丙,y,1003\r\n',  # a runaway swallowing a record
        '{b},乙,x,"1002',  # the file ends inside quotes, on one line
    ],
)
def test_a_value_spanning_lines_or_an_open_end_parses_every_column(
    write_text: Callable[..., Path], code: Callable[[int], str], opened: list[Any], damage: str
) -> None:
    body = records(code, [1, 2, 3]) + damage.format(a=code(1), b=code(2))
    path = write_text(HEADER + body)
    agree(path)
    opened.clear()
    merge_loads(iter_registry(path, S, chunk_rows=2))
    assert opened == [[0, 3], None, None]  # the narrow pass did not trust itself


@pytest.mark.parametrize("ending", ["\r\n", "\n", "\r"])
def test_gb18030_is_decoded_once_into_a_copy_that_is_removed(
    write_text: Callable[..., Path], code: Callable[[int], str], ending: str
) -> None:
    text = (HEADER + records(code, [1, 2, 1, 4])).replace("\r\n", ending)
    gb = write_text(text, "gb.csv", encoding="gb18030")
    utf8 = write_text(text, "utf8.csv")
    before = set(Path(tempfile.gettempdir()).glob("policymatch-*.csv"))
    agree(gb)
    for size in (None, 2):
        a = (
            read_registry(gb, S)
            if size is None
            else merge_loads(iter_registry(gb, S, chunk_rows=size))
        )
        b = read_registry(utf8, S)
        pd.testing.assert_frame_equal(a.frame, b.frame)
        assert a.rejected == b.rejected
    assert set(Path(tempfile.gettempdir()).glob("policymatch-*.csv")) == before


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b"", 0),
        (b"a", 1),
        (b"a\n", 1),
        (b"a\r\nb", 2),
        (b"a\r\rb\n\n", 4),
        (b"\xef\xbb\xbfa,b\r\n1,2\r\n", 2),
        (b"x" * ((1 << 20) - 1) + b"\r\nb", 2),  # a CR LF cut by the reading block
    ],
)
def test_physical_lines_end_as_records_do(tmp_path: Path, data: bytes, lines: int) -> None:
    """Detection counts them as it reads the file, so that no pass reads it only to count."""
    from policymatch.registry.encoding import detect_encoding

    path = tmp_path / "r.csv"
    path.write_bytes(data)
    assert detect_encoding(path, "r.csv").lines == lines


def test_a_runaway_written_between_the_passes_is_refused(
    write_text: Callable[..., Path], code: Callable[[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second pass does not look for runaways in a file the first found flat: the check of
    the file and of its record count must stop the read."""
    from policymatch.errors import RegistryError
    from policymatch.registry import load as load_module

    path = write_text(HEADER + records(code, [1, 2, 3, 4]))
    first = load_module.first_pass

    def then_damage(*args: Any) -> Any:
        out = first(*args)
        path.write_text(
            HEADER + records(code, [1]) + f'{code(2)},"乙,x,1\r\n' + records(code, [3, 4])
        )
        return out

    monkeypatch.setattr(load_module, "first_pass", then_damage)
    with pytest.raises(RegistryError) as info:
        list(iter_registry(path, S, chunk_rows=2))
    assert info.value.diagnostics[0].code == "PM509"


def test_gb18030_without_room_for_the_copy_is_decoded_by_the_parser(
    write_text: Callable[..., Path],
    code: Callable[[int], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from policymatch.registry import readers

    real = readers.detect_encoding

    def nowhere(path: Path, display: str, utf8_copy: Any = None) -> Any:
        detected = real(path, display, lambda: tmp_path / "missing" / "copy.csv")
        assert not detected.copied
        return detected

    monkeypatch.setattr(readers, "detect_encoding", nowhere)
    text = HEADER + records(code, [1, 2, 1]) + f'{code(5)},乙,x,"1002'
    gb = write_text(text, "gb.csv", encoding="gb18030")
    agree(gb)
    expected = read_registry(write_text(text, "utf8.csv"), S)
    got = read_registry(gb, S)
    pd.testing.assert_frame_equal(got.frame, expected.frame)
    assert got.rejected == expected.rejected


def test_a_registry_of_one_chunk_is_parsed_once(
    write_text: Callable[..., Path], code: Callable[[int], str], opened: list[Any]
) -> None:
    path = write_text(HEADER + records(code, [1, 2, 1, 3, 2]))
    agree(path)
    for size in (5, 6, 1000):
        opened.clear()
        merged = merge_loads(iter_registry(path, S, chunk_rows=size))
        assert opened == [None], size  # no pass over the codes alone
        assert {r.uscc for r in merged.rejected} == {code(1), code(2)}
    opened.clear()
    merge_loads(iter_registry(path, S, chunk_rows=4))
    assert opened == [[0, 3], None]


def test_a_value_spanning_lines_leaves_the_one_chunk_unknown(
    write_text: Callable[..., Path], code: Callable[[int], str], opened: list[Any]
) -> None:
    """The bound is the file's lines: a record spanning lines makes it larger than the records,
    and the chunked read then reads the codes first, as for a longer file."""
    path = write_text(HEADER + records(code, [1, 2]) + f'{code(1)},甲,"第一行\r\n第二行",1001\r\n')
    agree(path)
    opened.clear()
    merge_loads(iter_registry(path, S, chunk_rows=3))
    assert opened == [[0, 3], None, None]


def test_a_parquet_registry_of_one_chunk_is_read_once(
    tmp_path: Path, code: Callable[[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from policymatch.registry.readers import ParquetSource

    path = tmp_path / "r.parquet"
    pd.DataFrame(
        {"统一社会信用代码": [code(1), code(2), code(1)], "企业名称": ["甲", "乙", "甲"]}
    ).to_parquet(
        path,
        row_group_size=2,  # two batches, one chunk
    )
    passes: list[Sequence[int] | None] = []
    original = ParquetSource.chunks

    def spy(
        self: ParquetSource, chunk_rows: int | None, columns: Sequence[int] | None = None
    ) -> Any:
        passes.append(columns)
        return original(self, chunk_rows, columns)

    monkeypatch.setattr(ParquetSource, "chunks", spy)
    whole = read_registry(path, S)
    for size, expected in ((3, [None]), (2, [[0], None])):
        passes.clear()
        merged = merge_loads(iter_registry(path, S, chunk_rows=size))
        assert passes == expected
        pd.testing.assert_frame_equal(merged.frame, whole.frame)
        assert merged.rejected == whole.rejected == [RejectedRow(3, code(1), "与第 1 行完全重复")]
