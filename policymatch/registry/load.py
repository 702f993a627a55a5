"""Loading a registry: read, type, validate, set bad rows aside, derive ``size``.

:func:`read_registry` loads a whole registry; :func:`iter_registry` loads it in chunks of
bounded size. Both give :class:`RegistryLoad` objects whose frames follow the typed-frame
contract of :mod:`.frame`, and account for every row: rows read = rows in the frame + rows set
aside (checked in :class:`RegistryLoad` itself).

Columns
    A header is a field name or alias of the schema, after stripping white space and a BOM.
    Other headers are ignored and listed in ``ignored_columns``. A field no column gives is
    all null and listed in ``missing_fields``; when the caller says which fields the policies
    read (``require``), one of them without a column stops the load (PM521) unless allowed
    (``allow_missing``). Two columns that give the same field are an error (PM506).
    (:mod:`.columns`; the chunk-by-chunk typing and the duplicates are :mod:`.assemble`.)

Rows set aside (``rejected``), each with every problem it has, joined by "; "
    a cell that does not type (``上年营业收入: '12,3x' 不是数字``; the rules are those of
    :mod:`policymatch.values`), a missing or invalid unified social credit code (length,
    alphabet, GB 32100-2015 check digit), a CSV row with more or fewer cells than the header, a
    number cell in a code column that has lost digits (a spreadsheet keeps 15), and duplicates:

Duplicate codes
    A code that appears on several rows with different data is ambiguous: every one of those
    rows is set aside, naming the others. Rows whose typed data are identical are one entity
    listed twice: the first is kept, the others are set aside as "与第 N 行完全重复", so
    the counts still reconcile. Detection is global, also across chunks: :func:`iter_registry`
    reads the code column alone first (unless the registry is one chunk, whose codes are all
    there are), and holds back the rows of repeated codes until the end.
    Kept rows of repeated codes therefore come last in the frame (in row order), in both
    functions, so that the chunks of :func:`iter_registry` put together equal
    :func:`read_registry`.

Row numbers are the ones a user sees (:mod:`.readers`): the spreadsheet row for CSV and Excel
(header = row 1), the 1-based record number for Parquet and SQL. Wholly empty CSV and Excel rows
are layout: they are not counted.

Errors that stop the load (:class:`policymatch.errors.RegistryError`):

=====  =======================================================================================
PM501  registry file not found (or a folder)
PM502  CSV text encoding: not UTF-8 or GB18030, damaged, truncated, or ambiguous
PM503  no column gives the unified social credit code
PM504  database error: bad URL, driver missing, cannot connect, query failed
PM505  the ``--table`` does not exist
PM506  two columns give the same field
PM507  empty file: no header row
PM508  the file is not readable as its format (corrupt workbook or Parquet, broken CSV block)
PM509  the source changed between the passes of a chunked read
PM510  unsupported format (unknown extension, old .xls)
PM511  ``--table``/``--query`` missing, both given, or given with a file
PM521  a field the policies in force read has no column (``--allow-missing`` accepts it)
PM523  ``--allow-missing`` names no registry field (a usage error)
PM520  an .xlsx workbook expands beyond :mod:`.limits` (a zip bomb)
PM522  a CSV record (or header line) longer than the parser's block (:mod:`.limits`)
=====  =======================================================================================

Quote runaways in CSV are set aside record by record (:mod:`.runaway`); ``docs/registry.md``.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import closing
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

from ..errors import RegistryError, simple
from ..schema import Schema
from .assemble import Assembler, RegistryLoad, RejectedRow, chunk_key_hashes, repeated_keys
from .columns import Columns, map_columns
from .frame import empty_frame
from .readers import RawChunk, RawSource, narrow_pass, open_source
from .urls import is_database_url

__all__ = [
    "RegistryLoad",
    "RejectedRow",
    "is_database_url",
    "iter_registry",
    "map_columns",
    "merge_loads",
    "read_registry",
]


T = TypeVar("T")


class ReadAhead(Generic[T]):
    """The items of ``items`` produced by a background thread, one ahead of the consumer: while
    the consumer works on one chunk (typing it: numpy, pyarrow), the thread reads the next (a
    parse or a decode that releases the GIL), so two cores work.

    At most one item is produced beyond the one the consumer took last: the next is asked for
    when the consumer takes one. An exception raised producing an item is raised, the same
    object, where the consumer takes that item. :meth:`close` (leaving ``with closing(...)``,
    also on an exception or a generator closed early) stops the thread, waiting for the item
    it is producing, then closes ``items`` in the caller's thread: the source may be closed (a
    temporary copy removed) once it returns.
    """

    _ITEM, _END, _ERROR = range(3)

    def __init__(self, items: Iterator[T]) -> None:
        self._items = items
        self._out: queue.SimpleQueue[tuple[int, object]] = queue.SimpleQueue()
        self._wanted = threading.Semaphore(1)  # the first item is wanted at once
        self._closing = False
        self._thread = threading.Thread(
            target=self._produce, name="policymatch-read-ahead", daemon=True
        )
        self._thread.start()

    def _produce(self) -> None:
        while True:
            self._wanted.acquire()
            if self._closing:
                return
            try:
                item = next(self._items)
            except StopIteration:
                self._out.put((self._END, None))
                return
            except BaseException as exc:  # raised in the consumer's thread
                self._out.put((self._ERROR, exc))
                return
            self._out.put((self._ITEM, item))

    def __iter__(self) -> ReadAhead[T]:
        return self

    def __next__(self) -> T:
        kind, value = self._out.get()
        if kind != self._ITEM:
            self._out.put((kind, value))  # the end (or the error) again to a later call
            if kind == self._END:
                raise StopIteration
            assert isinstance(value, BaseException)
            raise value
        self._wanted.release()  # the next is read while the consumer works on this one
        return value  # type: ignore[return-value]

    def close(self) -> None:
        self._closing = True
        self._wanted.release()
        self._thread.join()
        close = getattr(self._items, "close", None)
        if close is not None:
            close()


def first_pass(source: RawSource, cols: Columns, chunk_rows: int) -> tuple[np.ndarray, int]:
    """Hashes of every key, and the number of records, reading the key column alone."""
    parts: list[np.ndarray] = [np.empty(0, dtype=np.uint64)]
    records = 0
    for chunk in source.chunks(chunk_rows, columns=[cols.key]):
        records += len(chunk) + len(chunk.broken)
        parts.append(chunk_key_hashes(chunk, cols, 0))
    return np.concatenate(parts), records


def _changed(source: RawSource) -> RegistryError:
    return RegistryError(
        [
            simple(
                "PM509",
                "the registry changed while it was being read (its rows differ between passes)",
                file=source.display,
                hint="read it again once the export or the database is quiet",
            )
        ]
    )


# --- the public API ---------------------------------------------------------------------------


def read_registry(
    source: str | os.PathLike[str],
    schema: Schema,
    *,
    table: str | None = None,
    query: str | None = None,
    require: Iterable[str] | None = None,
    allow_missing: Iterable[str] = (),
) -> RegistryLoad:
    """Load a whole registry (a .csv/.xlsx/.parquet path, or a SQLAlchemy URL with ``table``
    or ``query``), typed by ``schema``. Raises :class:`RegistryError` when it cannot be read.

    ``require``: the fields the policies read (``ir.registry_fields``); one that no column
    gives stops the load (PM521) unless it is in ``allow_missing`` (:func:`map_columns`)."""
    with open_source(source, table=table, query=query) as src:
        cols = map_columns(
            src.headers, schema, src.display, require=require, allow_missing=allow_missing
        )
        chunks, hashes = _read_whole(src, cols, None)
        assembler = Assembler(schema, cols, repeated_keys(hashes), src)
        loads = [assembler.chunk(c) for c in chunks]
        final = assembler.finish()
    if final is not None:
        loads.append(final)
    return merge_loads(loads)


def iter_registry(
    source: str | os.PathLike[str],
    schema: Schema,
    *,
    table: str | None = None,
    query: str | None = None,
    chunk_rows: int = 200_000,
    require: Iterable[str] | None = None,
    allow_missing: Iterable[str] = (),
    arrow_text: bool = False,
) -> Iterator[RegistryLoad]:
    """Load a registry in chunks of at most ``chunk_rows`` source rows, in bounded memory.

    Each chunk is a :class:`RegistryLoad` for its rows (the last may also hold the rows of
    repeated codes, decided once all are read); together they equal :func:`read_registry`.
    A registry the source shows to be one chunk (``RawSource.most_records``) is read once; a
    longer one is read over its code column first, then one chunk ahead of the typing, by a
    background thread (:class:`ReadAhead`). Memory: two chunks (the one being typed and the
    one being read), plus 8 bytes a row for the pass over the code column, plus the rows of
    repeated codes. ``arrow_text``: code, string and enum columns as Arrow strings (pandas'
    ``str`` dtype, see :mod:`.frame`), for a consumer that reads them as Arrow.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    with open_source(source, table=table, query=query) as src:
        cols = map_columns(
            src.headers, schema, src.display, require=require, allow_missing=allow_missing
        )
        before = src.fingerprint()
        most = src.most_records()
        whole: list[RawChunk] | None = None
        if most is not None and most <= chunk_rows:
            # The registry is one chunk, read once: its codes are all there are.
            whole, hashes = _read_whole(src, cols, chunk_rows)
            records = sum(len(c) + len(c.broken) for c in whole)
        else:
            hashes, records = narrow_pass(lambda: first_pass(src, cols, chunk_rows))
        repeated = repeated_keys(hashes)
        assembler = Assembler(schema, cols, repeated, src, arrow_text=arrow_text)
        # The read-ahead thread starts only here, where `closing` stops it whatever happens.
        chunks = _drain(whole) if whole is not None else ReadAhead(src.chunks(chunk_rows))
        yielded = False
        with closing(chunks):  # type: ignore[type-var]
            for chunk in chunks:
                load = assembler.chunk(chunk)
                if len(chunk) or chunk.broken:
                    yielded = True
                    yield load
        final = assembler.finish()
        if (
            assembler.records != records
            or assembler.held_counts() != repeated
            or src.fingerprint() != before
        ):
            raise _changed(src)
        if final is not None:
            yield final
        elif not yielded:
            yield assembler.load(empty_frame(schema, arrow_text), [], 0)


def _read_whole(
    src: RawSource, cols: Columns, chunk_rows: int | None
) -> tuple[list[RawChunk], np.ndarray]:
    """Every chunk of a registry read in one pass, and the hashes of all its keys (which
    rows share a code is known once all are read)."""
    chunks = list(src.chunks(chunk_rows))
    return chunks, np.concatenate([chunk_key_hashes(c, cols, cols.key) for c in chunks])


def _drain(chunks: list[RawChunk]) -> Iterator[RawChunk]:
    """The chunks in order, each let go of once handed out."""
    chunks.reverse()
    while chunks:
        yield chunks.pop()


def merge_loads(loads: Iterable[RegistryLoad]) -> RegistryLoad:
    """Put the chunks of :func:`iter_registry` together into one load."""
    loads = list(loads)
    if not loads:
        raise ValueError("no loads to merge")
    frames = [load.frame for load in loads]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    first = loads[0]
    return RegistryLoad(
        frame=frame.reset_index(drop=True),
        rejected=sorted((r for load in loads for r in load.rejected), key=lambda r: r.row),
        rows_read=sum(load.rows_read for load in loads),
        source=first.source,
        ignored_columns=first.ignored_columns,
        missing_fields=first.missing_fields,
        sha256=first.sha256,
    )
