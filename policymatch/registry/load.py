"""Loading a registry: read, type, validate, set bad rows aside, derive ``size``.

:func:`read_registry` loads a whole registry; :func:`iter_registry` loads it in chunks of
bounded size. Both give :class:`RegistryLoad` objects whose frames follow the typed-frame
contract of :mod:`.frame`, and account for every row: rows read = rows in the frame + rows set
aside (checked in :class:`RegistryLoad` itself).

Columns
    A header is a field name or alias of the schema, after stripping white space and a BOM.
    Other headers are ignored and listed in ``ignored_columns``. A field no column gives is
    all null. Two columns that give the same field are an error (PM506).

Rows set aside (``rejected``), each with every problem it has, joined by "; "
    a cell that does not type (``上年营业收入: '12,3x' is not a number``; the rules are those of
    :mod:`policymatch.values`), a missing or invalid unified social credit code (length,
    alphabet, GB 32100-2015 check digit), a CSV row with more or fewer cells than the header, a
    number cell in a code column that has lost digits (a spreadsheet keeps 15), and duplicates:

Duplicate codes
    A code that appears on several rows with different data is ambiguous: every one of those
    rows is set aside, naming the others. Rows whose typed data are identical are one entity
    listed twice: the first is kept, the others are set aside as "exact duplicate of row N", so
    the counts still reconcile. Detection is global, also across chunks: :func:`iter_registry`
    first reads the code column alone, and holds back the rows of repeated codes until the end.
    Kept rows of repeated codes therefore come last in the frame (in row order), in both
    functions, so that the chunks of :func:`iter_registry` put together equal
    :func:`read_registry`.

Row numbers are the ones a user sees (:mod:`.readers`): the spreadsheet row for CSV and Excel
(header = row 1), the 1-based record number for Parquet and SQL. Wholly empty CSV and Excel rows
are layout: they are not counted.

Errors that stop the load (:class:`policymatch.errors.RegistryError`):

=====  =======================================================================================
PM501  registry file not found (or a folder)
PM502  CSV text encoding: not UTF-8 or GB18030, damaged, truncated, or ambiguous
PM503  no column gives the unified social credit code
PM504  database error: bad URL, driver missing, cannot connect, query failed
PM505  the ``--table`` does not exist
PM506  two columns give the same field
PM507  empty file: no header row
PM508  the file is not readable as its format (corrupt workbook or Parquet, broken CSV block)
PM509  the source changed between the passes of a chunked read
PM510  unsupported format (unknown extension, old .xls)
PM511  ``--table``/``--query`` missing, both given, or given with a file
PM520  an .xlsx workbook expands beyond :mod:`.limits` (a zip bomb)
PM522  a CSV record (or header line) longer than the parser's block (:mod:`.limits`)
=====  =======================================================================================

Quote runaways in CSV are set aside record by record (:mod:`.runaway`); ``docs/registry.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import RegistryError, simple, suggest
from ..schema import Field, Schema
from .cells import (
    TypedColumn,
    blank_mask,
    check_uscc,
    hash_keys,
    null_column,
    source_keys,
    type_column,
)
from .frame import empty_frame
from .readers import (
    BrokenRow,
    RawChunk,
    RawSource,
    column_letter,
    is_database_url,
    open_source,
)
from .size import derive_size

__all__ = ["RegistryLoad", "RejectedRow", "is_database_url", "iter_registry", "read_registry"]


@dataclass(frozen=True)
class RejectedRow:
    """A registry row set aside, and why."""

    row: int  # as the user sees it: spreadsheet row (CSV, Excel) or 1-based record number
    uscc: str | None  # as written in the source (stripped), or None
    reason: str  # every problem of the row: "上年营业收入: '12,3x' is not a number; ..."


@dataclass
class RegistryLoad:
    """A loaded registry (or one chunk of it)."""

    frame: pd.DataFrame  # typed frame, conformed to the schema, size derived, index 0..n-1
    rejected: list[RejectedRow]  # sorted by row
    rows_read: int  # data rows of the source accounted for here
    source: str  # path, or URL with the password masked
    ignored_columns: list[str]  # headers that are no field or alias of the schema
    sha256: str | None  # of the file's bytes; None for SQL

    def __post_init__(self) -> None:
        if self.rows_read != len(self.frame) + len(self.rejected):
            raise AssertionError(
                f"registry rows do not reconcile: read {self.rows_read}, "
                f"kept {len(self.frame)}, set aside {len(self.rejected)}"
            )


# --- columns ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Columns:
    """Which source column gives which field."""

    fields: tuple[tuple[int, Field], ...]  # (source column, field) in schema order
    key: int  # source column of the key field
    key_field: Field
    ignored: tuple[str, ...]


def _clean_header(header: str) -> str:
    return header.replace("\ufeff", "").strip()


def _column_name(index: int, header: str) -> str:
    return f"column {index + 1} ({column_letter(index)}) '{header}'"


def map_columns(headers: list[str], schema: Schema, display: str) -> _Columns:
    """Map source headers to schema fields; raises PM506 and PM503."""
    found: dict[str, int] = {}
    ignored: list[str] = []
    clean = [_clean_header(str(h)) for h in headers]
    inputs = {f.name for f in schema.input_fields}
    for index, header in enumerate(clean):
        target = schema.lookup(header)
        if target is None or target.name not in inputs:
            ignored.append(header or f"(column {index + 1} ({column_letter(index)}): no header)")
            continue
        if target.name in found:
            first = found[target.name]
            raise RegistryError(
                [
                    simple(
                        "PM506",
                        f"{_column_name(first, clean[first])} and {_column_name(index, header)} "
                        f"both give the field '{target.name}' ({target.display})",
                        file=display,
                        hint="delete or rename one of the two columns",
                    )
                ]
            )
        found[target.name] = index
    key_field = next(f for f in schema.input_fields if f.key)
    if key_field.name not in found:
        names = [key_field.name, *key_field.aliases]
        guess = next((g for h in clean if h and (g := suggest(h, names))), None)
        near = next((h for h in clean if h and suggest(h, names)), None)
        hint = f"is '{near}' meant to be '{guess}'? " if near and guess else ""
        raise RegistryError(
            [
                simple(
                    "PM503",
                    f"no column gives the {key_field.display} (a header '"
                    + "' or '".join(names)
                    + f"'); the headers are: {', '.join(repr(h) for h in clean[:12])}"
                    + (" ..." if len(clean) > 12 else ""),
                    file=display,
                    hint=hint + "the first row must be the header row, one column per field",
                )
            ]
        )
    pairs = tuple((found[f.name], f) for f in schema.input_fields if f.name in found)
    return _Columns(pairs, found[key_field.name], key_field, tuple(ignored))


# --- one chunk --------------------------------------------------------------------------------


@dataclass
class _Typed:
    """A chunk typed and checked: one entry per record, in row order."""

    frame: pd.DataFrame  # typed, conformed; a cell with a problem is null
    rows: np.ndarray
    keys: np.ndarray  # key as written, or None
    problems: dict[int, list[str]]  # position -> problems in schema order
    layout: np.ndarray  # bool: wholly empty row, not a record


def _type_chunk(chunk: RawChunk, cols: _Columns, schema: Schema, blank_is_layout: bool) -> _Typed:
    n = len(chunk)
    typed: dict[str, pd.Series] = {}
    columns: list[TypedColumn] = []
    for index, fld in cols.fields:
        column = type_column(fld, chunk.columns[index])
        if fld is cols.key_field:
            check_uscc(fld, column)
        typed[fld.name] = column.values
        columns.append(column)
    problems: dict[int, list[str]] = {}
    if columns:
        bad = np.flatnonzero(np.any([c.problem >= 0 for c in columns], axis=0))
        for position in bad:
            problems[int(position)] = [
                c.messages[c.problem[position]] for c in columns if c.problem[position] >= 0
            ]
    if blank_is_layout and n:
        mapped = {index: c for (index, _), c in zip(cols.fields, columns, strict=True)}
        layout = np.logical_and.reduce(
            [
                mapped[i].blank if i in mapped else blank_mask(raw)
                for i, raw in enumerate(chunk.columns)
            ]
        )
    else:
        layout = np.zeros(n, dtype=bool)
    # The frame.py contract (conform's columns and dtypes), built without copying or looping.
    frame = pd.DataFrame(
        {
            f.name: typed[f.name] if f.name in typed else null_column(f, n)
            for f in schema.input_fields
        },
        index=pd.RangeIndex(n),
        copy=False,
    )
    keys = source_keys(chunk.columns[cols.key]) if n else np.empty(0, dtype=object)
    return _Typed(frame, chunk.rows, keys, problems, layout)


def _broken_key(row: BrokenRow, cols: _Columns) -> str | None:
    if cols.key < len(row.cells):
        return row.cells[cols.key].strip() or None
    return None


# --- putting chunks together ------------------------------------------------------------------


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """Two independent 64-bit hashes of each typed row (n x 2): rows with equal typed data have
    equal hashes, and unequal rows share both only with odds of 2**-128."""
    first = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    second = pd.util.hash_pandas_object(frame, index=False, hash_key="policymatch-rows").to_numpy()
    return np.column_stack([first, second])


@dataclass
class _Held:
    """A row of a repeated key, kept back until every row of its key has been read."""

    row: int
    key: str
    problems: list[str]
    part: int  # index into _Assembler.parts; -1 for a row that could not be split
    offset: int  # its position in that part
    digest: tuple[int, int] | None  # hashes of its typed data; None when it has problems


@dataclass
class _Assembler:
    schema: Schema
    cols: _Columns
    repeated: dict[int, int]  # hash of a key seen on more than one row -> how many rows
    source: RawSource
    held: list[_Held] = field(default_factory=list)
    parts: list[pd.DataFrame] = field(default_factory=list)  # typed rows of held keys, by chunk
    records: int = 0  # records seen (for the consistency check of chunked reads)

    def __post_init__(self) -> None:
        self._repeated = np.fromiter(self.repeated, dtype=np.uint64, count=len(self.repeated))

    def load(
        self, frame: pd.DataFrame, rejected: list[RejectedRow], rows_read: int
    ) -> RegistryLoad:
        frame = frame.reset_index(drop=True)
        if "size" in frame.columns and len(frame):
            frame["size"] = derive_size(frame)
        return RegistryLoad(
            frame=frame,
            rejected=sorted(rejected, key=lambda r: r.row),
            rows_read=rows_read,
            source=self.source.display,
            ignored_columns=list(self.cols.ignored),
            sha256=self.source.sha256,
        )

    def _is_repeated(self, keys: np.ndarray) -> np.ndarray:
        out = np.zeros(len(keys), dtype=bool)
        if len(self._repeated):
            present = np.flatnonzero(np.fromiter((k is not None for k in keys), bool, len(keys)))
            out[present] = np.isin(hash_keys(keys[present]), self._repeated)
        return out

    def chunk(self, raw: RawChunk) -> RegistryLoad:
        self.records += len(raw) + len(raw.broken)
        typed = _type_chunk(raw, self.cols, self.schema, self.source.blank_rows_are_layout)
        rejected: list[RejectedRow] = []
        broken_keys = np.asarray([_broken_key(b, self.cols) for b in raw.broken], dtype=object)
        for b, key, hold in zip(
            raw.broken, broken_keys, self._is_repeated(broken_keys), strict=True
        ):
            if hold:
                self.held.append(_Held(b.row, key, [b.reason], -1, 0, None))
            else:
                rejected.append(RejectedRow(b.row, key, b.reason))
        records = ~typed.layout
        hold = self._is_repeated(typed.keys) & records
        if hold.any():
            positions = np.flatnonzero(hold)
            part = typed.frame.iloc[positions].reset_index(drop=True)
            digests = _row_hashes(part)
            for offset, position in enumerate(positions):
                problems = typed.problems.get(int(position), [])
                digest = None if problems else (int(digests[offset, 0]), int(digests[offset, 1]))
                self.held.append(
                    _Held(
                        int(typed.rows[position]),
                        typed.keys[position],
                        problems,
                        len(self.parts),
                        offset,
                        digest,
                    )
                )
            self.parts.append(part)
        bad = np.zeros(len(raw), dtype=bool)
        bad[list(typed.problems)] = True
        for position in np.flatnonzero(bad & ~hold & records):
            reason = "; ".join(typed.problems[int(position)])
            rejected.append(RejectedRow(int(typed.rows[position]), typed.keys[position], reason))
        keep = ~bad & ~hold & records
        return self.load(typed.frame[keep], rejected, int(keep.sum()) + len(rejected))

    def finish(self) -> RegistryLoad | None:
        """The held rows, decided now that all are read: a load, or None if none were held."""
        if not self.held:
            return None
        groups: dict[str, list[_Held]] = {}
        for h in sorted(self.held, key=lambda h: h.row):
            groups.setdefault(h.key, []).append(h)
        kept: list[_Held] = []
        rejected: list[RejectedRow] = []
        label = self.cols.key_field.display
        for key, rows in groups.items():
            first = rows[0]
            if first.digest is not None and all(h.digest == first.digest for h in rows):
                kept.append(first)
                rejected.extend(
                    RejectedRow(h.row, key, f"exact duplicate of row {first.row}") for h in rows[1:]
                )
            elif len(rows) == 1:  # its key only shared a hash with another key
                if first.problems:
                    rejected.append(RejectedRow(first.row, key, "; ".join(first.problems)))
                else:
                    kept.append(first)
            else:
                for h in rows:
                    others = [str(o.row) for o in rows if o is not h]
                    note = (
                        f"{label} '{key}' also appears in row{'s' if len(others) > 1 else ''} "
                        f"{', '.join(others)} with different data"
                    )
                    rejected.append(RejectedRow(h.row, key, "; ".join([*h.problems, note])))
        if kept:
            sizes = np.cumsum([0] + [len(p) for p in self.parts])
            everything = pd.concat(self.parts, ignore_index=True)
            frame = everything.iloc[[int(sizes[h.part]) + h.offset for h in kept]]
        else:
            frame = empty_frame(self.schema)
        return self.load(frame, rejected, len(self.held))

    def held_counts(self) -> dict[int, int]:
        keys = np.asarray([h.key for h in self.held], dtype=object)
        values, counts = np.unique(hash_keys(keys), return_counts=True)
        return {int(v): int(c) for v, c in zip(values, counts, strict=True)}


def _repeated(hashes: np.ndarray) -> dict[int, int]:
    """Key hashes that occur more than once, with their counts."""
    if not len(hashes):
        return {}
    values, counts = np.unique(hashes, return_counts=True)
    many = counts > 1
    return {int(v): int(c) for v, c in zip(values[many], counts[many], strict=True)}


def _chunk_keys(chunk: RawChunk, cols: _Columns, column: int) -> np.ndarray:
    keys = source_keys(chunk.columns[column]) if len(chunk) else np.empty(0, dtype=object)
    broken = np.asarray([_broken_key(b, cols) for b in chunk.broken], dtype=object)
    return np.concatenate([keys, broken])


def _first_pass(source: RawSource, cols: _Columns, chunk_rows: int) -> tuple[np.ndarray, int]:
    """Hashes of every key, and the number of records, reading the key column alone."""
    parts: list[np.ndarray] = [np.empty(0, dtype=np.uint64)]
    records = 0
    for chunk in source.chunks(chunk_rows, columns=[cols.key]):
        records += len(chunk) + len(chunk.broken)
        parts.append(hash_keys(_chunk_keys(chunk, cols, 0)))
    return np.concatenate(parts), records


def _changed(source: RawSource) -> RegistryError:
    return RegistryError(
        [
            simple(
                "PM509",
                "the registry changed while it was being read (its rows differ between passes)",
                file=source.display,
                hint="read it again once the export or the database is quiet",
            )
        ]
    )


# --- the public API ---------------------------------------------------------------------------


def read_registry(
    source: str | os.PathLike[str],
    schema: Schema,
    *,
    table: str | None = None,
    query: str | None = None,
) -> RegistryLoad:
    """Load a whole registry (a .csv/.xlsx/.parquet path, or a SQLAlchemy URL with ``table``
    or ``query``), typed by ``schema``. Raises :class:`RegistryError` when it cannot be read."""
    with open_source(source, table=table, query=query) as src:
        cols = map_columns(src.headers, schema, src.display)
        chunks = list(src.chunks(None))
        keys = np.concatenate([_chunk_keys(c, cols, cols.key) for c in chunks])
        assembler = _Assembler(schema, cols, _repeated(hash_keys(keys)), src)
        loads = [assembler.chunk(c) for c in chunks]
        final = assembler.finish()
    if final is not None:
        loads.append(final)
    return merge_loads(loads)


def iter_registry(
    source: str | os.PathLike[str],
    schema: Schema,
    *,
    table: str | None = None,
    query: str | None = None,
    chunk_rows: int = 200_000,
) -> Iterator[RegistryLoad]:
    """Load a registry in chunks of at most ``chunk_rows`` source rows, in bounded memory.

    Each chunk is a :class:`RegistryLoad` for its rows (the last may also hold the rows of
    repeated codes, decided once all are read); together they equal :func:`read_registry`.
    Memory: one chunk, plus 8 bytes a row for the first pass over the code column, plus the
    rows of repeated codes.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    with open_source(source, table=table, query=query) as src:
        cols = map_columns(src.headers, schema, src.display)
        before = src.fingerprint()
        hashes, records = _first_pass(src, cols, chunk_rows)
        repeated = _repeated(hashes)
        assembler = _Assembler(schema, cols, repeated, src)
        yielded = False
        for chunk in src.chunks(chunk_rows):
            load = assembler.chunk(chunk)
            if len(chunk) or chunk.broken:
                yielded = True
                yield load
        final = assembler.finish()
        if (
            assembler.records != records
            or assembler.held_counts() != repeated
            or src.fingerprint() != before
        ):
            raise _changed(src)
        if final is not None:
            yield final
        elif not yielded:
            yield assembler.load(empty_frame(schema), [], 0)


def merge_loads(loads: Iterable[RegistryLoad]) -> RegistryLoad:
    """Put the chunks of :func:`iter_registry` together into one load."""
    loads = list(loads)
    if not loads:
        raise ValueError("no loads to merge")
    frames = [load.frame for load in loads]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    first = loads[0]
    return RegistryLoad(
        frame=frame.reset_index(drop=True),
        rejected=sorted((r for load in loads for r in load.rejected), key=lambda r: r.row),
        rows_read=sum(load.rows_read for load in loads),
        source=first.source,
        ignored_columns=first.ignored_columns,
        sha256=first.sha256,
    )
