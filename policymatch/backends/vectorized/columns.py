"""The column kinds the batch core computes with, one per IR type, each carrying its nulls.

=======  ======================================================================================
Tri      a condition: ``t`` (certainly true) and ``f`` (certainly false) packed masks; a row in
         neither is unknown. Kleene logic is then plain bit logic (and: t=∧t, f=∨f; not: swap).
Num      an exact number ``v / 10**k`` on int64 ``v``, a packed ``known`` mask and ``bound``,
         an upper bound on ``|v|`` over all rows that decides whether the next operation can
         overflow (it then moves to :class:`Dec` rather than wrap).
Dec      numbers as Python ``Decimal`` objects (``None`` where unknown): division, and any value
         too large for int64, with exactly the reference evaluator's arithmetic.
Day      dates as int64 days since 1970-01-01.
Text     codes into ``uniques`` (``-1`` null), so a test runs once per distinct value.
Tags     an int64 bit set per row, as in the typed frame.
Null     the literal ``null``: unknown everywhere, whatever type the consumer wants.
=======  ======================================================================================

Values of unknown rows are arbitrary (but bounded by ``bound``); every consumer masks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from . import bits as B
from .bits import Bits, IntArray

ObjArray = npt.NDArray[np.object_]
#: A row count's worth of int64 values, or one value broadcast to every row (a constant).
Ints = IntArray | np.int64

INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Rows:
    """What every kernel of one batch shares: the row count and the all-set / none-set masks."""

    n: int
    all: Bits = field(init=False)
    none: Bits = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "all", B.full(self.n, True))
        object.__setattr__(self, "none", B.full(self.n, False))

    def unknown(self, known: Bits) -> Bits:
        return self.all ^ known


@dataclass(frozen=True, slots=True)
class Tri:
    t: Bits
    f: Bits

    @property
    def known(self) -> Bits:
        return self.t | self.f


@dataclass(frozen=True, slots=True)
class Num:
    v: Ints
    k: int
    known: Bits
    bound: int
    #: ``v`` in the narrowest integer type that holds ``bound`` (registry fields only): a
    #: comparison of int16 or int32 values runs three to six times faster than of int64 ones.
    narrow: npt.NDArray[np.signedinteger[Any]] | None = None


#: The types of :attr:`Num.narrow` with their ranges, by their size in bytes.
NARROW = {
    np.dtype(t).itemsize: (t, int(np.iinfo(t).min), int(np.iinfo(t).max))
    for t in (np.int8, np.int16, np.int32)
}


def narrowed(values: IntArray, bound: int) -> npt.NDArray[np.signedinteger[Any]] | None:
    """``values`` (all within ``±bound``) as int8, int16 or int32, if one holds them."""
    for kind, _, high in NARROW.values():
        if bound <= high:
            out: npt.NDArray[np.signedinteger[Any]] = values.astype(kind)
            return out
    return None


@dataclass(frozen=True, slots=True)
class Dec:
    v: ObjArray
    known: Bits


@dataclass(frozen=True, slots=True)
class Day:
    v: Ints
    known: Bits


@dataclass(frozen=True)
class Text:
    codes: npt.NDArray[np.int32] | IntArray
    uniques: ObjArray

    @cached_property
    def known(self) -> Bits:
        return B.pack(self.codes >= 0)

    def where(self, test: list[bool], rows: Rows) -> Bits:
        """The rows whose value passes a per-distinct-value test (null rows do not).

        With few distinct values (codes, enums, regions) the rows of each value are one mask,
        made once, and a test is an OR of the masks of the values that pass, or the complement
        of those that fail: a few operations on n/8 bytes instead of a gather of n codes.
        """
        if len(self.uniques) > INDEXED:
            return B.pack(np.array([*test, False], dtype=np.bool_)[self.codes])
        chosen = np.flatnonzero(test)
        if chosen.size == 0:
            return rows.none
        if chosen.size == len(test):
            return self.known
        if 2 * chosen.size <= len(test):
            return _union(self._by_value, chosen)
        return self.known & ~_union(self._by_value, np.flatnonzero(~np.array(test)))

    @cached_property
    def _by_value(self) -> Bits:
        return B.by_value(self.codes, len(self.uniques), len(self.codes))

    def objects(self) -> ObjArray:
        """One Python str (or None) per row."""
        with_null: ObjArray = np.concatenate([self.uniques, np.array([None], dtype=object)])
        out: ObjArray = with_null[self.codes]
        return out


#: Text columns with at most this many distinct values get a mask per value (memory: one bit per
#: row and value, 32 bytes per row at most: 1.6 MB at 50,000 rows, 16 MB for a 500,000-row chunk
#: of a county's 256 industry codes); a column of names or codes has a value per row and is
#: tested by a gather instead.
INDEXED = 256


def _union(masks: Bits, lines: IntArray) -> Bits:
    out: Bits = masks[int(lines[0])] if lines.size == 1 else np.bitwise_or.reduce(masks[lines])
    return out


@dataclass(frozen=True, slots=True)
class Tags:
    v: IntArray
    known: Bits


@dataclass(frozen=True, slots=True)
class Null:
    pass


Column = Tri | Num | Dec | Day | Text | Tags | Null

NULL = Null()


def known_of(col: Column, rows: Rows) -> Bits:
    if isinstance(col, Null):
        return rows.none
    return col.known


def text_column(values: ObjArray | pd.Series) -> Text:
    """Text from one str-or-None per row, or from an Arrow-backed column: that one is
    factorised by Arrow, and only its distinct values become Python strings."""
    if isinstance(values, pd.Series) and isinstance(values.array, ArrowStringArray):
        text = pa.array(values.array)
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        encoded = pc.dictionary_encode(text)
        # Writable (a copy): the compiled kernels are cached for writable arrays only.
        indices: npt.NDArray[np.int32] = encoded.indices.fill_null(-1).to_numpy(
            zero_copy_only=False, writable=True
        )
        return Text(indices, encoded.dictionary.to_numpy(zero_copy_only=False).astype(object))
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    # Narrow codes: every text test gathers through them, and four bytes move faster than eight.
    narrow = np.int32 if len(uniques) < 2**31 else np.int64
    return Text(codes.astype(narrow), np.asarray(uniques, dtype=object))
