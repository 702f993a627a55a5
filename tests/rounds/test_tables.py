"""A list's text, made once for its CSV file and its sheet (written on two threads)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from policymatch.rounds import tables
from policymatch.rounds.tables import Column, Kind, make_table


def test_a_failed_text_is_not_half_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """If making a column's text fails, the other writer meets the same error, not a table with
    columns missing (which it reported as a zip() length error, hiding the cause)."""
    columns = [Column(name, name, Kind.TEXT) for name in ("a", "b", "c")]
    table = make_table("x.csv", None, columns, [pa.array(["1"]), pa.array(["2"]), pa.array(["3"])])
    made = tables.as_text
    calls = 0

    def failing_second(kind: Kind, column: pa.Array) -> pa.Array:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise MemoryError("column b")
        return made(kind, column)

    monkeypatch.setattr(tables, "as_text", failing_second)
    with pytest.raises(MemoryError, match="column b"):
        table.texts()
    assert [t.to_pylist() for t in table.texts()] == [["1"], ["2"], ["3"]]
