"""The UTF-8 bytes of Arrow text, looked at in place.

Most columns of a registry or a list hold no line break, quote or comma at all; one pass of numpy
over a column's bytes shows it, where a regular expression per cell costs ten times more. The
registry's reader (line breaks) and the CSV writer (quoting) both ask.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def is_text(values: pa.Array) -> bool:
    return bool(pa.types.is_string(values.type) or pa.types.is_large_string(values.type))


def cell_bytes(values: pa.Array) -> np.ndarray:
    """The bytes of the cells of a string array (:func:`is_text`), a view of its data buffer (no
    copy) from its first cell to its last: a slice's own cells only."""
    _, offsets, data = values.buffers()
    if offsets is None or data is None or not len(values):
        return np.zeros(0, dtype=np.uint8)
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    ends = np.frombuffer(offsets, dtype=width)
    start, stop = ends[values.offset], ends[values.offset + len(values)]
    return np.frombuffer(data, dtype=np.uint8)[start:stop]


def holds_any(values: pa.Array, found: bytes) -> bool:
    """Whether any cell holds one of the ASCII bytes ``found`` (ASCII is never part of another
    UTF-8 character); True when the array is not text, which a caller must then look at."""
    if not is_text(values):
        return True
    data = cell_bytes(values)
    # One comparison per byte value: np.isin widens every byte to an index first, 3x slower.
    return any(bool((data == byte).any()) for byte in found)
