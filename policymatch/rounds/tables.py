"""The lists of a round as column tables, written both as CSV (for systems) and as sheets (for people).

A :class:`Table` holds one Arrow array per column: text as strings, numbers as exact integers at
their kind's scale (money in fen, percentages in ten-thousandths, counts as they are). Writers
only lay them out, a column at a time in Arrow's compute kernels (a county's lists have around a
million cells; a Python loop over them would take most of the round's time budget). Headers: the
English column name in CSV files (the stable contract of cli-and-outputs.md), the Chinese label
in the workbook and in files meant for the public.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrowtext import cell_bytes
from ..registry.writers import XLSX_MAX_ROWS


class Kind(StrEnum):
    TEXT = "text"
    MONEY = "money"  # integer fen, written 1234.50
    COUNT = "count"  # integer
    PERCENT = "percent"  # integer ten-thousandths of one, written 0.8532 (85.32%)


#: The most rows of a table made into text at once: what a sheet holds below its header, the
#: most the workbook's writer makes at once anyway (text arrays hold at most 2 GB).
WHOLE_ROWS = XLSX_MAX_ROWS

#: Decimal places of the integer each number kind is held as.
PLACES = {Kind.MONEY: 2, Kind.COUNT: 0, Kind.PERCENT: 4}


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: Kind = Kind.TEXT
    #: Width in the workbook, in characters (a CJK character counts two).
    width: int = 12
    #: Shown to people (the workbook); False for a machine column that another one says in
    #: Chinese (``fields`` beside ``field_labels``, ``reason`` beside ``detail``).
    for_people: bool = True
    #: Summed in a 合计 row (money and counts by default; not a priority, a row number, a budget).
    summed: bool | None = None

    @property
    def totals(self) -> bool:
        return self.kind in (Kind.MONEY, Kind.COUNT) if self.summed is None else self.summed


@dataclass(frozen=True)
class Table:
    """One list of the round: a CSV file and/or a workbook sheet."""

    file: str | None
    sheet: str | None
    columns: tuple[Column, ...]
    data: pa.Table
    #: Files for people (公示名单) carry the Chinese labels as headers.
    chinese_headers: bool = False
    #: What people see in place of a machine value, by column: fund titles for fund ids,
    #: ``一次性`` for the period ``once``. Files for systems keep the machine values.
    shown: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: What one row is, for the 合计 row (``共 3,554 笔``).
    unit: str = "笔"
    #: Every column as text, made once for the CSV file and the sheet (:meth:`texts`).
    _texts: list[pa.Array] = field(default_factory=list, init=False, compare=False, repr=False)
    _making: threading.Lock = field(
        default_factory=threading.Lock, init=False, compare=False, repr=False
    )

    @property
    def num_rows(self) -> int:
        return int(self.data.num_rows)

    def texts(self, start: int = 0, stop: int | None = None) -> list[pa.Array]:
        """Rows ``start:stop`` of every column as text (null where empty)."""
        if self.num_rows > WHOLE_ROWS:  # a part at a time, never all of it at once
            part = self.data.slice(start, None if stop is None else stop - start)
            return [as_text(c.kind, part.column(i)) for i, c in enumerate(self.columns)]
        # The CSV file and the workbook, written on two threads, ask for the same text: the
        # first makes it (the other waits for it rather than making it again). Kept only when
        # whole: after a failure the other thread makes it again and meets the same error.
        with self._making:
            if not self._texts:
                made = [as_text(c.kind, self.data.column(i)) for i, c in enumerate(self.columns)]
                self._texts.extend(made)
        return [t.slice(start, None if stop is None else stop - start) for t in self._texts]

    @property
    def people_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.for_people)

    def people_texts(self, start: int = 0, stop: int | None = None) -> list[pa.Array]:
        """:meth:`texts` of the columns shown to people, with the values people see."""
        out = []
        for c, values in zip(self.columns, self.texts(start, stop), strict=True):
            if not c.for_people:
                continue
            names = self.shown.get(c.name)
            if names:
                keys = pa.array(list(names), pa.string())
                found = pc.take(
                    pa.array(list(names.values()), pa.string()), pc.index_in(values, keys)
                )
                values = pc.coalesce(found, values)
            out.append(values)
        return out

    @property
    def has_money(self) -> bool:
        return any(c.kind is Kind.MONEY and c.for_people for c in self.columns)

    def total_texts(self) -> list[str | None]:
        """The 合计 row of the people's columns: ``合计``, the row count, the sums."""
        out: list[str | None] = []
        for i, c in enumerate(self.people_columns):
            if c.totals:
                column = self.data.column(c.name)
                total = pc.sum(column).as_py() or 0
                out.append(as_text(c.kind, pa.array([total], pa.int64()))[0].as_py())
            elif i == 0:
                out.append("合计")
            elif i == 1:
                out.append(f"共 {self.num_rows:,} {self.unit}")
            else:
                out.append(None)
        return out


