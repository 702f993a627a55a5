"""A small streaming writer of .xlsx workbooks (SpreadsheetML): text, numbers, a few styles.

Why not XlsxWriter: it spends some 20 µs of Python per cell, and the lists of a county-sized
round hold around a million cells (20 s, against a 5 s budget for the whole round). This writer
does what the round's workbook needs (shared strings, numbers with a built-in format, a bold
header, frozen header rows, column widths, an autofilter), building the XML of whole columns at
once in Arrow's compute kernels. The cells are kept (as Arrow arrays, the lists' own text) until
the workbook closes, when its strings are numbered in one pass; then each sheet is streamed into
the zip a block of rows at a time, deflated on a thread of its own. Output is deterministic:
fixed zip dates and a creation date given by the caller. Excel, LibreOffice and openpyxl read
it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import re
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from types import TracebackType
from typing import IO
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrowtext import layout
from ..registry.readers import column_letter
from .tables import joined

#: Rows a sheet holds, header included (Excel's limit).
MAX_ROWS = 1_048_576

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
#: zlib level: the fastest; the lists' XML is repetitive enough to shrink well anyway.
_LEVEL = 1
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: Characters XML 1.0 cannot carry (RE2 syntax for Arrow, Python's for the rare fix-up).
_CONTROL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: What _escaped changes: the three characters XML escapes, and those.
_SPECIAL_RE2 = r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
#: Rows rendered at a time (bounds memory, and Arrow's 2 GB string arrays).
CHUNK = 100_000


class Style(IntEnum):
    """Cell styles (indexes into styles.xml's cellXfs)."""

    PLAIN = 0  # the default: our own notes, empty cells
    MONEY = 1  # built-in format 4: #,##0.00
    COUNT = 2  # built-in format 3: #,##0
    PERCENT = 3  # built-in format 10: 0.00%
    HEADER = 4  # bold on light blue, thin border, wrapped
    TEXT = 5  # data text: quotePrefix, so that editing the cell never turns it into a formula
    TOTAL = 6  # the 合计 row's text: bold, top border
    TOTAL_MONEY = 7
    TOTAL_COUNT = 8


#: Styles whose cells hold text (shared strings); the others hold numbers.
TEXT_STYLES = (Style.PLAIN, Style.HEADER, Style.TEXT, Style.TOTAL)

_XF = '<xf numFmtId="{}" fontId="{}" fillId="{}" borderId="{}" xfId="0"{}/>'
_NUM = ' applyNumberFormat="1"'
_BOLD_TOP = ' applyFont="1" applyBorder="1"'
_STYLES = (
    _HEAD + f"<styleSheet {_NS}>"
    '<fonts count="2"><font><sz val="11"/><name val="等线"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="3"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/>'
    '</right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/>'
    "</bottom><diagonal/></border>"
    '<border><left/><right/><top style="medium"><color auto="1"/></top><bottom/><diagonal/>'
    "</border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="9">'
    + _XF.format(0, 0, 0, 0, "")
    + _XF.format(4, 0, 0, 0, _NUM)
    + _XF.format(3, 0, 0, 0, _NUM)
    + _XF.format(10, 0, 0, 0, _NUM)
    + '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" '
    'applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'
    + _XF.format(49, 0, 0, 0, ' applyNumberFormat="1" quotePrefix="1"')
    + _XF.format(0, 1, 0, 2, _BOLD_TOP)
    + _XF.format(4, 1, 0, 2, _BOLD_TOP + _NUM)
    + _XF.format(3, 1, 0, 2, _BOLD_TOP + _NUM)
    + "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

#: Characters a cell holds at most (Excel's limit, counted in UTF-16 units as Excel does).
CELL_LIMIT = 32_767


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def too_long(values: pa.Array) -> pa.Array:
    """Which text values exceed :data:`CELL_LIMIT` (a cheap bound first: a character is at
    most two UTF-16 units, so only values over half the limit need counting). A column held as
    row numbers into its values (a dictionary array) is judged on its values."""
    held = values.dictionary if pa.types.is_dictionary(values.type) else values
    # A character is never fewer UTF-8 bytes than UTF-16 units: a column whose longest value
    # fits in bytes fits in a cell, seen from its offsets alone (the usual case).
    if len(held) == 0 or (pc.max(pc.binary_length(held)).as_py() or 0) <= CELL_LIMIT:
        return pa.array(np.zeros(len(values), dtype=bool))
    if pa.types.is_dictionary(values.type):
        if len(values.dictionary) > len(values):  # a few rows of a registry column: those rows
            return too_long(values.dictionary_decode())
        return pc.take(too_long(values.dictionary), values.indices)
    maybe = pc.greater(pc.utf8_length(values), CELL_LIMIT // 2)
    if not pc.any(maybe).as_py():
        return pc.fill_null(maybe, False)
    return pa.array([v is not None and utf16_length(v) > CELL_LIMIT for v in values.to_pylist()])


def truncated(text: str) -> str:
    """``text`` cut to fit a cell, ending with a marker that says it was cut and by how much."""
    marker = f"…〔已截断：全文 {len(text):,} 字，见同名 CSV 文件〕"
    room = CELL_LIMIT - utf16_length(marker)
    out, used = [], 0
    for ch in text:
        used += utf16_length(ch)
        if used > room:
            break
        out.append(ch)
    return "".join(out) + marker


def _fit(values: pa.Array) -> pa.Array:
    """Text values cut to fit a cell (rare: done in Python for the values over the limit)."""
    long = too_long(values)
    if not pc.any(long).as_py():
        return values
    return pa.array(
        [
            truncated(v) if cut else v
            for v, cut in zip(values.to_pylist(), long.to_pylist(), strict=True)
        ],
        pa.string(),
    )


@dataclass(frozen=True)
class PageSetup:
    """How a list sheet prints: landscape A4, one page wide, the header rows repeated on every
    page, a footer naming the round, the sheet and the page (``第 N 页 共 M 页``)."""

    footer: str
    title_rows: int = 1

    def xml(self) -> str:
        # In header/footer codes "&" starts a code: a literal one is written "&&".
        left = self.footer.replace("&", "&&")
        footer = escape(f"&L{left}&C&A&R第 &P 页 共 &N 页")
        return (
            '<printOptions horizontalCentered="1" gridLines="1"/>'
            '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.7" header="0.3" '
            'footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToWidth="1" '
            f'fitToHeight="0"/><headerFooter><oddFooter>{footer}</oddFooter></headerFooter>'
        )


def _escaped(values: pa.Array) -> pa.Array:
    """Text safe inside an XML element: & < > escaped; characters XML cannot carry written
    the way Excel does (``_x0001_``), which is rare enough to do in Python."""
    # One pass says whether there is anything to do: most text holds none of them.
    if not pc.any(pc.match_substring_regex(values, _SPECIAL_RE2)).as_py():
        return values
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        if pc.any(pc.match_substring(values, raw)).as_py():
            values = pc.replace_substring(values, raw, entity)
    bad = pc.match_substring_regex(values, _CONTROL_RE2)
    if pc.any(bad).as_py():
        fixed = [
            None if v is None else _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", v)
            for v in values.to_pylist()
        ]
        values = pa.array(fixed, type=pa.string())
    return values


#: Whitespace at either end of a text, which XML keeps only when told to: tab, line feed, form
#: feed, carriage return and space (the ``\s`` of the regular expression this replaces).
_SPACES = np.frombuffer(b"\t\n\f\r ", dtype=np.uint8)


def _spaced(texts: pa.Array) -> pa.Array:
    """Which of ``texts`` (no nulls) start or end with :data:`_SPACES`, read from their first
    and last bytes (an ASCII byte is never part of another UTF-8 character)."""
    raw, starts, stops = layout(texts)
    filled = stops > starts
    first = np.zeros(len(texts), dtype=np.uint8)
    last = np.zeros(len(texts), dtype=np.uint8)
    first[filled] = raw[starts[filled]]
    last[filled] = raw[stops[filled] - 1]
    return pa.array(np.isin(first, _SPACES) | np.isin(last, _SPACES))


class SharedStrings:
    """The workbook's table of strings: each text is written once, cells refer to it by number.

    The same enterprises and policies appear on several sheets, and a title down a whole
    column; numbers instead of repeated text make the sheets' XML (and the time to compress
    it) about half as large.

    Strings are numbered in order of first use, all at once when every cell is known
    (:meth:`number`): one hash pass of Arrow's over the workbook's text cells, where numbering
    them a column at a time meant a Python dictionary entry per distinct text.
    """

    def __init__(self) -> None:
        self._parts: list[pa.Array] = []
        self._starts: list[int] = []
        self._used = 0
        self._ids = pa.array([], pa.int32())
        self.texts = pa.array([], pa.string())

    def add(self, values: pa.Array) -> int:
        """Cells to number, in the order they are used; returns what :meth:`ids` takes."""
        self._parts.append(values if values.type == pa.string() else values.cast(pa.string()))
        self._starts.append(self._used)
        self._used += len(values)
        return len(self._parts) - 1

    def number(self) -> None:
        coded = pa.chunked_array(self._parts, pa.string()).dictionary_encode()
        self._parts = []
        if coded.num_chunks:
            self.texts = coded.chunk(0).dictionary
            self._ids = pa.concat_arrays([c.indices for c in coded.chunks])

    def ids(self, added: int) -> pa.Array:
        """The shared-string numbers of the cells :meth:`add` returned ``added`` for (null stays
        null)."""
        start = self._starts[added]
        stop = self._starts[added + 1] if added + 1 < len(self._starts) else self._used
        return self._ids.slice(start, stop - start)

    def xml(self) -> bytes:
        texts = self.texts
        head = (_HEAD + f'<sst {_NS} uniqueCount="{len(texts)}">').encode()
        if not len(texts):
            return head + b"</sst>"
        open_tag = pc.if_else(_spaced(texts), '<si><t xml:space="preserve">', "<si><t>")
        return head + bytes(joined([open_tag, _escaped(texts), "</t></si>"])) + b"</sst>"


def _sheet_name(name: str) -> str:
    if len(name) > 31 or any(ch in name for ch in "[]:*?/\\") or not name.strip():
        raise ValueError(f"'{name}' cannot name a sheet")
    return name


class _Compressing:
    """A zip entry written (and so deflated) on a thread of its own, so that the next chunk of
    XML is built while the last one is compressed: zlib and Arrow both release the GIL."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._queue: queue.Queue[bytes | memoryview | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._out.write(data)
                except BaseException as exc:  # handed to the writing thread in close()
                    self._error = exc

    def write(self, data: bytes | memoryview) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(data)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._out.close()
        if self._error is not None:
            raise self._error


@dataclass(frozen=True)
class _Column:
    """One column of a block of rows, kept until the workbook's strings are numbered."""

    style: Style
    #: The cells as text (number styles), or what :meth:`SharedStrings.add` returned.
    cells: pa.Array | int
    #: Which cells are empty (null or ""), when some are.
    blank: pa.Array | None


def _cells(
    letter: str, column: _Column, rows: pa.Array, shared: SharedStrings
) -> list[pa.Array | str]:
    """The XML of one column's cells, as parts of the rows' join (empty text for an empty cell:
    a column without any is left to the one join of the whole row, which is cheaper)."""
    s = f' s="{int(column.style)}"' if column.style else ""
    if isinstance(column.cells, int):
        s += ' t="s"'
        values = pc.cast(shared.ids(column.cells), pa.string())
    else:
        values = column.cells
    parts: list[pa.Array | str] = [f'<c r="{letter}', rows, f'"{s}><v>', values, "</v></c>"]
    if column.blank is None:
        return parts
    return [pc.if_else(column.blank, "", pc.binary_join_element_wise(*parts, "")).fill_null("")]


class Sheet:
    """One worksheet; rows are appended in order, and its XML is written when the workbook
    closes (its text cells refer to shared strings numbered then)."""

    def __init__(
        self,
        widths: Sequence[float],
        rows: int,
        freeze_rows: int,
        shared: SharedStrings,
        page: PageSetup | None = None,
    ) -> None:
        self.page = page
        self._shared = shared
        self.rows = 0
        self.planned = rows
        self.width = max(len(widths), 1)
        self.filter_rows: int | None = None
        #: Blocks of rows: the first row's number, the row attributes, the columns.
        self._blocks: list[tuple[int, str, list[_Column]]] = []
        views = '<sheetView workbookViewId="0"/>'
        if freeze_rows:
            top = f"A{freeze_rows + 1}"
            views = (
                f'<sheetView workbookViewId="0"><pane ySplit="{freeze_rows}" topLeftCell="{top}" '
                'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
                f'activeCell="{top}" sqref="{top}"/></sheetView>'
            )
        cols = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{w:g}" customWidth="1"/>'
            for i, w in enumerate(widths)
        )
        self._head = (
            _HEAD
            + f"<worksheet {_NS} {_NS_R}>"
            + ('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if page else "")
            # Readers such as openpyxl scan the whole sheet for its size when this is missing.
            + f'<dimension ref="A1:{column_letter(self.width - 1)}{max(rows, 1)}"/>'
            f"<sheetViews>{views}</sheetViews>"
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + "<sheetData>"
        )

    def row(
        self, values: Sequence[str | None], styles: Sequence[Style], height: float | None = None
    ) -> None:
        """One row of text (number styles take numbers as text, such as ``1234.50``); a
        ``height`` in points for a row of wrapped headers."""
        self.write([pa.array([v], type=pa.string()) for v in values], styles, height)

    def write(
        self, columns: Sequence[pa.Array], styles: Sequence[Style], height: float | None = None
    ) -> None:
        """Rows given as columns of text, one style per column; null or "" is an empty cell.

        Number styles take their numbers as text (``1234.50``): exact decimals reach the file
        without passing through a float.
        """
        n = len(columns[0]) if columns else 1
        tall = "" if height is None else f' ht="{height:g}" customHeight="1"'
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            block = []
            for col, style in zip(columns, styles, strict=True):
                part = col.slice(start, stop - start)
                blank = pc.equal(part, "")
                empty = part.null_count > 0 or pc.any(blank).as_py()
                cells = self._shared.add(_fit(part)) if style in TEXT_STYLES else part
                block.append(_Column(style, cells, blank if empty else None))
            self._blocks.append((self.rows + 1, tall, block))
            self.rows += stop - start

    def autofilter(self) -> None:
        """Filter buttons on the first row, over every row written so far."""
        self.filter_rows = max(self.rows, 2)

    def close(self) -> None:
        if self.rows != self.planned:
            raise ValueError(f"sheet planned for {self.planned} rows got {self.rows}")

    def render(self, out: _Compressing) -> None:
        """The sheet's XML into ``out`` (the workbook's strings numbered)."""

        def put(data: str | memoryview) -> None:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)

        put(self._head)
        ends = [first for first, _, _ in self._blocks[1:]] + [self.rows + 1]
        for (first, tall, block), end in zip(self._blocks, ends, strict=True):
            rows = pc.cast(pa.array(range(first, end)), pa.string())
            parts: list[pa.Array | str] = ['<row r="', rows, f'"{tall}>']
            for i, column in enumerate(block):
                for piece in _cells(column_letter(i), column, rows, self._shared):
                    if isinstance(piece, str) and isinstance(parts[-1], str):
                        parts[-1] += piece
                    else:
                        parts.append(piece)
            put(joined([*parts, "</row>"]))
        tail = "</sheetData>"
        if self.filter_rows is not None:
            tail += f'<autoFilter ref="{self.filter_ref}"/>'
        if self.page is None:
            tail += (
                '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                'footer="0.3"/>'
            )
        else:
            tail += self.page.xml()
        put(tail + "</worksheet>")

    @property
    def filter_ref(self) -> str:
        return f"A1:{column_letter(self.width - 1)}{self.filter_rows}"


class Workbook:
    """``with Workbook(path, sheet_names, created) as wb: sheet = wb.sheet(widths, rows) ...``

    Sheet names are given up front, and each sheet's number of rows when it is started (the
    sheet's size comes first in its XML); sheets are written one after the other, in order.
    """

    def __init__(self, path: Path | IO[bytes], names: Sequence[str], created: dt.datetime) -> None:
        self.names = [_sheet_name(n) for n in names]
        if len(set(self.names)) != len(self.names):
            raise ValueError("sheet names must be unique")
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=_LEVEL)
        self._filters: dict[int, str] = {}
        self._titles: dict[int, int] = {}
        self._sheets: list[Sheet] = []
        self._created = created
        self.shared = SharedStrings()

    def _put(self, name: str, data: str | bytes) -> None:
        # A ZipInfo of our own: writestr would stamp a name alone with the current time.
        info = zipfile.ZipInfo(name, _ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._zip.writestr(info, data, compresslevel=_LEVEL)

    def sheet(
        self,
        widths: Sequence[float],
        rows: int,
        freeze_rows: int = 1,
        page: PageSetup | None = None,
    ) -> Sheet:
        """The next sheet (closing the previous one), which will hold ``rows`` rows."""
        self._close_sheet()
        index = len(self._sheets)
        if index >= len(self.names):
            raise ValueError("more sheets than names")
        sheet = Sheet(widths, rows, freeze_rows, self.shared, page)
        if page is not None and page.title_rows:
            self._titles[index] = page.title_rows
        self._sheets.append(sheet)
        return sheet

    def _close_sheet(self) -> None:
        if not self._sheets:
            return
        sheet = self._sheets[-1]
        sheet.close()
        if sheet.filter_rows is not None:
            self._filters[len(self._sheets) - 1] = sheet.filter_ref

    def close(self) -> None:
        self._close_sheet()
        while len(self._sheets) < len(self.names):
            self.sheet((), 0)
            self._close_sheet()
        self.shared.number()
        for index, sheet in enumerate(self._sheets):
            # Opened by name: the entry gets ZipInfo's fixed 1980 date and the archive's level.
            out = _Compressing(self._zip.open(f"xl/worksheets/sheet{index + 1}.xml", "w"))
            try:
                sheet.render(out)
            finally:
                out.close()
        self._write_parts()
        self._zip.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
            return
        # Failing already: release the file, and let that error through.
        with contextlib.suppress(Exception):
            self._zip.close()

    def _write_parts(self) -> None:
        n = len(self.names)
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(n)
        )
        self._put(
            "[Content_Types].xml",
            _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>' + sheets + "<Override PartName="
            '"/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType='
            '"application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName='
            '"/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'extended-properties+xml"/></Types>',
        )
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        self._put(
            "_rels/.rels",
            _HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/><Relationship Id="rId2" Type="http://schemas.'
            'openxmlformats.org/package/2006/relationships/metadata/core-properties" '
            f'Target="docProps/core.xml"/><Relationship Id="rId3" Type="{rel}/extended-'
            'properties" Target="docProps/app.xml"/></Relationships>',
        )
        created = self._created.strftime("%Y-%m-%dT%H:%M:%SZ")
        self._put(
            "docProps/core.xml",
            _HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
            '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
            'XMLSchema-instance"><dc:creator>policymatch</dc:creator><dcterms:created '
            f'xsi:type="dcterms:W3CDTF">{created}</dcterms:created></cp:coreProperties>',
        )
        self._put(
            "docProps/app.xml",
            _HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties"><Application>policymatch</Application></Properties>',
        )
        entries = "".join(
            f'<sheet name={quoteattr(name)} sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, name in enumerate(self.names)
        )
        defined = [
            (i, '_xlnm._FilterDatabase" hidden="1', self._absolute(self.names[i], ref))
            for i, ref in self._filters.items()
        ] + [
            (i, "_xlnm.Print_Titles", f"{self._quoted(self.names[i])}!$1:${rows}")
            for i, rows in self._titles.items()
        ]
        # Excel wants them sorted by name, then sheet.
        names = "".join(
            f'<definedName name="{name}" localSheetId="{i}">{escape(ref)}</definedName>'
            for i, name, ref in sorted(defined, key=lambda d: (d[1], d[0]))
        )
        self._put(
            "xl/workbook.xml",
            _HEAD + f"<workbook {_NS} {_NS_R}><bookViews><workbookView/></bookViews>"
            f"<sheets>{entries}</sheets>"
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + "</workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i + 1}" Type="{rel}/worksheet" '
            f'Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(n)
        )
        self._put(
            "xl/_rels/workbook.xml.rels",
            _HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships">{rels}<Relationship Id="rId{n + 1}" Type="{rel}/styles" '
            f'Target="styles.xml"/><Relationship Id="rId{n + 2}" Type="{rel}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>',
        )
        self._put("xl/styles.xml", _STYLES)
        self._put("xl/sharedStrings.xml", self.shared.xml())

    @staticmethod
    def _absolute(name: str, ref: str) -> str:
        first, last = ref.split(":")

        def dollar(cell: str) -> str:
            m = re.match(r"([A-Z]+)(\d+)", cell)
            assert m is not None
            return f"${m.group(1)}${m.group(2)}"

        return f"{Workbook._quoted(name)}!{dollar(first)}:{dollar(last)}"

    @staticmethod
    def _quoted(name: str) -> str:
        quoted = name.replace("'", "''")
        return f"'{quoted}'"
