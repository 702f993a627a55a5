"""Putting a registry together chunk by chunk: type, validate, set aside, hold back repeated codes.

:class:`Assembler` is the seam every reader of the registry shares: :mod:`.load` drives it over
the chunks of one source, :mod:`policymatch.distributed` over partitions on Dask workers. It
types a raw chunk (:func:`type_chunk`), sets its bad rows aside (:class:`RejectedRow`), holds
back the rows of codes that occur more than once (:class:`Held`) and decides them once every
row is read (:meth:`Assembler.finish`). Each step gives a :class:`RegistryLoad` whose rows
reconcile: rows read = rows kept + rows set aside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from ..schema import Schema
from .cells import (
    Keys,
    TypedColumn,
    blank_mask,
    check_single_line,
    check_uscc,
    hash_keys,
    key_column,
    null_column,
    type_column,
    typed_keys,
)
from .columns import Columns
from .frame import empty_frame
from .readers import BrokenRow, RawChunk
from .size import derive_size

__all__ = [
    "Assembler",
    "Held",
    "RegistryLoad",
    "RejectedRow",
    "SourceFacts",
    "chunk_key_hashes",
    "repeated_keys",
    "type_chunk",
]


@dataclass(frozen=True)
class RejectedRow:
    """A registry row set aside, and why."""

    row: int  # as the user sees it: spreadsheet row (CSV, Excel) or 1-based record number
    uscc: str | None  # as written in the source (stripped), or None
    reason: str  # every problem of the row, in Chinese: "上年营业收入: '12,3x' 不是数字; ..."


def reconcile(rows_read: int, kept: int, set_aside: int) -> None:
    """Every row read is kept or set aside: nothing lost, nothing counted twice."""
    if rows_read != kept + set_aside:
        raise AssertionError(
            f"registry rows do not reconcile: read {rows_read}, kept {kept}, set aside {set_aside}"
        )


@dataclass
class RegistryLoad:
    """A loaded registry (or one chunk of it)."""

    frame: pd.DataFrame  # typed frame, conformed to the schema, size derived, index 0..n-1
    rejected: list[RejectedRow]  # sorted by row
    rows_read: int  # data rows of the source accounted for here
    source: str  # path, or URL with the password masked
    ignored_columns: list[str]  # headers that are no field or alias of the schema
    missing_fields: list[str]  # fields no column gives (``Columns.missing``): null everywhere
    sha256: str | None  # of the file's bytes; None for SQL

    def __post_init__(self) -> None:
        reconcile(self.rows_read, len(self.frame), len(self.rejected))


class SourceFacts(Protocol):
    """What the assembler reads of a source (an opened :class:`.readers.RawSource` has it)."""

    @property
    def display(self) -> str: ...
    @property
    def sha256(self) -> str | None: ...
    @property
    def blank_rows_are_layout(self) -> bool: ...


# --- one chunk --------------------------------------------------------------------------------


@dataclass
class Typed:
    """A chunk typed and checked: one entry per record, in row order."""

    frame: pd.DataFrame  # typed, conformed; a cell with a problem is null
    rows: np.ndarray
    keys: Keys  # key as written, or None
    problems: dict[int, list[str]]  # position -> problems in schema order
    layout: np.ndarray  # bool: wholly empty row, not a record


def type_chunk(
    chunk: RawChunk, cols: Columns, schema: Schema, blank_is_layout: bool, arrow_text: bool = False
) -> Typed:
    """Type and check a chunk; with ``arrow_text`` its text columns are Arrow strings
    (:mod:`.frame`)."""
    n = len(chunk)
    typed: dict[str, pd.Series] = {}
    columns: list[TypedColumn] = []
    keys: Keys | None = None
    for index, fld in cols.fields:
        column = type_column(fld, chunk.columns[index], arrow_text)
        if fld is cols.key_field and column.text is not None:
            keys = typed_keys(column, arrow_text)
        check_single_line(fld, column)
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
            f.name: typed[f.name] if f.name in typed else null_column(f, n, arrow_text)
            for f in schema.input_fields
        },
        index=pd.RangeIndex(n),
        copy=False,
    )
    if keys is None:
        keys = key_column(chunk.columns[cols.key])
    return Typed(frame, chunk.rows, keys, problems, layout)


def broken_key(row: BrokenRow, cols: Columns) -> str | None:
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
class Held:
    """A row of a repeated key, kept back until every row of its key has been read."""

    row: int
    key: str
    problems: list[str]
    part: int  # index into Assembler.parts; -1 for a row that could not be split
    offset: int  # its position in that part
    digest: tuple[int, int] | None  # hashes of its typed data; None when it has problems


@dataclass
class Assembler:
    schema: Schema
    cols: Columns
    repeated: dict[int, int]  # hash of a key seen on more than one row -> how many rows
    source: SourceFacts
    held: list[Held] = field(default_factory=list)
    parts: list[pd.DataFrame] = field(default_factory=list)  # typed rows of held keys, by chunk
    records: int = 0  # records seen (for the consistency check of chunked reads)
    arrow_text: bool = False  # text columns as Arrow strings (see :func:`type_chunk`)

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
            missing_fields=list(self.cols.missing),
            sha256=self.source.sha256,
        )

    def _isrepeated_keys(self, keys: Keys) -> np.ndarray:
        if not len(self._repeated):
            return np.zeros(len(keys), dtype=bool)
        held: np.ndarray = keys.present & np.isin(keys.hashes, self._repeated)
        return held

    def chunk(self, raw: RawChunk) -> RegistryLoad:
        self.records += len(raw) + len(raw.broken)
        typed = type_chunk(
            raw, self.cols, self.schema, self.source.blank_rows_are_layout, self.arrow_text
        )
        rejected: list[RejectedRow] = []
        broken_keys = _broken_keys(raw, self.cols)
        for b, key, hold in zip(
            raw.broken, broken_keys, self._isrepeated_keys(Keys.of(broken_keys)), strict=True
        ):
            if hold:
                self.held.append(Held(b.row, key, [b.reason], -1, 0, None))
            else:
                rejected.append(RejectedRow(b.row, key, b.reason))
        records = ~typed.layout
        hold = self._isrepeated_keys(typed.keys) & records
        if hold.any():
            positions = np.flatnonzero(hold)
            part = typed.frame.iloc[positions].reset_index(drop=True)
            digests = _row_hashes(part)
            for offset, position in enumerate(positions):
                key = typed.keys[int(position)]
                assert key is not None  # a row is held for its key
                problems = typed.problems.get(int(position), [])
                digest = None if problems else (int(digests[offset, 0]), int(digests[offset, 1]))
                self.held.append(
                    Held(
                        int(typed.rows[position]),
                        key,
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
            row = int(typed.rows[position])
            rejected.append(RejectedRow(row, typed.keys[int(position)], reason))
        keep = ~bad & ~hold & records
        frame = typed.frame if keep.all() else typed.frame[keep]
        return self.load(frame, rejected, int(keep.sum()) + len(rejected))

    def finish(self) -> RegistryLoad | None:
        """The held rows, decided now that all are read: a load, or None if none were held."""
        if not self.held:
            return None
        groups: dict[str, list[Held]] = {}
        for h in sorted(self.held, key=lambda h: h.row):
            groups.setdefault(h.key, []).append(h)
        kept: list[Held] = []
        rejected: list[RejectedRow] = []
        label = self.cols.key_field.display
        for key, rows in groups.items():
            first = rows[0]
            if first.digest is not None and all(h.digest == first.digest for h in rows):
                kept.append(first)
                rejected.extend(
                    RejectedRow(h.row, key, f"与第 {first.row} 行完全重复") for h in rows[1:]
                )
            elif len(rows) == 1:  # its key only shared a hash with another key
                if first.problems:
                    rejected.append(RejectedRow(first.row, key, "; ".join(first.problems)))
                else:
                    kept.append(first)
            else:
                for h in rows:
                    others = [str(o.row) for o in rows if o is not h]
                    note = f"{label} '{key}' 也出现在第 {'、'.join(others)} 行，数据不同"
                    rejected.append(RejectedRow(h.row, key, "; ".join([*h.problems, note])))
        if kept:
            sizes = np.cumsum([0] + [len(p) for p in self.parts])
            everything = pd.concat(self.parts, ignore_index=True)
            frame = everything.iloc[[int(sizes[h.part]) + h.offset for h in kept]]
        else:
            frame = empty_frame(self.schema, self.arrow_text)
        return self.load(frame, rejected, len(self.held))

    def held_counts(self) -> dict[int, int]:
        keys = np.asarray([h.key for h in self.held], dtype=object)
        values, counts = np.unique(hash_keys(keys), return_counts=True)
        return {int(v): int(c) for v, c in zip(values, counts, strict=True)}


def repeated_keys(hashes: np.ndarray) -> dict[int, int]:
    """Key hashes that occur more than once, with their counts."""
    if not len(hashes):
        return {}
    # One sort, then counting among the few repeats only: np.unique of every hash took
    # twice the sort (5,000,000 hashes: 0.3 s more).
    ordered = np.sort(hashes)
    repeats = ordered[1:][ordered[1:] == ordered[:-1]]  # each repeat once per row after the first
    values, counts = np.unique(repeats, return_counts=True)
    return {int(v): int(c) + 1 for v, c in zip(values, counts, strict=True)}


def _broken_keys(chunk: RawChunk, cols: Columns) -> np.ndarray:
    return np.asarray([broken_key(b, cols) for b in chunk.broken], dtype=object)


def chunk_key_hashes(chunk: RawChunk, cols: Columns, column: int) -> np.ndarray:
    """The hashes (:func:`.cells.hash_keys`) of the keys of a chunk's records and then of its
    broken rows, none for a blank key; no Python string per key of a text column."""
    broken = hash_keys(_broken_keys(chunk, cols))
    if not len(chunk):
        return broken
    keys = key_column(chunk.columns[column])
    return np.concatenate([keys.hashes[keys.present], broken])