def _array(kind: Kind, values: Any) -> pa.Array:
    target = pa.string() if kind is Kind.TEXT else pa.int64()
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if is_text_lookup(values) and kind is Kind.TEXT:
            return values  # decoded a slice at a time, when written (see as_text)
        return values if values.type == target else values.cast(target)
    return pa.array(values, type=target, from_pandas=True)


def is_text_lookup(values: pa.Array) -> bool:
    """A text column held as row numbers into another column (a dictionary array): a list of
    millions of rows that names a registry column then costs 8 bytes a row, not the text."""
    return bool(pa.types.is_dictionary(values.type) and pa.types.is_string(values.type.value_type))


def make_table(
    file: str | None,
    sheet: str | None,
    columns: Sequence[Column],
    arrays: Sequence[Any],
    *,
    chinese_headers: bool = False,
    shown: Mapping[str, Mapping[str, str]] | None = None,
    unit: str = "笔",
) -> Table:
    """A table from one array-like per column (Arrow arrays, numpy arrays or lists)."""
    data = pa.table(
        [_array(c.kind, a) for c, a in zip(columns, arrays, strict=True)],
        names=[c.name for c in columns],
    )
    return Table(file, sheet, tuple(columns), data, chinese_headers, dict(shown or {}), unit)


def rows_table(
    file: str | None,
    sheet: str | None,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    *,
    shown: Mapping[str, Mapping[str, str]] | None = None,
    unit: str = "笔",
) -> Table:
    """A table from rows of Python values (for the small summary tables)."""
    arrays = [[row[i] for row in rows] for i in range(len(columns))]
    return make_table(file, sheet, columns, arrays, shown=shown, unit=unit)


def fixed_point(values: pa.Array, places: int) -> pa.Array:
    """Integers scaled by ``10**places`` as exact decimal text: (123450, 2) -> ``1234.50``."""
    ints = np.asarray(values.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    if places == 0:
        text = pc.cast(pa.array(ints), pa.string())
    else:
        # The digits of |n|, at least places + 1 of them, with the point before the last places.
        digits = pc.utf8_lpad(pc.cast(pa.array(np.abs(ints)), pa.string()), places + 1, "0")
        text = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(digits, 0, -places),
            ".",
            pc.utf8_slice_codeunits(digits, -places),
            "",
        )
        negative = ints < 0
        if negative.any():
            text = pc.if_else(pa.array(negative), pc.binary_join_element_wise("-", text, ""), text)
    return pc.if_else(values.is_valid(), text, pa.scalar(None, pa.string()))


def as_text(kind: Kind, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column as the text a file holds: numbers in plain decimal, null where empty."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if kind is Kind.TEXT:
        return values.dictionary_decode() if is_text_lookup(values) else values
    return fixed_point(values, PLACES[kind])


def joined(parts: Sequence[pa.Array | str]) -> memoryview:
    """The bytes of ``parts`` concatenated element-wise, then all rows end to end.

    Every array must have the same length and no nulls; strings are repeated on every row.
    The result shares memory with the Arrow buffer (no copy of what may be 100 MB).
    """
    line = pc.binary_join_element_wise(*parts, "")
    if isinstance(line, pa.ChunkedArray):
        line = line.combine_chunks()
    if not isinstance(line, pa.Array) or len(line) == 0:
        return memoryview(b"")
    return cell_bytes(line).data
