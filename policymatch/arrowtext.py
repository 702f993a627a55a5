"""The UTF-8 bytes of Arrow text, looked at in place.

Most columns of a registry or a list hold no line break, quote or comma at all; one pass of numpy
over a column's bytes shows it, where a regular expression per cell costs ten times more. The
registry's reader (line breaks) and the CSV writer (quoting) both ask.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa


def is_text(values: pa.Array) -> bool:
    return bool(pa.types.is_string(values.type) or pa.types.is_large_string(values.type))


def single_array(values: Any) -> Any:
    """An Arrow array, or a chunked array as one array: its one chunk without a copy, several
    put together."""
    if not isinstance(values, pa.ChunkedArray):
        return values
    return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()


def layout(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The data buffer of a string or binary array (whole, no copy), and where each of the
    array's own cells (a slice's only) starts and ends in it: int64 positions for the large
    types, int32 for the others."""
    _, offsets, data = values.buffers()
    large = pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type)
    width = np.int64 if large else np.int32
    if offsets is None or not len(values):
        ends = np.zeros(1, dtype=width)
    else:
        ends = np.frombuffer(offsets, dtype=width)[values.offset : values.offset + len(values) + 1]
    cells = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return cells, ends[:-1], ends[1:]


def cell_bytes(values: pa.Array) -> np.ndarray:
    """The bytes of the cells of a string array (:func:`is_text`), a view of its data buffer (no
    copy) from its first cell to its last: a slice's own cells only."""
    data, starts, ends = layout(values)
    return data[starts[0] : ends[-1]] if len(starts) else data[:0]


def holds_any(values: pa.Array, found: bytes) -> bool:
    """Whether any cell holds one of the ASCII bytes ``found`` (ASCII is never part of another
    UTF-8 character); True when the array is not text, which a caller must then look at."""
    if not is_text(values):
        return True
    data = cell_bytes(values)
    # One comparison per byte value: np.isin widens every byte to an index first, 3x slower.
    return any(bool((data == byte).any()) for byte in found)
