"""Packed boolean masks: one bit per row, eight rows a byte.

Three-valued results are pairs of these masks (see :class:`.columns.Tri`), so the logic of two
hundred policies over half a million rows runs on 62 KB arrays instead of 500 KB ones. Bits are
in :func:`numpy.packbits` order (row ``8*i`` is the high bit of byte ``i``) and the padding bits
after the last row are always zero: no operation here sets a bit that is not in an operand, so
a mask never grows rows that do not exist.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .compiled import compiled

Bits = npt.NDArray[np.uint8]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
#: Row numbers and codes of results, as they are stored (see :data:`MAX_ROWS`).
Index = npt.NDArray[np.int32]

#: The rows of one batch: row numbers of results are int32 (half the memory and the writes of
#: int64, for tens of millions of near misses). Larger registries are matched in chunks.
MAX_ROWS = 2**31 - 1


def pack(mask: BoolArray) -> Bits:
    return np.packbits(mask)


def unpack(bits: Bits, n: int) -> BoolArray:
    return np.unpackbits(bits, count=n).view(np.bool_)


def full(n: int, value: bool) -> Bits:
    return pack(np.full(n, value, dtype=np.bool_))


#: Per byte value: how many bits it has set, and the position of the first (0 is the high bit,
#: as packbits orders them; 8 for the byte 0).
_BIT_COUNT = np.array([bin(v).count("1") for v in range(256)], dtype=np.int64)
_FIRST_BIT = np.array([8 - v.bit_length() for v in range(256)], dtype=np.int64)


@compiled
def counts(matrix: Bits, lines: IntArray) -> IntArray:
    """How many bits are set in each of the lines ``lines`` of a 2-D packed array."""
    out = np.zeros(lines.size, dtype=np.int64)
    for i in range(lines.size):
        for j in range(matrix.shape[1]):
            out[i] += _BIT_COUNT[matrix[lines[i], j]]
    return out


#: Per byte value: the positions of its set bits in order, padded to 8 with zeros.
_POSITIONS = np.array(
    [[b for b in range(8) if v >> (7 - b) & 1] + [0] * (8 - _BIT_COUNT[v]) for v in range(256)],
    dtype=np.int64,
)


def rows_of(bits: Bits) -> IntArray:
    """Ascending row numbers of the set bits."""
    return _rows_of(np.ascontiguousarray(bits))


@compiled
def _rows_of(bits: Bits) -> IntArray:
    total = 0
    for byte in bits:
        total += _BIT_COUNT[byte]
    out = np.empty(total + 8, dtype=np.int64)
    spread(bits, out, 0)
    return out[:total]


@compiled
def spread(bits: Bits, out: npt.NDArray[np.signedinteger[Any]], at: int) -> int:
    """Write the row numbers of the set bits of ``bits``, ascending, to ``out`` from ``at`` on;
    returns where they end. ``out`` must have 8 places past that end: a byte's eight positions
    are written whether set or not (no branch per bit) and the cursor moves by its count, so
    the padding takes the last byte's extra writes."""
    for j in range(bits.size):
        byte = bits[j]
        for b in range(8):
            out[at + b] = 8 * j + _POSITIONS[byte, b]
        at += _BIT_COUNT[byte]
    return at


@compiled
def by_value(codes: npt.NDArray[np.signedinteger[Any]], values: int, rows: int) -> Bits:
    """One mask per value of ``codes`` (codes ``0 .. values - 1``; a negative code is in none):
    line ``c`` has the rows whose code is ``c``."""
    out = np.zeros((values, (rows + 7) // 8), dtype=np.uint8)
    for i in range(rows):
        c = codes[i]
        if c >= 0:
            out[c, i >> 3] |= 128 >> (i & 7)
    return out


def take(bits: Bits, rows: IntArray) -> BoolArray:
    """The bits at ``rows``, unpacked."""
    out: BoolArray = ((bits[rows >> 3] >> (7 - (rows & 7)).astype(np.uint8)) & 1).view(np.bool_)
    return out
