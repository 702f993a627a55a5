"""Quote runaways in CSV: a quote left open swallows the records after it.

A CSV parser (pyarrow's, Excel's, WPS's) reads everything after an opening quote as one value
until the next quote, line breaks included. One unclosed quote in a name therefore turns the
records after it into the text of that name; if a later quote closes it, the parser goes on
with the *cells of another record* (the issue behind this module saw a grant paid into another
enterprise's bank account). Nothing in the parsed record says so; the line breaks do.

The rule (``docs/registry.md``): no registry field spans lines, and a record swallowed by an
open quote brings its delimiters with it. The text of a parsed record that spans lines is split
back into physical lines; a later line with as many cells as the header is a swallowed record
(:func:`pieces`). A record with a swallowed record in it is a runaway; so is a record
whose cell count is wrong and whose text spans lines, and one in whose quoted value the file
ends. A runaway is not guessed at: each of its physical records is set aside with the file line
it is on, so rows read still equals rows kept + rows set aside, counted on the records that are
really in the file. A value spanning lines with no record in it (a two-line remark in a column
that is not read) stays one record; in a column that gives a field it is set aside by the
field's own rule (:func:`.cells.check_single_line`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from typing import Any

LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: A cell value holding a line break (pyarrow regex syntax, also Python's).
BREAK_PATTERN = r"[\r\n]"
DELIMITER = ","


@dataclass(frozen=True)
class Piece:
    """One physical record of a runaway: the file line it starts on and its cells."""

    line: int
    cells: tuple[str, ...]


def split_line(line: str) -> tuple[str, ...]:
    """The cells of one physical line, split on its own (a quote left open ends at the line)."""
    try:
        return tuple(next(csv.reader([line]), []))
    except csv.Error:  # a NUL byte or the like: split plainly, the cells are only shown
        return tuple(line.split(DELIMITER))


def pieces(
    text: str, first_line: int, width: int, *, last_needs_quote: bool = False
) -> list[Piece]:
    """The physical records in the text of a record starting on file line ``first_line``: its
    first line, and every later line with at least the header's ``width`` cells (a swallowed
    record is whole).

    The last line of a record whose quote the parser closed holds the rest of that record
    after the value, so it falls short of the header's cells unless the value is in the first
    column: then (``last_needs_quote``) it counts only if it shows a quote, the one that closed
    the runaway. When in doubt a line is counted: a fragment set aside as a record is seen; a
    record lost in a fragment is not."""
    lines = LINE_BREAK.split(text)
    out: list[Piece] = []
    for offset, line in enumerate(lines):
        cells = split_line(line)
        last = offset == len(lines) - 1
        if offset == 0 or (
            len(cells) >= width and not (last_needs_quote and last and '"' not in line)
        ):
            out.append(Piece(first_line + offset, cells))
    return out


def may_break(text: Any) -> bool:
    """Whether Arrow text (an array or a chunked array) may hold a line break: False when the
    UTF-8 bytes of its chunks hold no CR or LF at all, as in almost every column of almost every
    file, which one byte scan shows without looking at cells."""
    import pyarrow as pa

    from ..arrowtext import holds_any

    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    return any(holds_any(chunk, b"\r\n") for chunk in chunks)


def line_breaks(text: str) -> int:
    return len(LINE_BREAK.findall(text))


@dataclass
class Lines:
    """File lines of records: a record's number plus the line breaks inside earlier records.

    Records are numbered as a spreadsheet shows them (a quoted value over several lines is one
    row); a runaway is reported with file lines, which is where the user finds the quote.
    """

    _spans: dict[int, int] = field(default_factory=dict)  # record -> line breaks inside it

    def note(self, record: int, breaks: int) -> None:
        if breaks:
            self._spans[record] = breaks

    def line(self, record: int) -> int:
        return record + sum(b for r, b in self._spans.items() if r < record)


def reasons(row: int, parts: list[Piece], last_line: int) -> list[str]:
    """The reason of each physical record of the runaway at spreadsheet row ``row``, whose
    text ends on file line ``last_line``."""
    first = parts[0].line
    swallowed = f"，吞并了其后 {len(parts) - 1} 条记录" if len(parts) > 1 else ""
    head = (
        f"引号未闭合：本行一个以引号开头的值从文件第 {first} 行延续到第 {last_line} 行"
        f"{swallowed}；无法可靠拆分，已搁置（请检查文件第 {first} 行的引号）"
    )
    tail = [
        f"被第 {row} 行未闭合的引号吞并（文件第 {p.line} 行），无法可靠拆分，已搁置"
        for p in parts[1:]
    ]
    return [head, *tail]
