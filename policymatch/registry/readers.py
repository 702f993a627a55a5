"""Raw readers: a registry source as chunks of untyped cells, with the row numbers users see.

A reader knows a format and nothing about the schema: it yields each source column as a pandas
Series of raw cells (text where the source holds text; Python scalars or numeric dtypes where it
holds typed values) and the row number of each record. :mod:`.load` types and validates them.

Formats, by extension (``.csv``/``.txt``, ``.xlsx``/``.xlsm``, ``.parquet``/``.pq``), or a
SQLAlchemy URL (anything with ``scheme://``) read through ``table=NAME`` or ``query=SQL``.

Row numbers are the ones a user finds the row by:

* CSV and Excel: the spreadsheet row. The header is row 1 in CSV (the first record) and the
  first non-empty row in a worksheet; a quoted cell spanning lines is still one row, as Excel
  shows it. Wholly empty rows keep their number but are layout, not records.
* Parquet and SQL: the 1-based record number, in the order the file or the query returns rows.

A CSV row whose cell count differs from the header's cannot be split into fields without
guessing; it comes back as a :class:`BrokenRow`, which the loader sets aside. So does an Excel
row with a value to the right of the last header cell, and each physical record of a CSV quote
runaway (:mod:`.runaway`: a quote left open that swallowed the records after it).
"""

from __future__ import annotations

import datetime as dt
import os
import string
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd

from ..errors import RegistryError, simple
from .encoding import FileDigest, detect_encoding
from .limits import limits
from .runaway import (
    BREAK_PATTERN,
    DELIMITER,
    Lines,
    line_breaks,
    may_break,
    pieces,
    reasons,
)
from .urls import is_database_url, mask_url

#: What pyarrow says when a record does not fit in one block.
_STRADDLING = "straddling object straddles two block boundaries"
#: Rows per chunk when a caller asks for "everything at once".
_ALL = 1 << 62


class Format(Enum):
    CSV = "csv"
    XLSX = "xlsx"
    PARQUET = "parquet"
    SQL = "sql"


EXTENSIONS: dict[str, Format] = {
    ".csv": Format.CSV,
    ".txt": Format.CSV,
    ".xlsx": Format.XLSX,
    ".xlsm": Format.XLSX,
    ".parquet": Format.PARQUET,
    ".pq": Format.PARQUET,
}


@dataclass(frozen=True)
class BrokenRow:
    """A record that could not be split into the header's columns."""

    row: int
    cells: tuple[str, ...]  # as far as it could be split (may be shifted)
    reason: str


@dataclass
class RawChunk:
    """Consecutive records: one raw Series per requested column, and their row numbers."""

    columns: list[pd.Series]
    rows: np.ndarray  # int64, one per record, ascending
    broken: list[BrokenRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)


T = TypeVar("T")


class Reread(Exception):
    """A pass over some columns of a CSV file found that it may not have seen the records a
    pass over every column sees (a value spans lines, or the file ends inside quotes); the
    caller asks again, and the source then parses every column."""


def narrow_pass(work: Callable[[], T]) -> T:
    """Run ``work``, a pass over some columns of a source, once more if it ends in
    :class:`Reread` (the second time the source parses every column)."""
    try:
        return work()
    except Reread:
        return work()


class RawSource(Protocol):
    """An opened registry source."""

    display: str  # path, or URL with the password masked
    headers: list[str]  # as written (not yet stripped)
    blank_rows_are_layout: bool  # wholly empty rows are not records (CSV, Excel)

    @property
    def sha256(self) -> str | None: ...

    def chunks(
        self, chunk_rows: int | None, columns: Sequence[int] | None = None
    ) -> Iterator[RawChunk]:
        """Records in order, ``chunk_rows`` at a time (None: all in one chunk), with only the
        source ``columns`` given (None: all). A pass over some columns may end in
        :class:`Reread`: the chunks it gave are void, and the next pass parses every column."""
        ...

    def fingerprint(self) -> object:
        """Something that changes when the source changes between two passes."""
        ...

    def most_records(self) -> int | None:
        """At least as many as the records (broken rows included) of the source, known without
        reading it (None: not known)."""
        ...


def _fail(code: str, message: str, display: str | None, hint: str | None = None) -> RegistryError:
    return RegistryError([simple(code, message, file=display, hint=hint)])


