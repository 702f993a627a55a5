"""``兑现清单.xlsx``: the round's lists for people, one sheet each, after a summary sheet.

Chinese headers, the header row frozen and filterable, money as numbers formatted ``#,##0.00``
(written as exact decimals). A list longer than a sheet can hold (1,048,576 rows, header
included) continues on ``<name> (2)``, ``<name> (3)``, ... rather than failing or being cut.
The workbook's creation date is the as-of date, so the same round gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from .tables import Kind, Table
from .xlsx import MAX_ROWS, Sheet, Style, Workbook

_STYLE = {
    Kind.TEXT: Style.PLAIN,
    Kind.MONEY: Style.MONEY,
    Kind.COUNT: Style.COUNT,
    Kind.PERCENT: Style.PERCENT,
}


def sheet_names(name: str, rows: int, per_sheet: int) -> list[str]:
    """``name`` for the first sheet, then ``name (2)``, ... as the rows need."""
    count = max(1, -(-rows // per_sheet))
    return [name if i == 0 else f"{name} ({i + 1})" for i in range(count)]


def _write_table(sheet: Sheet, table: Table, start: int = 0, stop: int | None = None) -> None:
    sheet.row([c.label for c in table.columns], [Style.HEADER] * len(table.columns))
    sheet.write(table.texts(start, stop), [_STYLE[c.kind] for c in table.columns])


def write_workbook(
    path: Path,
    *,
    as_of: dt.date,
    summary: Table,
    funds: Table,
    sheets: Sequence[Table],
    notes: Sequence[str] = (),
    rows_per_sheet: int = MAX_ROWS - 1,
) -> Path:
    """The summary sheet (policies, then funds, then notes), then each list on its sheets."""
    assert summary.sheet is not None
    plan: list[tuple[str, Table, int]] = []
    for table in sheets:
        assert table.sheet is not None
        for i, name in enumerate(sheet_names(table.sheet, table.num_rows, rows_per_sheet)):
            plan.append((name, table, i))
    created = dt.datetime(as_of.year, as_of.month, as_of.day)
    with Workbook(path, [summary.sheet, *(name for name, _, _ in plan)], created) as book:
        lines = summary.num_rows + funds.num_rows + len(notes) + 4  # 2 headers, 2 blank
        sheet = book.sheet([c.width for c in summary.columns], lines)
        _write_table(sheet, summary)
        sheet.row([None], [Style.PLAIN])
        _write_table(sheet, funds)
        sheet.row([None], [Style.PLAIN])
        for note in notes:
            sheet.row([note], [Style.PLAIN])
        for _, table, part in plan:
            start = part * rows_per_sheet
            stop = min(start + rows_per_sheet, table.num_rows)
            sheet = book.sheet([c.width for c in table.columns], stop - start + 1)
            _write_table(sheet, table, start, stop)
            sheet.autofilter()
    return path
