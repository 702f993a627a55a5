"""A round's registry read and matched chunk by chunk in this process, in bounded memory.

``policymatch run`` used to read the whole typed registry (every column of every row, as Python
objects) before matching it: some 3.3 KB a row at its peak. :class:`ChunkedMatcher` reads the
registry with :func:`policymatch.registry.load.iter_registry` (repeated codes found globally by
a first pass over the code column, their rows decided at the end) and matches each chunk as it
comes with :meth:`policymatch.engine.Engine.match_chunks`; of each chunk it keeps only the
columns the lists show (Arrow strings). The typed chunk is then dropped. The files written are
the whole-registry round's, byte for byte (same round id): the rows are numbered and matched as
:func:`~policymatch.registry.load.read_registry` and :meth:`~policymatch.engine.Engine.match`
number and match them.

::

    run_round(policy_set, request, matcher=ChunkedMatcher(chunk_rows=100_000))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray

from ..distributed.tasks import NAMED, PAYMENT
from ..engine import DEFAULT_BACKEND, Engine, MatchResult
from ..registry.assemble import RejectedRow, reconcile
from ..registry.load import iter_registry
from ..rules import PolicySet, ir
from .chunking import CHUNK_ROWS as CHUNK_ROWS  # re-exported: the chunked matcher's default
from .progress import Progress
from .round import RoundRequest

#: The registry columns the lists look up by row (:mod:`policymatch.rounds.lists`).
LOOKED_UP = NAMED + PAYMENT


@dataclass(frozen=True)
class StreamedRegistry:
    """A registry read chunk by chunk (what a round needs of a read; see ``RegistryInput``).

    ``frame`` has a row per kept registry row, in :func:`read_registry`'s order, but only the
    columns the lists look up.
    """

    frame: pd.DataFrame
    rejected: list[RejectedRow]
    rows_read: int
    source: str
    sha256: str | None
    ignored_columns: list[str]
    missing_fields: list[str]

    def __post_init__(self) -> None:
        reconcile(self.rows_read, len(self.frame), len(self.rejected))


def one_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each Arrow column in one piece: the kept columns come as a piece per chunk
    read, and Arrow takes the lists' rows from 50 pieces ten times slower than from one."""
    return pd.DataFrame({name: _combined(frame[name]) for name in frame.columns}, frame.index)


def _combined(column: pd.Series) -> pd.Series:
    values = column.array
    if not isinstance(values, ArrowStringArray):
        return column
    pieces = pa.array(values)
    if not isinstance(pieces, pa.ChunkedArray) or pieces.num_chunks <= 1:
        return column
    whole = ArrowStringArray(pa.chunked_array([pieces.combine_chunks()]))
    return pd.Series(whole, column.index, column.dtype, column.name)


class ChunkedMatcher:
    """Reads and matches a round's registry chunk by chunk: pass it to
    :func:`policymatch.rounds.round.run_round` as ``matcher``."""

    label = "分块读取登记表并匹配"

    def __init__(self, chunk_rows: int = CHUNK_ROWS) -> None:
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be at least 1")
        self.chunk_rows = chunk_rows

    def __call__(
        self, policy_set: PolicySet, request: RoundRequest, progress: Progress
    ) -> tuple[StreamedRegistry, MatchResult]:
        rejected: list[RejectedRow] = []
        rows_read = 0
        source, sha256, ignored, missing = "", None, [], []
        loads = iter_registry(
            request.registry,
            policy_set.schema,
            table=request.table,
            query=request.query,
            chunk_rows=self.chunk_rows,
            require=ir.registry_fields(policy_set.in_force(request.as_of)),
            allow_missing=request.allow_missing,
            arrow_text=True,  # the match and the kept columns read text as Arrow
        )

        def frames() -> Iterator[pd.DataFrame]:
            nonlocal rows_read, source, sha256, ignored, missing
            for load in loads:
                rejected.extend(load.rejected)
                rows_read += load.rows_read
                source, sha256 = load.source, load.sha256
                ignored, missing = load.ignored_columns, load.missing_fields
                progress.note(f"已读 {rows_read} 行")
                yield load.frame

        engine = Engine(policy_set, request.backend or DEFAULT_BACKEND)
        match = engine.match_chunks(frames(), request.as_of, keep=LOOKED_UP)
        match = dataclasses.replace(match, frame=one_chunk(match.frame))
        registry = StreamedRegistry(
            frame=match.frame,
            rejected=sorted(rejected, key=lambda r: r.row),
            rows_read=rows_read,
            source=source,
            sha256=sha256,
            ignored_columns=ignored,
            missing_fields=missing,
        )
        return registry, match
