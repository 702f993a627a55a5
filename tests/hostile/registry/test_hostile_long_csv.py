"""Issue 11, item 10: a CSV line or cell longer than the parser's block is refused clearly.

A single line of 100 MB used to be reported as "the file is empty", and a 100 MB cell refused
the file with pyarrow's "straddling object" and no row. The block is 16 MiB by default
(:class:`policymatch.registry.limits.Limits`); these tests lower it to 1 MiB so that a 3 MB
line makes the same case quickly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policymatch.errors import RegistryError
from policymatch.registry.limits import Limits, reading_limits
from policymatch.registry.load import iter_registry, merge_loads, read_registry
from policymatch.registry.uscc import make_uscc
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA
BLOCK = 1 << 20
LONG = 3 << 20
CODES = [make_uscc(f"91361126MA{n:07d}") for n in range(1, 14)]


def refused(path: Path) -> str:
    with reading_limits(csv_block=BLOCK):
        with pytest.raises(RegistryError) as whole:
            read_registry(path, S)
        with pytest.raises(RegistryError) as chunked:
            merge_loads(iter_registry(path, S, chunk_rows=4))
    assert whole.value.render() == chunked.value.render()
    assert [d.code for d in whole.value.diagnostics] == ["PM522"]
    return whole.value.render()


def test_the_default_block_is_16_mib() -> None:
    assert Limits().csv_block == 16 << 20


def test_one_long_line_is_not_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("统一社会信用代码,企业名称," + "x" * LONG, encoding="utf-8")
    text = refused(path)
    assert "the file is empty" not in text
    assert (
        f"the first line is longer than {BLOCK:,} bytes (the file has {path.stat().st_size:,})"
        in text
    )
    assert "help: export the registry again as CSV UTF-8, one line per enterprise" in text


def test_one_long_cell_names_its_row(tmp_path: Path) -> None:
    rows = [f"{c},甲" for c in CODES[:11]] + [f"{CODES[11]}," + "y" * LONG, f"{CODES[12]},丙"]
    path = tmp_path / "r.csv"
    path.write_text("统一社会信用代码,企业名称\n" + "\n".join(rows) + "\n", encoding="utf-8")
    text = refused(path)
    assert f"the record at row 13 is longer than {BLOCK:,} bytes" in text
    assert "straddl" not in text


def test_a_long_cell_within_the_block_reads(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        f"统一社会信用代码,备注\n{CODES[0]}," + "z" * (BLOCK // 2) + "\n", encoding="utf-8"
    )
    with reading_limits(csv_block=BLOCK):
        load = read_registry(path, S)
    assert (load.rows_read, load.ignored_columns) == (1, ["备注"])
