"""A Parquet registry read in one chunk is read column by column while it is typed
(:class:`policymatch.registry.readers.ColumnsAhead`): the same load as a read in chunks, a
damaged column stops it with PM508, and a source closed before its columns are read waits for
the read in progress and closes."""

from __future__ import annotations

import threading
from contextlib import closing
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal

from policymatch.errors import RegistryError
from policymatch.registry.generate import generate_frame
from policymatch.registry.load import iter_registry, merge_loads, read_registry
from policymatch.registry.readers import ColumnsAhead, ParquetSource
from policymatch.registry.writers import write_parquet
from policymatch.schema import STANDARD_SCHEMA as S


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    path = tmp_path / "r.parquet"
    write_parquet(generate_frame(3_000, 7), path, S, row_group_size=1_000)
    return path


def test_one_chunk_is_read_column_by_column_and_loads_as_chunks_do(registry: Path) -> None:
    with closing(ParquetSource(registry, str(registry))) as source:
        (chunk,) = source.chunks(None)
        assert isinstance(chunk.columns, ColumnsAhead)
        assert len(chunk.columns) == len(source.headers)
    whole = read_registry(registry, S)
    chunked = merge_loads(iter_registry(registry, S, chunk_rows=700))
    assert_frame_equal(whole.frame, chunked.frame)
    assert whole.rejected == chunked.rejected
    assert whole.rows_read == chunked.rows_read == 3_000
    assert whole.sha256 == chunked.sha256


def test_a_narrow_pass_of_one_chunk_reads_its_columns_only(registry: Path) -> None:
    with closing(ParquetSource(registry, str(registry))) as source:
        (chunk,) = source.chunks(10_000, columns=[3, 0])
        assert len(chunk.columns) == 2
        assert chunk.columns[1].tolist() == pq.read_table(registry)[source.headers[0]].to_pylist()
        assert len(chunk) == 3_000


def test_a_damaged_column_is_pm508_not_a_traceback(registry: Path, tmp_path: Path) -> None:
    column = pq.ParquetFile(registry).metadata.row_group(1).column(7)  # revenue, snappy
    data = bytearray(registry.read_bytes())
    middle = column.data_page_offset + column.total_compressed_size // 2
    data[middle : middle + 64] = bytes(range(64))
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(bytes(data))
    for read in (
        lambda: read_registry(damaged, S),
        lambda: list(iter_registry(damaged, S, chunk_rows=500)),
    ):
        with pytest.raises(RegistryError) as caught:
            read()
        assert [d.code for d in caught.value.diagnostics] == ["PM508"]


def test_repeated_column_names_are_read_whole(tmp_path: Path) -> None:
    # A name that is not one column cannot be read alone; the file is read as before.
    path = tmp_path / "r.parquet"
    code = "91361126MA35X0000T"
    names = ["统一社会信用代码", "备注", "备注"]
    arrays = [pa.array([code]), pa.array(["a"]), pa.array(["b"])]
    pq.write_table(pa.Table.from_arrays(arrays, names=names), path)
    load = read_registry(path, S)
    assert load.ignored_columns == ["备注", "备注"]
    assert load.frame["uscc"].tolist() == [code]


def test_closing_before_the_columns_are_read_ends_the_reads(registry: Path) -> None:
    before = threading.active_count()
    with closing(ParquetSource(registry, str(registry))) as source:
        (chunk,) = source.chunks(None)
        assert chunk.columns[0].notna().all()  # a column asked for, the others not
    assert threading.active_count() <= before


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
