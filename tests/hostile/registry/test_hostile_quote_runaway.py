"""Issue 11, item 1: an unclosed quote in one cell never loses records, never moves a field.

The registry is 20 generated records; the fifth record's name (file line 6, spreadsheet row 6)
gets a quote that is never closed. Without another quote, the parser reads the rest of the
file as that name; with a properly quoted name a few rows later, the quote closes there and the
record goes on with *another enterprise's* cells (the issue saw a grant paid into another
enterprise's bank account). Either way every physical record must be accounted for, and each
record's fields must be its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policymatch.registry.load import iter_registry, merge_loads, read_registry
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA
OPEN = '"弋阳县某某有限公司'
BAD = 5  # index of the record whose name opens a quote (file line BAD + 1)
LATER = 10  # index of the record whose name is properly quoted


def write(tmp_path: Path, rows: list[list[str]], *, later_quoted: bool) -> Path:
    rows = [list(r) for r in rows]
    name = rows[0].index("企业名称")
    rows[BAD][name] = OPEN
    if later_quoted:
        rows[LATER][name] = f'"{rows[LATER][name]}"'
    path = tmp_path / "registry.csv"
    path.write_text("".join(",".join(r) + "\r\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("later_quoted", [False, True])
def test_no_record_vanishes_and_no_field_moves(
    tmp_path: Path, twenty_records: list[list[str]], later_quoted: bool
) -> None:
    header, records = twenty_records[0], twenty_records[1:]
    path = write(tmp_path, twenty_records, later_quoted=later_quoted)
    load = read_registry(path, S)
    assert load.rows_read == len(records) == 20
    assert load.rows_read == len(load.frame) + len(load.rejected)
    # Every kept record is exactly a record of the file: its code, name and bank account together.
    uscc, name, account = (header.index(h) for h in ("统一社会信用代码", "企业名称", "银行账号"))
    truth = {r[uscc]: (r[name], r[account]) for r in records}
    for kept in load.frame[["uscc", "name", "bank_account"]].itertuples(index=False):
        assert truth[kept.uscc] == (kept.name, kept.bank_account)
    # The records from the open quote to where it closes are set aside, each with its code.
    last = LATER if later_quoted else len(records)
    swallowed = [r[uscc] for r in records[BAD - 1 : last]]
    assert [r.uscc for r in load.rejected] == swallowed
    assert {r.row for r in load.rejected} == {BAD + 1}  # the spreadsheet shows them as one row
    first, *rest = load.rejected
    assert first.reason.startswith(f"引号未闭合：本行一个以引号开头的值从文件第 {BAD + 1} 行延续到")
    assert f"吞并了其后 {len(swallowed) - 1} 条记录" in first.reason
    assert [r.reason for r in rest] == [
        f"被第 {BAD + 1} 行未闭合的引号吞并（文件第 {line} 行），无法可靠拆分，已搁置"
        for line in range(BAD + 2, BAD + 1 + len(swallowed))
    ]
    # The records after the runaway are kept, with the spreadsheet row numbers after it.
    assert set(load.frame["uscc"]) == {r[uscc] for r in records} - set(swallowed)


@pytest.mark.parametrize("later_quoted", [False, True])
@pytest.mark.parametrize("chunk_rows", [1, 3, 7])
def test_chunked_reads_agree(
    tmp_path: Path, twenty_records: list[list[str]], later_quoted: bool, chunk_rows: int
) -> None:
    path = write(tmp_path, twenty_records, later_quoted=later_quoted)
    whole = read_registry(path, S)
    merged = merge_loads(iter_registry(path, S, chunk_rows=chunk_rows))
    assert merged.rows_read == whole.rows_read == 20
    assert merged.rejected == whole.rejected
    assert list(merged.frame["uscc"]) == list(whole.frame["uscc"])


def test_file_lines_count_earlier_multi_line_values(tmp_path: Path, code: object) -> None:
    """A two-line remark (a column that is not read) is one record; the runaway after it is
    reported at its file line, one more than its spreadsheet row."""
    make = code  # type: ignore[assignment]
    text = (
        "统一社会信用代码,企业名称,备注,银行账号\r\n"
        f'{make(1)},甲,"第一行\r\n第二行",1001\r\n'  # type: ignore[operator]
        f'{make(2)},"乙,x,1002\r\n'  # type: ignore[operator]
        f"{make(3)},丙,y,1003\r\n"  # type: ignore[operator]
        f'{make(4)},丁,"z",1004\r\n'  # type: ignore[operator]
        f"{make(5)},戊,,1005\r\n"  # type: ignore[operator]
    )
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    load = read_registry(path, S)
    assert load.rows_read == 5
    assert list(load.frame["uscc"]) == [make(1), make(5)]  # type: ignore[operator]
    assert list(load.frame["bank_account"]) == ["1001", "1005"]
    assert [(r.row, r.uscc) for r in load.rejected] == [(3, make(i)) for i in (2, 3, 4)]  # type: ignore[operator]
    assert "从文件第 4 行延续到第 6 行" in load.rejected[0].reason
    assert "文件第 5 行" in load.rejected[1].reason


def test_a_name_over_two_lines_is_set_aside(tmp_path: Path, code: object) -> None:
    make = code  # type: ignore[assignment]
    path = tmp_path / "r.csv"
    path.write_text(
        f'统一社会信用代码,企业名称\r\n{make(1)},"甲\r\n分公司"\r\n{make(2)},乙\r\n',  # type: ignore[operator]
        encoding="utf-8",
    )
    load = read_registry(path, S)
    assert (load.rows_read, list(load.frame["name"])) == (2, ["乙"])
    assert (
        load.rejected[0].reason
        == "企业名称: 值中有换行（登记表的字段都不跨行；是否有引号未闭合？）"
    )
