"""Partitions of a registry source, and what a worker reads of one.

A partition is consecutive records of the source, small enough to travel as a task:

* :class:`RowGroups`: row groups of a Parquet file, read on the worker (the file must be at the
  same path there; only the description travels);
* :class:`Inline`: a raw chunk read on the client by the project's reader (CSV, Excel, SQL) and
  carried by the task itself, so the registry goes to the workers once and a task that a lost
  worker was running can be run again elsewhere.

Either way the worker gets the :class:`~policymatch.registry.readers.RawChunk` the project's
reader gives, with the record numbers users see, and types it with the reader's own rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..errors import RegistryError, simple
from ..registry.readers import RawChunk, arrow_to_raw

#: Source rows per partition, by default: a partition this size peaks at about 1 GiB in its
#: worker (the typed frame and the batch core's masks, against 200 policies; measured).
PARTITION_ROWS = 250_000


class Partition(Protocol):
    """Consecutive records of the source; ``index`` is the partition's place in the source."""

    @property
    def index(self) -> int: ...

    def read(self, columns: Sequence[int] | None = None) -> RawChunk:
        """The partition's records (only the source ``columns`` given; None: all)."""
        ...


@dataclass(frozen=True)
class Inline:
    index: int
    chunk: RawChunk

    def read(self, columns: Sequence[int] | None = None) -> RawChunk:
        if columns is None:
            return self.chunk
        return RawChunk(
            [self.chunk.columns[i] for i in columns], self.chunk.rows, self.chunk.broken
        )


@dataclass(frozen=True)
class RowGroups:
    index: int
    path: str
    groups: tuple[int, ...]
    first_record: int  # 1-based record number of the first row (a Parquet row is a record)
    rows: int

    def read(self, columns: Sequence[int] | None = None) -> RawChunk:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            with pq.ParquetFile(self.path) as file:
                names = file.schema_arrow.names
                table = file.read_row_groups(
                    list(self.groups),
                    columns=None if columns is None else [names[i] for i in columns],
                )
        except (OSError, pa.ArrowException) as exc:
            raise RegistryError(
                [
                    simple(
                        "PM804",
                        f"a Dask worker cannot read row groups {self.groups[0]}-{self.groups[-1]} "
                        f"of the registry: {exc}",
                        file=self.path,
                        hint="every worker must see the registry at the same path as the "
                        "client (a shared folder), unchanged during the run",
                    )
                ]
            ) from None
        if table.num_rows != self.rows:
            raise RegistryError(
                [simple("PM509", "the registry changed while it was being read", file=self.path)]
            )
        raw = [arrow_to_raw(table.column(i)) for i in range(table.num_columns)]
        rows = np.arange(self.first_record, self.first_record + self.rows, dtype=np.int64)
        return RawChunk(raw, rows)


def plan_row_groups(path: str, partition_rows: int) -> list[RowGroups]:
    """Consecutive row groups of a Parquet file, gathered to about ``partition_rows`` rows.

    A row group is never split (Parquet reads whole ones), so a file written with row groups
    larger than ``partition_rows`` gives partitions of one row group each.
    """
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as file:
        sizes = [file.metadata.row_group(g).num_rows for g in range(file.num_row_groups)]
    parts: list[RowGroups] = []
    groups: list[int] = []
    rows = 0
    first = 1
    for g, n in enumerate(sizes):
        groups.append(g)
        rows += n
        if rows >= partition_rows or g == len(sizes) - 1:
            parts.append(RowGroups(len(parts), path, tuple(groups), first, rows))
            first += rows
            groups, rows = [], 0
    return parts


def inline_partitions(chunks: Iterator[RawChunk]) -> Iterator[Inline]:
    """The reader's chunks as partitions (empty chunks are skipped: they hold no record)."""
    index = 0
    for chunk in chunks:
        if len(chunk) or chunk.broken:
            yield Inline(index, chunk)
            index += 1
