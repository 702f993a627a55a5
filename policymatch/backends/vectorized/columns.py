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

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import bits as B
from .bits import Bits, BoolArray, IntArray

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

    def table(self, test: list[bool]) -> BoolArray:
        """Per-row result of a per-distinct-value test (null rows get False)."""
        return np.array([*test, False], dtype=np.bool_)[self.codes]

    def objects(self) -> ObjArray:
        """One Python str (or None) per row."""
        with_null: ObjArray = np.concatenate([self.uniques, np.array([None], dtype=object)])
        out: ObjArray = with_null[self.codes]
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
    """Text from one str-or-None per row (an Arrow-backed column is factorised by Arrow)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    # Narrow codes: every text test gathers through them, and four bytes move faster than eight.
    narrow = np.int32 if len(uniques) < 2**31 else np.int64
    return Text(codes.astype(narrow), np.asarray(uniques, dtype=object))
