"""Packed boolean masks: one bit per row, eight rows a byte.

Three-valued results are pairs of these masks (see :class:`.columns.Tri`), so the logic of two
hundred policies over half a million rows runs on 62 KB arrays instead of 500 KB ones. Bits are
in :func:`numpy.packbits` order (row ``8*i`` is the high bit of byte ``i``) and the padding bits
after the last row are always zero: no operation here sets a bit that is not in an operand, so
a mask never grows rows that do not exist.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Bits = npt.NDArray[np.uint8]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def pack(mask: BoolArray) -> Bits:
    return np.packbits(mask)


def unpack(bits: Bits, n: int) -> BoolArray:
    return np.unpackbits(bits, count=n).view(np.bool_)


def full(n: int, value: bool) -> Bits:
    return pack(np.full(n, value, dtype=np.bool_))


#: Per byte value: how many bits it has set, and where they start in :data:`_BIT_LIST`.
_BIT_COUNT = np.array([bin(v).count("1") for v in range(256)], dtype=np.int64)
_BIT_START = np.concatenate([[0], np.cumsum(_BIT_COUNT)[:-1]])
#: The positions (0 = high bit, as packbits orders them) of the set bits of 0, 1, ... 255.
_BIT_LIST = np.array(
    [7 - b for v in range(256) for b in range(7, -1, -1) if v >> b & 1], dtype=np.int64
)


def _positions(bits: Bits) -> IntArray:
    """Ascending positions of the set bits of a flat packed array.

    Sparse masks (the usual case): the bytes with a bit set are found first, and each yields
    its bits from a table, so the work follows the number of set bits. Dense masks: unpacked.
    """
    nonzero = np.flatnonzero(bits)
    values = bits[nonzero]
    counts = _BIT_COUNT[values]
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    if total > bits.size:  # more than one row in eight
        return np.flatnonzero(np.unpackbits(bits))
    # Output i belongs to byte j (repeated counts[j] times) and is its k-th set bit.
    ends = np.cumsum(counts)
    first = np.repeat(ends - counts, counts)
    k = np.arange(total, dtype=np.int64) - first
    out: IntArray = (
        np.repeat(nonzero * 8, counts) + _BIT_LIST[np.repeat(_BIT_START[values], counts) + k]
    )
    return out


def rows_of(bits: Bits) -> IntArray:
    """Ascending row numbers of the set bits."""
    return _positions(bits)


def pairs_of(matrix: Bits) -> tuple[IntArray, IntArray]:
    """The set bits of stacked masks (one mask per line) as (line, row), in that order."""
    width = matrix.shape[1] * 8
    positions = _positions(matrix.ravel())
    line = positions // width
    return line, positions - line * width


class At:
    """Reads masks at fixed rows: where each row's bit sits is worked out once for all masks."""

    def __init__(self, rows: IntArray) -> None:
        self.byte = rows >> 3
        self.shift = (7 - (rows & 7)).astype(np.uint8)

    def __call__(self, bits: Bits) -> BoolArray:
        out: BoolArray = ((bits[self.byte] >> self.shift) & 1).view(np.bool_)
        return out


def take(bits: Bits, rows: IntArray) -> BoolArray:
    """The bits at ``rows``, unpacked."""
    return At(rows)(bits)
