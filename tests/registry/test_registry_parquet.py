"""Parquet registries as writers make them: a dictionary-encoded column (a pandas categorical)
loads as the same cells, typed column-wise, not as Python objects. (A damaged file:
tests/hostile/registry/test_hostile_parquet_damaged.py.)"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal

from policymatch.registry.generate import generate_frame
from policymatch.registry.load import iter_registry, merge_loads
from policymatch.registry.readers import ParquetSource
from policymatch.registry.writers import write_parquet
from policymatch.schema import STANDARD_SCHEMA as S


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    path = tmp_path / "r.parquet"
    write_parquet(generate_frame(3_000, 7), path, S, row_group_size=1_000)
    return path


def test_dictionary_encoded_columns_load_as_their_cells(registry: Path, tmp_path: Path) -> None:
    # pandas writes a categorical column dictionary-encoded, and pyarrow reads it back so.
    import pyarrow.compute as pc

    table = pq.read_table(registry)
    encoded = pa.table(
        [
            pc.dictionary_encode(table[name]) if table[name].type == pa.string() else table[name]
            for name in table.column_names
        ],
        names=table.column_names,
    )
    path = tmp_path / "categorical.parquet"
    pq.write_table(encoded, path)
    assert pa.types.is_dictionary(pq.read_schema(path).field("region").type)
    with closing(ParquetSource(path, str(path))) as source:
        (chunk,) = source.chunks(None)
        assert all(column.dtype != object for column in chunk.columns)
    for arrow_text in (False, True):
        dense = merge_loads(iter_registry(registry, S, arrow_text=arrow_text))
        categorical = merge_loads(iter_registry(path, S, arrow_text=arrow_text))
        assert_frame_equal(dense.frame, categorical.frame)
        assert dense.rejected == categorical.rejected
