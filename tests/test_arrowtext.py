"""Arrow text's bytes looked at in place: a slice's own cells, both offset widths, no text."""

from __future__ import annotations

import pyarrow as pa
import pytest

from policymatch.arrowtext import cell_bytes, holds_any, single_array


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_the_bytes_are_the_cells_of_the_slice_only(kind: pa.DataType) -> None:
    cells = pa.array(["a,b", "企业", None, "", "x\ny"], kind)
    assert cell_bytes(cells).tobytes() == "a,b企业x\ny".encode()
    inner = cells.slice(1, 3)
    assert cell_bytes(inner).tobytes() == "企业".encode()
    assert not holds_any(inner, b",\n")  # the comma and the line break lie outside the slice
    assert holds_any(cells.slice(4), b"\n")
    assert holds_any(cells.slice(0, 1), b",")


def test_empty_and_null_columns_hold_nothing() -> None:
    assert cell_bytes(pa.array([], pa.string())).tobytes() == b""
    assert not holds_any(pa.array([None, None], pa.string()), b'",\r\n')


def test_a_column_that_is_not_text_must_be_looked_at() -> None:
    assert holds_any(pa.array([1, 2]), b"\n")


def test_single_array_puts_chunks_together_and_keeps_one_chunk_as_it_is() -> None:
    one = pa.array(["a", None, "bc"])
    assert single_array(one) is one
    assert single_array(pa.chunked_array([one])).equals(one)
    assert single_array(pa.chunked_array([one])).buffers()[2].address == one.buffers()[2].address
    assert single_array(pa.chunked_array([one[:1], one[1:]])).equals(one)
    assert len(single_array(pa.chunked_array([], pa.string()))) == 0
