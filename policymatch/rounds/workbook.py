"""The round's workbooks for people: ``兑现清单.xlsx`` (a summary sheet, then one sheet per list)
and ``公示名单.xlsx`` (the publication list alone).

Chinese headers and values (fund titles, not fund ids), the header row frozen and filterable,
codes and accounts as text cells (never numbers a spreadsheet would show as ``9.13E+17``), money
as numbers formatted ``#,##0.00`` (written as exact decimals). Each list ends with a 合计 row
(the row count and the money summed) below the filter range. Every sheet prints landscape, one
page wide, its header row repeated on every page, with a footer naming the round, the sheet and
the page (``第 N 页 共 M 页``).

A list longer than a sheet can hold (1,048,576 rows, header included) continues on
``<name> (2)``, ``<name> (3)``, ... rather than failing or being cut; its 合计 row ends the last
part. A text longer than a cell holds (32,767 characters) is cut with a marker saying so; the
CSV file keeps it whole. The creation date is the as-of date, so the same round gives the same
bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow.compute as pc

from ..errors import display_width
from .outputs import replacing
from .tables import Kind, Table
from .xlsx import CELL_LIMIT, MAX_ROWS, PageSetup, Sheet, Style, Workbook, too_long

_STYLE = {
    Kind.TEXT: Style.TEXT,
    Kind.MONEY: Style.MONEY,
    Kind.COUNT: Style.COUNT,
    Kind.PERCENT: Style.PERCENT,
}
_TOTAL = {Kind.MONEY: Style.TOTAL_MONEY, Kind.COUNT: Style.TOTAL_COUNT}


def sheet_names(name: str, rows: int, per_sheet: int) -> list[str]:
    """``name`` for the first sheet, then ``name (2)``, ... as the rows need."""
    count = max(1, -(-rows // per_sheet))
    return [name if i == 0 else f"{name} ({i + 1})" for i in range(count)]


def _parts(table: Table, per_sheet: int) -> Iterator[tuple[str, int, int, bool]]:
    """Each sheet of ``table``: its name, the rows it holds, and whether the 合计 row ends it
    (the 合计 row counts as a row, so it never overflows a full last sheet)."""
    assert table.sheet is not None
    n = table.num_rows
    rows = n + (1 if table.has_money else 0)
    for i, name in enumerate(sheet_names(table.sheet, rows, per_sheet)):
        start = i * per_sheet
        stop = min(start + per_sheet, rows)
        yield name, start, min(stop, n), stop > n


def long_cells(tables: Sequence[Table]) -> int:
    """How many cells the workbook cuts to fit Excel's limit."""
    return sum(
        int(pc.sum(too_long(t.data.column(c.name).combine_chunks())).as_py() or 0)
        for t in tables
        for c in t.people_columns
        if c.kind is Kind.TEXT
    )


def _write_table(
    sheet: Sheet,
    table: Table,
    start: int = 0,
    stop: int | None = None,
    *,
    total: bool,
    filtered: bool = False,
) -> None:
    """Header, rows ``start:stop``, the filter over them (not over the 合计 row), the 合计 row."""
    columns = table.people_columns
    # Labels wider than their column wrap onto a second line: make room for it.
    lines = max(-(-display_width(c.label) // max(c.width - 1, 1)) for c in columns)
    height = None if lines <= 1 else 15.0 * min(lines, 3)
    sheet.row([c.label for c in columns], [Style.HEADER] * len(columns), height)
    sheet.write(table.people_texts(start, stop), [_STYLE[c.kind] for c in columns])
    if filtered:
        sheet.autofilter()
    if total:
        sheet.row(table.total_texts(), [_TOTAL.get(c.kind, Style.TOTAL) for c in columns])


def _lines(table: Table) -> int:
    return table.num_rows + 1 + (1 if table.has_money else 0)


def write_workbook(
    path: Path,
    *,
    as_of: dt.date,
    sheets: Sequence[Table],
    summary: Table | None = None,
    funds: Table | None = None,
    notes: Sequence[str] = (),
    footer: str = "",
    rows_per_sheet: int = MAX_ROWS - 1,
) -> Path:
    """The summary sheet if given (policies, then funds, then notes), then each list on its
    sheets. Written to a new file renamed into place at the end."""
    fronts = [t for t in (summary, funds) if t is not None]
    plan = [(table, part) for table in sheets for part in _parts(table, rows_per_sheet)]
    cut = long_cells([*fronts, *sheets])
    if cut:
        notes = [
            *notes,
            f"注意：{cut:,} 个单元格超过 Excel 每格 {CELL_LIMIT:,} 字的上限，已截断并在格内注明；"
            "全文见同名 CSV 文件",
        ]
    names = [part[0] for _, part in plan]
    if summary is not None:
        assert summary.sheet is not None
        names.insert(0, summary.sheet)
    created = dt.datetime(as_of.year, as_of.month, as_of.day)
    page = PageSetup(footer)
    with replacing(path) as out, Workbook(out, names, created) as book:
        if summary is not None:
            lines = sum(_lines(t) for t in fronts) + len(fronts) + len(notes)  # blank after each
            sheet = book.sheet([c.width for c in summary.people_columns], lines, page=page)
            for table in fronts:
                _write_table(sheet, table, total=table.has_money)
                sheet.row([None], [Style.PLAIN])
            for note in notes:
                sheet.row([note], [Style.PLAIN])
        for table, (_, start, stop, total) in plan:
            widths = [c.width for c in table.people_columns]
            sheet = book.sheet(widths, stop - start + 1 + int(total), page=page)
            _write_table(sheet, table, start, stop, total=total, filtered=True)
    return path