def detect_format(
    source: str | os.PathLike[str], *, table: str | None, query: str | None
) -> Format:
    """The format of ``source``; raises :class:`RegistryError` for what cannot be read."""
    text = os.fspath(source)
    if is_database_url(text):
        shown = mask_url(text)
        if (table is None) == (query is None):
            what = "both" if table is not None else "neither"
            raise _fail(
                "PM511",
                f"a database registry needs exactly one of a table and a query; got {what}",
                shown,
                hint="give table=NAME to read a whole table, or query='SELECT ...'",
            )
        return Format.SQL
    if table is not None or query is not None:
        raise _fail(
            "PM511",
            "a table or a query applies to a database URL, not to a file",
            text,
            hint="give a SQLAlchemy URL such as postgresql+psycopg://user@host/db, "
            "or no table= and no query=",
        )
    path = Path(text)
    if not path.exists():
        raise _fail("PM501", "registry file not found", text, hint="check the path of the registry")
    if path.is_dir():
        raise _fail("PM501", "the registry is a folder, not a file", text)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _fail(
            "PM510",
            "old-style .xls workbooks are not read",
            text,
            hint="save the workbook as .xlsx (Excel Workbook) or as CSV UTF-8",
        )
    if suffix not in EXTENSIONS:
        raise _fail(
            "PM510",
            f"cannot tell the format of '{path.name}' from its extension",
            text,
            hint="name the file .csv, .xlsx or .parquet, or give a database URL with table= or query=",
        )
    return EXTENSIONS[suffix]


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def column_letter(index: int) -> str:
    """Spreadsheet letters of 0-based column ``index``: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = string.ascii_uppercase[rem] + letters
    return letters


# --- typed cells from Arrow and from Python values -------------------------------------------


def arrow_to_raw(array: Any) -> pd.Series:
    """An Arrow column as a raw Series: text stays text, integers become ``Int64``, decimals
    stay Arrow decimals (:func:`.cells.type_column` reads their integers, or their exact text),
    dates and anything else become Python objects. A dictionary-encoded column is its cells (as
    Python objects they were typed one by one, eight times slower)."""
    import pyarrow as pa
    import pyarrow.types as pat

    from .frame import arrow_text_series

    kind = array.type
    if pat.is_dictionary(kind):  # (a pandas categorical): its cells, typed as a column of them
        return arrow_to_raw(array.cast(kind.value_type))
    if pat.is_string(kind) or pat.is_large_string(kind):  # (to_pandas costs 3x more)
        return arrow_text_series(array)
    if pat.is_string_view(kind):
        return pd.Series(array.to_pandas(), dtype="str").reset_index(drop=True)
    if pat.is_binary(kind) or pat.is_large_binary(kind):
        # Some writers store text as bytes without saying it is UTF-8; other bytes stay bytes,
        # which typing refuses cell by cell (never their repr).
        try:
            return arrow_to_raw(
                array.cast(pa.large_string() if pat.is_large_binary(kind) else pa.string())
            )
        except pa.ArrowInvalid:
            pass
    if pat.is_decimal(kind):  # typed from the decimals where exact, else from their text
        return pd.Series(pd.arrays.ArrowExtensionArray(array))
    if pat.is_integer(kind) and not pat.is_uint64(kind):
        return pd.Series(array.to_pandas(types_mapper={kind: pd.Int64Dtype()}.get)).astype("Int64")
    if pat.is_floating(kind):
        return pd.Series(array.to_pandas(), dtype="float64").reset_index(drop=True)
    if pat.is_boolean(kind):
        return pd.Series(array.to_pandas(types_mapper={kind: pd.BooleanDtype()}.get)).astype(
            "boolean"
        )
    if pat.is_date(kind) or (pat.is_timestamp(kind) and kind.tz is None):
        try:  # dates beyond what nanoseconds hold stay Python objects, and are reported
            return pd.Series(array.cast(pa.timestamp("ns")).to_pandas(), dtype="datetime64[ns]")
        except (pa.ArrowException, OverflowError):
            pass
    return pd.Series(array.to_pylist(), dtype=object)


def python_to_raw(values: Sequence[Any]) -> pd.Series:
    """Python scalars (a database or worksheet column) as a raw Series; see :func:`arrow_to_raw`.

    The column's kinds are checked first, so a mixed column (SQLite stores what it is given)
    stays Python objects and each cell is typed by what it is.
    """
    kinds = set(map(type, values)) - {type(None)}
    if kinds <= {str}:
        return pd.Series(list(values), dtype="str")
    if kinds == {int}:
        try:
            return pd.Series(pd.array(list(values), dtype="Int64"))
        except (OverflowError, TypeError, ValueError):
            pass
    elif kinds == {float}:
        return pd.Series(np.array([np.nan if v is None else v for v in values], dtype="float64"))
    elif kinds in ({Decimal}, {dt.date}, {dt.datetime}):
        import pyarrow as pa

        try:
            return arrow_to_raw(pa.array(list(values), from_pandas=True))
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            pass
    return pd.Series(list(values), dtype=object)


# --- CSV --------------------------------------------------------------------------------------


class CsvSource:
    """A CSV file, parsed by pyarrow (single-threaded, so every bad row gets its record number).

    pyarrow reads UTF-8 natively and skips a UTF-8 BOM itself. A GB18030 file is decoded once,
    by detection (which proves it clean on every byte), into a temporary UTF-8 copy that the
    passes parse (in the system's temporary folder, ``TMPDIR``); the file's own bytes give its
    SHA-256, and its line ends are the same bytes in both encodings.

    A pass over some columns (the first pass of a chunked read, over the codes) converts only
    those and the last: pyarrow still splits every record, so it finds the same records and the
    same rows with a wrong cell count, but a quote runaway shows only in the cells it spans. The
    pass therefore trusts itself only when no value spans lines (the records it parsed, bad
    ones included, are exactly the file's physical lines) and the file does not end inside
    quotes; otherwise it raises :class:`Reread`, and every later pass parses every column. A
    narrow pass that trusted itself has shown that no value spans lines, so later passes do not
    look for runaways (were the file changed in between, the chunked read's check of the file
    and of its record count stops it, PM509).
    """

    blank_rows_are_layout = True

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self._copy: Path | None = None
        # The file as detection read it: the line count is trusted only for that file.
        self._opened = _stat(path)
        try:
            detected = detect_encoding(path, display, utf8_copy=self._make_copy)
            if not detected.copied:
                self.close()
            self._text = self._copy or path
            # Detection has proven every byte clean; pyarrow decodes GB18030 (through Python's
            # codec) only when the copy could not be written.
            plain = detected.copied or detected.encoding.startswith("utf-8")
            self._encoding = "utf8" if plain else detected.encoding
            self.sha256: str | None = detected.sha256
            self._lines = detected.lines
            self._light = True  # a pass over some columns may convert those alone
            self._flat = False  # no value spans lines, as a narrow pass has shown
            self.headers = self._read_header()
        except BaseException:
            self.close()
            raise

    def _make_copy(self) -> Path | None:
        """A new temporary file for the UTF-8 copy of a GB18030 file, or None when there is no
        temporary folder to write in (pyarrow then decodes the file itself)."""
        import tempfile

        try:
            handle, copy = tempfile.mkstemp(prefix="policymatch-", suffix=".csv")
        except OSError:
            return None
        os.close(handle)
        self._copy = Path(copy)
        return self._copy

    def close(self) -> None:
        if self._copy is not None:
            self._copy.unlink(missing_ok=True)
            self._copy = None

    def fingerprint(self) -> object:
        return _stat(self.path)

    def most_records(self) -> int | None:
        # Each record (each piece of a runaway) is one physical line or more, after the header.
        return max(self._lines - 1, 0)

    def _open(
        self,
        width: int,
        sink: list[Any],
        block: int | None = None,
        include: Sequence[int] | None = None,
    ) -> Any:
        import pyarrow as pa
        from pyarrow import csv as pacsv

        def on_invalid(row: Any) -> str:
            sink.append(row)
            return "skip"

        names = [f"f{i}" for i in range(width)]
        return pacsv.open_csv(
            self._text,
            read_options=pacsv.ReadOptions(
                use_threads=False,
                block_size=block or limits().csv_block,
                encoding=self._encoding,
                autogenerate_column_names=True,
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                include_columns=None if include is None else [names[i] for i in include],
            ),
        )

    def _read_header(self) -> list[str]:
        import pyarrow as pa

        try:
            # A small first block: only the header row is wanted (a longer one is read again).
            try:
                first = self._open(1 << 10, [], 1 << 16).read_next_batch()
            except pa.ArrowInvalid:
                first = self._open(1 << 10, []).read_next_batch()
        except (pa.ArrowInvalid, StopIteration) as exc:
            if isinstance(exc, pa.ArrowInvalid) and (
                _STRADDLING in str(exc) or self.path.stat().st_size > limits().csv_block
            ):
                raise self._too_long(1) from None
            if "Empty CSV" in str(exc) or isinstance(exc, StopIteration):
                raise _fail(
                    "PM507", "the file is empty: there is no header row", self.display
                ) from None
            raise _fail("PM508", f"cannot read the file as CSV: {exc}", self.display) from None
        header = [str(first.column(i)[0]) for i in range(first.num_columns)]
        if not any(h.strip() for h in header) and first.num_rows <= 1:
            raise _fail("PM507", "the file is empty: there is no header row", self.display)
        return header

    def chunks(
        self, chunk_rows: int | None, columns: Sequence[int] | None = None
    ) -> Iterator[RawChunk]:
        import pyarrow as pa

        width = len(self.headers)
        invalid: list[Any] = []
        light = columns is not None and self._light
        if light:
            assert columns is not None
            # The requested columns, then the last, whose final value shows an open quote.
            include = list(dict.fromkeys([*columns, width - 1]))
            select: Sequence[int] | None = [include.index(c) for c in columns]
            last = include.index(width - 1)
            reader = self._open(width, invalid, include=include)
        else:
            select, last = columns, width - 1
            reader = self._open(width, invalid)
        numbering = _Numbering(first=1)
        lines = Lines()
        skip_header = True
        pending: list[Any] = []
        pending_rows = 0
        limit = chunk_rows or _ALL
        emitted = 0  # invalid rows already handed out
        yielded = False
        parsed = 0  # records pyarrow has given, the header included
        try:
            for batch in reader:
                parsed += batch.num_rows
                if skip_header:
                    lines.note(1, sum(_breaks(batch.slice(0, 1))))
                    batch = batch.slice(1)
                    skip_header = False
                    numbering.skip(1)
                pending.append(batch)
                pending_rows += batch.num_rows
                # ">" keeps the file's last record for the final chunk, which checks it.
                while pending_rows > limit:
                    table = pa.Table.from_batches(pending)
                    head, rest = table.slice(0, limit), table.slice(limit)
                    pending, pending_rows = rest.to_batches(), rest.num_rows
                    rows = numbering.take(limit, invalid)
                    upto = int(rows[-1]) if len(rows) else 0
                    taken = [r for r in invalid[emitted:] if r.number <= upto]
                    emitted += len(taken)
                    yielded = True
                    yield self._split(head, rows, taken, select, lines, open_last=False)
        except pa.ArrowInvalid as exc:
            if _STRADDLING in str(exc):  # the next record does not fit in a block
                raise self._too_long(parsed + len(invalid) + 1) from None
            raise _fail("PM508", f"cannot read the file as CSV: {exc}", self.display) from None
        table = pa.Table.from_batches(pending) if pending else None
        n = table.num_rows if table is not None else 0
        rows = numbering.take(n, invalid)
        taken = invalid[emitted:]
        # pyarrow reads a quote left open at the end of the file as a whole last value; the row
        # (and whatever came after the cut) may be incomplete, so it is set aside.
        open_last = (
            table is not None
            and n > 0
            and not any(r.number > rows[-1] for r in taken)
            and self._ends_inside_quotes(table.column(last)[n - 1].as_py())
        )
        if light:
            if (
                open_last
                or parsed + len(invalid) != self._lines
                or _stat(self.path) != self._opened
            ):
                self._light = False
                raise Reread
            self._flat = True
        if n or taken or not yielded:
            if table is None:
                count = width if columns is None else len(columns)
                broken = self._broken_rows([], taken, lines)
                yield RawChunk([pd.Series([], dtype="str")] * count, rows, broken)
            else:
                yield self._split(table, rows, taken, select, lines, open_last=open_last)

    def _too_long(self, row: int) -> RegistryError:
        block = limits().csv_block
        size = self.path.stat().st_size
        what = (
            f"the first line is longer than {block:,} bytes (the file has {size:,}): it has no "
            "line break where a registry has one per enterprise"
            if row == 1
            else f"the record at row {row} is longer than {block:,} bytes: a cell this "
            "long is not registry data (or a quote left open there swallowed the rest of the file)"
        )
        return _fail(
            "PM522",
            what,
            self.display,
            hint="export the registry again as CSV UTF-8, one line per enterprise",
        )

    def _ends_inside_quotes(self, last_value: str) -> bool:
        codec = "utf-8" if self._encoding == "utf8" else self._encoding
        opened = ('"' + last_value.replace('"', '""')).encode(codec)
        with self._text.open("rb") as f:
            f.seek(max(f.seek(0, os.SEEK_END) - len(opened), 0))
            return f.read() == opened

    def _split(
        self,
        table: Any,
        rows: np.ndarray,
        invalid: list[Any],
        columns: Sequence[int] | None,
        lines: Lines,
        *,
        open_last: bool,
    ) -> RawChunk:
        """The records of ``table``, less its runaways (see :mod:`.runaway`), as a chunk of the
        requested ``columns``; the invalid rows and runaways as broken rows."""
        import pyarrow as pa

        n, width = table.num_rows, len(self.headers)
        spanning = (
            np.flatnonzero(_spans_lines(table))
            if n and not self._flat
            else np.empty(0, dtype=np.int64)
        )
        out: list[tuple[int, list[str], str | None]] = []  # (position, cells, reason if one)
        truncated = "文件在本行一个带引号的值中结束（引号未闭合）：文件可能被截断"
        for position in spanning:
            cells = [str(table.column(i)[int(position)].as_py()) for i in range(table.num_columns)]
            lines.note(int(rows[position]), sum(line_breaks(c) for c in cells))
            if open_last and position == n - 1:
                out.append((n - 1, cells, truncated))
            elif len(pieces(DELIMITER.join(cells), 0, width, last_needs_quote=_first(cells))) > 1:
                out.append((int(position), cells, None))
        if open_last and (not out or out[-1][0] != n - 1):
            cells = [str(table.column(i)[n - 1].as_py()) for i in range(table.num_columns)]
            out.append((n - 1, cells, truncated))
        broken = self._broken_rows(
            [
                (int(rows[p]), DELIMITER.join(c), why, why is None and _first(c))
                for p, c, why in out
            ],
            invalid,
            lines,
        )
        if out:
            keep = np.ones(n, dtype=bool)
            keep[[p for p, _, _ in out]] = False
            table, rows = table.filter(pa.array(keep)), rows[keep]
        if columns is not None:
            table = table.select(list(columns))
        return self._chunk(table, rows, broken)

    def _broken_rows(
        self,
        runaways: list[tuple[int, str, str | None, bool]],
        invalid: list[Any],
        lines: Lines,
    ) -> list[BrokenRow]:
        """Records (row, text, reason if it is one record, :func:`.runaway.pieces`'s
        ``last_needs_quote``)
        and pyarrow's invalid rows as broken rows: a runaway gives one per physical record
        (:mod:`.runaway`)."""
        items = [*runaways]
        for r in invalid:
            lines.note(r.number, line_breaks(r.text))
        for r in invalid:
            if not r.text.strip():
                continue  # a line of spaces: layout, like an empty line
            if r.actual_columns < r.expected_columns:
                why = "单元格缺失（文件是否被截断，或有引号未闭合？）"
            else:
                why = "某个值可能含有未加引号的逗号"
            count = f"本行有 {r.actual_columns} 个单元格，表头有 {r.expected_columns} 个：{why}"
            items.append((r.number, r.text, count, False))
        out: list[BrokenRow] = []
        for row, text, reason, needs_quote in items:
            parts = pieces(text, lines.line(row), len(self.headers), last_needs_quote=needs_quote)
            if reason is not None and len(parts) == 1:
                out.append(BrokenRow(row, parts[0].cells, reason))
                continue
            whys = reasons(row, parts, lines.line(row) + line_breaks(text))
            out.extend(BrokenRow(row, p.cells, why) for p, why in zip(parts, whys, strict=True))
        return out

    @staticmethod
    def _chunk(table: Any, rows: np.ndarray, broken: list[BrokenRow]) -> RawChunk:
        columns = [arrow_to_raw(table.column(i)) for i in range(table.num_columns)]
        return RawChunk(columns, rows, broken)


def _first(cells: list[str]) -> bool:
    """Whether the first cell of a record spans lines (the value a quote opened is in column A)."""
    return bool(cells) and line_breaks(cells[0]) > 0


def _breaks(table: Any) -> list[int]:
    """Line breaks in each cell of a one-row table."""
    return [line_breaks(str(table.column(i)[0].as_py())) for i in range(table.num_columns)]


def _spans_lines(table: Any) -> np.ndarray:
    """Whether each record of ``table`` has a cell spanning lines. A column whose UTF-8 bytes
    hold no CR or LF at all (almost every column of almost every file) is passed over by one
    byte scan; the others are searched cell by cell."""
    import pyarrow.compute as pc

    found = np.zeros(table.num_rows, dtype=bool)
    for column in table.columns:
        if may_break(column):
            found |= pc.match_substring_regex(column, BREAK_PATTERN).to_numpy(zero_copy_only=False)
    return found


@dataclass
class _Numbering:
    """Record numbers of the rows pyarrow keeps, given the numbers of those it skipped."""

    first: int
    _next: int = 0
    _seen: int = 0  # skipped rows accounted for

    def __post_init__(self) -> None:
        self._next = self.first

    def skip(self, count: int) -> None:
        self._next += count

    def take(self, count: int, skipped: list[Any]) -> np.ndarray:
        out = np.empty(count, dtype=np.int64)
        done = 0
        while done < count:
            while self._seen < len(skipped) and skipped[self._seen].number < self._next:
                self._seen += 1
            gap = skipped[self._seen].number if self._seen < len(skipped) else None
            run = count - done if gap is None else min(count - done, gap - self._next)
            out[done : done + run] = np.arange(self._next, self._next + run)
            done += run
            self._next += run
            if gap is not None and self._next == gap:
                self._next += 1
                self._seen += 1
        return out


# --- Excel ------------------------------------------------------------------------------------


_TOO_LARGE = (
    "a registry this size is read from CSV UTF-8 or Parquet; if the file is not meant to be "
    "this large, it is damaged or crafted: export the registry again"
)


def _check_expansion(path: Path, display: str) -> None:
    """Refuse a workbook whose parts expand beyond :class:`.limits.Limits` (a zip bomb) before
    openpyxl decompresses anything. The sizes the zip declares are binding: Python's zipfile
    never returns more than them (and fails the CRC check if the data says otherwise)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: openpyxl says so (PM508)
    bound = limits()
    shared = sum(p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml"))
    total = sum(p.file_size for p in parts)
    if shared > bound.xlsx_shared_strings or total > bound.xlsx_bytes:
        what, size, most = (
            ("its shared strings expand", shared, bound.xlsx_shared_strings)
            if shared > bound.xlsx_shared_strings
            else ("its parts expand", total, bound.xlsx_bytes)
        )
        raise _fail(
            "PM520",
            f"the workbook is too large to read: {what} to {size:,} bytes "
            f"(at most {most:,}; the file itself is {path.stat().st_size:,} bytes)",
            display,
            hint=_TOO_LARGE,
        )


def _blank_cell(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class XlsxSource:
    """The first worksheet of an .xlsx workbook, streamed by openpyxl in read-only mode."""

    blank_rows_are_layout = True

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self._digest = FileDigest(path)
        try:
            _check_expansion(path, display)
            self._book = self._open_book()
        except BaseException:
            self._digest.cancel()
            raise
        try:
            if not self._book.worksheets:
                raise _fail("PM507", "the workbook has no worksheet", display)
            self._header_row, self.headers = self._find_header()
        except BaseException:
            self.close()
            raise

    def _open_book(self) -> Any:
        import openpyxl

        try:
            return openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # zipfile, XML and openpyxl errors alike: the file is unreadable
            raise _fail(
                "PM508",
                f"cannot read the file as an Excel workbook: {exc}",
                self.display,
                hint="open it in Excel or WPS and save it as .xlsx (or as CSV UTF-8)",
            ) from None

    def close(self) -> None:
        self._digest.cancel()
        self._book.close()

    @property
    def sha256(self) -> str | None:
        return self._digest.hexdigest()

    def fingerprint(self) -> object:
        return _stat(self.path)

    def most_records(self) -> int | None:
        return None  # the size a sheet records may be wrong (see _rows)

    def _rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        sheet = self._book.worksheets[0]
        # Some writers record a wrong sheet size; without it openpyxl reads every stored row.
        sheet.reset_dimensions()
        rows = enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
        bound = limits()
        cells = 0
        while True:
            try:
                number, values = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a damaged sheet shows only as its rows are read
                raise _fail("PM508", f"cannot read the worksheet: {exc}", self.display) from None
            cells += len(values)
            if len(values) > bound.xlsx_columns or cells > bound.xlsx_cells:
                what = (
                    f"row {number} has {len(values):,} columns (at most {bound.xlsx_columns:,})"
                    if len(values) > bound.xlsx_columns
                    else f"the worksheet has more than {bound.xlsx_cells:,} cells (by row {number})"
                )
                raise _fail(
                    "PM520",
                    f"the workbook is too large to read: {what}",
                    self.display,
                    hint=_TOO_LARGE,
                )
            yield number, tuple(values)

    def _find_header(self) -> tuple[int, list[str]]:
        for number, values in self._rows():
            if not all(_blank_cell(v) for v in values):
                while values and _blank_cell(values[-1]):
                    values = values[:-1]
                return number, ["" if v is None else str(v) for v in values]
        raise _fail("PM507", "the first worksheet is empty: there is no header row", self.display)

    def chunks(
        self, chunk_rows: int | None, columns: Sequence[int] | None = None
    ) -> Iterator[RawChunk]:
        width = len(self.headers)
        wanted = list(range(width)) if columns is None else list(columns)
        limit = chunk_rows or _ALL
        rows: list[int] = []
        cells: list[tuple[Any, ...]] = []
        broken: list[BrokenRow] = []
        emitted = False
        for number, values in self._rows():
            if number <= self._header_row:
                continue
            extra = [i for i in range(width, len(values)) if not _blank_cell(values[i])]
            if extra:
                shown = tuple("" if v is None else str(v) for v in values)
                where = ", ".join(column_letter(i) for i in extra)
                broken.append(
                    BrokenRow(
                        number, shown, f"the row has values beyond the header, in column {where}"
                    )
                )
                continue
            values = values[:width] + (None,) * (width - len(values))
            rows.append(number)
            cells.append(values)
            if len(rows) >= limit:
                yield self._chunk(rows, cells, wanted, broken)
                emitted = True
                rows, cells, broken = [], [], []
        if rows or broken or not emitted:
            yield self._chunk(rows, cells, wanted, broken)

    @staticmethod
    def _chunk(
        rows: list[int], cells: list[tuple[Any, ...]], wanted: list[int], broken: list[BrokenRow]
    ) -> RawChunk:
        columns = [python_to_raw([r[i] for r in cells]) for i in wanted]
        return RawChunk(columns, np.asarray(rows, dtype=np.int64), broken)


# --- Parquet ----------------------------------------------------------------------------------


class ParquetSource:
    """A Parquet file, read a batch of record-group rows at a time."""

    blank_rows_are_layout = False

    def __init__(self, path: Path, display: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.path = path
        self.display = display
        self._digest = FileDigest(path)  # hashed while the file is read
        try:
            self._file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            self._digest.cancel()
            raise _fail("PM508", f"cannot read the file as Parquet: {exc}", display) from None
        self.headers = list(self._file.schema_arrow.names)

    def close(self) -> None:
        self._digest.cancel()
        self._file.close()

    @property
    def sha256(self) -> str | None:
        return self._digest.hexdigest()

    def fingerprint(self) -> object:
        return _stat(self.path)

    def most_records(self) -> int | None:
        return int(self._file.metadata.num_rows)

    def chunks(
        self, chunk_rows: int | None, columns: Sequence[int] | None = None
    ) -> Iterator[RawChunk]:
        import pyarrow as pa

        names = None if columns is None else [self.headers[i] for i in columns]
        start = 1
        emitted = False
        try:
            if chunk_rows is None:
                batches = iter([self._file.read(columns=names)])
            else:
                batches = self._file.iter_batches(batch_size=chunk_rows, columns=names)
            for batch in batches:
                n = batch.num_rows
                raw = [arrow_to_raw(batch.column(i)) for i in range(batch.num_columns)]
                yield RawChunk(raw, np.arange(start, start + n, dtype=np.int64))
                start += n
                emitted = True
        except (pa.ArrowException, OSError) as exc:  # (damaged data is an OSError)
            raise _fail("PM508", f"cannot read the file as Parquet: {exc}", self.display) from None
        if not emitted:
            width = len(self.headers) if columns is None else len(columns)
            yield RawChunk([pd.Series([], dtype=object)] * width, np.empty(0, dtype=np.int64))


# --- SQL --------------------------------------------------------------------------------------


class SqlSource:
    """A table or a query in a SQL database, streamed through a server-side cursor.

    Both passes of a chunked read run in one REPEATABLE READ transaction where the database
    offers it, so they see the same rows.
    """

    blank_rows_are_layout = False

    def __init__(self, url: str, display: str, *, table: str | None, query: str | None) -> None:
        import sqlalchemy as sa

        self.display = display
        self.sha256: str | None = None
        self._password = _url_password(url)
        try:
            engine = sa.create_engine(url)
        except Exception as exc:  # bad URL, unknown dialect, driver not installed
            raise self._error(exc, "cannot use the database URL", _driver_hint(url)) from None
        self._engine = engine
        try:
            conn = engine.connect()
            if engine.dialect.name in ("postgresql", "mysql", "mariadb"):
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            self._conn = conn
            self._statement, self.headers = self._prepare(table, query)
        except RegistryError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise self._error(exc, "cannot read the registry from the database") from None

    def _error(self, exc: BaseException, what: str, hint: str | None = None) -> RegistryError:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        text = " ".join(line.strip() for line in detail[:3] if line.strip())
        if self._password:
            text = text.replace(self._password, "***")
        return _fail("PM504", f"{what}: {text}", self.display, hint)

    def _prepare(self, table: str | None, query: str | None) -> tuple[Any, list[str]]:
        import sqlalchemy as sa

        if table is not None:
            schema, _, name = table.rpartition(".")
            try:
                reflected = sa.Table(
                    name, sa.MetaData(), autoload_with=self._conn, schema=schema or None
                )
            except sa.exc.NoSuchTableError:
                raise _fail(
                    "PM505",
                    f"table '{table}' does not exist",
                    self.display,
                    hint="check table= (and the database in the URL)",
                ) from None
            names = [c.name for c in reflected.columns]
            # Untyped columns: cells come as the driver gives them (a NUMERIC as a Decimal, a
            # SQLite REAL as a float), without SQLAlchemy's conversions and their warnings.
            untyped = sa.table(name, *(sa.column(c) for c in names), schema=schema or None)
            return untyped, names
        assert query is not None
        text = query.strip().rstrip(";")
        statement = sa.text(text)
        if self._conn.dialect.name in ("mysql", "mariadb"):
            # Closing a MySQL streaming cursor reads it to the end: ask for no rows instead.
            # (A failed statement does not end a MySQL transaction, so falling back is safe.)
            try:
                empty = sa.text(f"SELECT * FROM ({text}) AS pm_registry LIMIT 0")
                return statement, list(self._conn.execute(empty).keys())
            except Exception:  # the plain query below reports the error, if there is one
                pass
        try:
            result = self._conn.execution_options(stream_results=True).execute(statement)
            headers = list(result.keys())
            result.close()
        except Exception as exc:
            raise self._error(exc, "the query failed") from None
        return statement, headers

    def close(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            try:
                conn.rollback()
                conn.close()
            except Exception:  # closing a broken connection must not hide the first error
                pass
        self._engine.dispose()

    def fingerprint(self) -> object:
        return None

    def most_records(self) -> int | None:
        return None

    def _select(self, columns: Sequence[int] | None) -> Any:
        import sqlalchemy as sa

        if columns is None:
            return (
                self._statement
                if isinstance(self._statement, sa.TextClause)
                else sa.select(self._statement)
            )
        names = [self.headers[i] for i in columns]
        if isinstance(self._statement, sa.TextClause):
            sub = self._statement.columns(*(sa.column(h) for h in self.headers)).subquery(
                "pm_registry"
            )
        else:
            sub = self._statement
        return sa.select(*(sub.c[name] for name in names))

    def chunks(
        self, chunk_rows: int | None, columns: Sequence[int] | None = None
    ) -> Iterator[RawChunk]:
        width = len(self.headers) if columns is None else len(columns)
        start = 1
        emitted = False
        size = chunk_rows or 100_000
        try:
            result = self._conn.execution_options(stream_results=True, yield_per=size).execute(
                self._select(columns)
            )
            parts: Iterator[Sequence[Any]] = (
                iter([result.fetchall()]) if chunk_rows is None else result.partitions(size)
            )
            for part in parts:
                n = len(part)
                if n == 0:
                    continue
                values = list(zip(*part, strict=True)) if n else [()] * width
                raw = [python_to_raw(col) for col in values]
                yield RawChunk(raw, np.arange(start, start + n, dtype=np.int64))
                start += n
                emitted = True
        except RegistryError:
            raise
        except Exception as exc:
            raise self._error(exc, "reading the registry from the database failed") from None
        if not emitted:
            yield RawChunk([pd.Series([], dtype=object)] * width, np.empty(0, dtype=np.int64))


def _url_password(url: str) -> str | None:
    try:
        from sqlalchemy.engine import make_url

        password = make_url(url).password
        return str(password) if password else None
    except Exception:
        return None


def _driver_hint(url: str) -> str:
    scheme = url.split("://", 1)[0]
    if scheme.startswith("postgres"):
        return "use postgresql+psycopg://... and install the driver: pip install 'policymatch[postgres]'"
    if scheme.startswith(("mysql", "mariadb")):
        return "use mysql+pymysql://... and install the driver: pip install 'policymatch[mysql]'"
    return "give a SQLAlchemy URL such as postgresql+psycopg://user@host/db or sqlite:///file.db"


@contextmanager
def _closing(source: Any) -> Iterator[Any]:
    try:
        yield source
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def open_source(
    source: str | os.PathLike[str], *, table: str | None = None, query: str | None = None
) -> AbstractContextManager[RawSource]:
    """Open ``source`` for reading; use as a context manager (closes files and connections)."""
    fmt = detect_format(source, table=table, query=query)
    text = os.fspath(source)
    opened: RawSource
    if fmt is Format.SQL:
        opened = SqlSource(text, mask_url(text), table=table, query=query)
    elif fmt is Format.CSV:
        opened = CsvSource(Path(text), text)
    elif fmt is Format.XLSX:
        opened = XlsxSource(Path(text), text)
    else:
        opened = ParquetSource(Path(text), text)
    return _closing(opened)
