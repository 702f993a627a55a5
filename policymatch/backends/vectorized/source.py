"""Field columns of one batch: read from a typed registry frame, or gathered for some rows.

A field is read from the frame once per batch, whatever the number of policies that name it;
text fields are factorised there, so every text test afterwards runs once per distinct value.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ...schema import SCALE, FieldType, Schema
from . import bits as B
from .bits import _FIRST_BIT, IntArray
from .columns import (
    Column,
    Day,
    Dec,
    Ints,
    Num,
    Rows,
    Tags,
    Text,
    Tri,
    known_of,
    narrowed,
    text_column,
)
from .compiled import compiled

_DIGITS = {t: len(str(s)) - 1 for t, s in SCALE.items()}


class FrameSource:
    """Columns of a typed registry frame (see :mod:`policymatch.registry.frame`)."""

    def __init__(self, frame: pd.DataFrame, schema: Schema, as_of: dt.date) -> None:
        self.frame = frame
        self.schema = schema
        self.as_of = as_of
        self.rows = Rows(len(frame))
        self._columns: dict[str, Column] = {}
        self._nulls: tuple[tuple[str, ...], IntArray] | None = None

    def field(self, name: str) -> Column:
        col = self._columns.get(name)
        if col is None:
            col = self._columns[name] = self._read(name)
        return col

    def tag_bit(self, field: str, tag: str) -> int:
        return self.schema[field].values.index(tag)

    def nulls(self, fields: tuple[str, ...]) -> IntArray:
        """Per row, a bit set of which of ``fields`` are null (computed once per batch)."""
        if self._nulls is None or self._nulls[0] != fields:
            lines = [self.rows.unknown(self.known(name)) for name in fields]
            unknown = np.stack(lines) if lines else np.zeros((0, 0), dtype=np.uint8)
            self._nulls = (fields, _null_bits(unknown, self.rows.n))
        return self._nulls[1]

    def known(self, name: str) -> B.Bits:
        """Where the registry has a value of ``name``."""
        return known_of(self.field(name), self.rows)

    def _read(self, name: str) -> Column:
        rows = self.rows
        ftype = self.schema[name].type
        if name not in self.frame.columns:
            return _all_null(ftype, rows)
        series = self.frame[name]
        if ftype is FieldType.TAGS:
            return Tags(series.to_numpy(dtype=np.int64), rows.all)
        if ftype.is_text:
            return text_column(series if series.dtype != object else series.to_numpy())
        missing = series.isna().to_numpy()
        known = B.pack(~missing) if missing.any() else rows.all
        if ftype in SCALE:
            values = series.to_numpy(dtype=np.int64, na_value=0)
            bound = max(abs(int(values.min())), abs(int(values.max()))) if len(values) else 0
            return Num(values, _DIGITS[ftype], known, bound, narrowed(values, bound))
        if ftype is FieldType.DATE:
            days = series.to_numpy().astype("datetime64[D]").view(np.int64)
            return Day(np.where(missing, 0, days), known)
        if ftype is FieldType.BOOLEAN:
            truth = B.pack(series.to_numpy(dtype=np.bool_, na_value=False))
            return Tri(truth & known, known & ~truth)
        raise TypeError(f"no column reader for field type {ftype.value}")  # pragma: no cover


@compiled
def _null_bits(unknown: B.Bits, n: int) -> IntArray:
    """Per row, the bit set of the lines of ``unknown`` (packed masks) that have its bit: a
    pass over the masks that stops only at the set bits (nulls are few)."""
    out = np.zeros(n, dtype=np.int64)
    for i in range(unknown.shape[0]):
        for j in range(unknown.shape[1]):
            byte = np.int64(unknown[i, j])
            while byte:
                b = _FIRST_BIT[byte]
                byte ^= 128 >> b
                out[8 * j + b] |= np.int64(1) << i
    return out


def _all_null(ftype: FieldType, rows: Rows) -> Column:
    if ftype is FieldType.TAGS:
        return Tags(np.zeros(rows.n, dtype=np.int64), rows.all)
    if ftype in SCALE:
        return Num(np.int64(0), 0, rows.none, 0)
    if ftype is FieldType.DATE:
        return Day(np.int64(0), rows.none)
    if ftype is FieldType.BOOLEAN:
        return Tri(rows.none, rows.none)
    return Text(np.full(rows.n, -1, dtype=np.int64), np.array([], dtype=object))


class SubsetSource:
    """The fields of some rows of a :class:`FrameSource` (the eligible rows, for amounts)."""

    def __init__(self, parent: FrameSource, rows: IntArray) -> None:
        self.parent = parent
        self.as_of = parent.as_of
        self.index = rows
        self.rows = Rows(len(rows))
        self._columns: dict[str, Column] = {}

    def field(self, name: str) -> Column:
        col = self._columns.get(name)
        if col is None:
            col = self._columns[name] = gather(self.parent.field(name), self.index)
        return col

    def tag_bit(self, field: str, tag: str) -> int:
        return self.parent.tag_bit(field, tag)


def gather(col: Column, rows: IntArray) -> Column:
    """The rows ``rows`` of ``col``."""

    def bits(b: B.Bits) -> B.Bits:
        return B.pack(B.take(b, rows))

    if isinstance(col, Tri):
        return Tri(bits(col.t), bits(col.f))
    if isinstance(col, Num):
        return Num(_take(col.v, rows), col.k, bits(col.known), col.bound)
    if isinstance(col, Dec):
        return Dec(col.v[rows], bits(col.known))
    if isinstance(col, Day):
        return Day(_take(col.v, rows), bits(col.known))
    if isinstance(col, Tags):
        return Tags(col.v[rows], bits(col.known))
    assert isinstance(col, Text)
    return Text(col.codes[rows], col.uniques)


def _take(values: Ints, rows: IntArray) -> Ints:
    """Some rows of per-row values; a constant stays one value."""
    return values[rows] if isinstance(values, np.ndarray) and values.ndim else values
