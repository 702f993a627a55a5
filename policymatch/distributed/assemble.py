"""On the client: the partitions' results put together, as the single-machine run has them.

Everything here is global and done once, over the partitions' small results:

* the rows of repeated codes, decided by the reader's own rule now that all are known (kept
  ones go last in the frame, as :func:`policymatch.registry.load.read_registry` puts them);
* row numbers: a partition's rows follow the rows kept by the partitions before it, so the
  ``row`` of every result is the one the single-machine frame gives;
* the batch results, merged as :meth:`policymatch.engine.Engine.match_chunks` merges chunks;
* the registry columns the lists look up, as a frame of every kept row that holds values only
  on the rows some result names (the rest is null and was never sent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..backends.base import BatchResult
from ..backends.vectorized import merge, to_batch
from ..errors import RegistryError, simple
from ..registry.assemble import RegistryLoad, RejectedRow, reconcile
from .tasks import NAMED, PAYMENT, Job, Matched, PartResult
from .tasks import assembler as make_assembler


@dataclass(frozen=True)
class DistributedRegistry:
    """A registry read on a cluster (what a round needs of a read; see ``RegistryInput``).

    ``frame`` has a row per kept registry row, in the single-machine order, but only the
    columns the lists look up, with values only on the rows the results name.
    """

    frame: pd.DataFrame
    rejected: list[RejectedRow]
    rows_read: int
    source: str
    sha256: str | None
    ignored_columns: list[str]
    missing_fields: list[str]
    partitions: int

    def __post_init__(self) -> None:
        reconcile(self.rows_read, len(self.frame), len(self.rejected))


def finish_held(
    results: Sequence[PartResult], job: Job, records: int, repeated: dict[int, int]
) -> RegistryLoad | None:
    """The rows of repeated codes, decided across all partitions (None when none were held).

    ``records`` and ``repeated`` are what the first pass saw: the second must agree, or the
    source changed between the passes (PM509, as in a chunked single-machine read).
    """
    assembler = make_assembler(job, {})
    for r in results:
        base = len(assembler.parts)
        assembler.held.extend(replace(h, part=h.part + base) if h.part >= 0 else h for h in r.held)
        assembler.parts.extend(r.held_frames)
        assembler.records += r.records
    if assembler.records != records or assembler.held_counts() != repeated:
        raise changed(job.source.display)
    return assembler.finish()


def changed(display: str) -> RegistryError:
    return RegistryError(
        [
            simple(
                "PM509",
                "the registry changed while it was being read (its rows differ between passes)",
                file=display,
                hint="read it again once the export or the database is quiet",
            )
        ]
    )


def combine(
    results: Sequence[PartResult],
    final: RegistryLoad | None,
    final_matched: Matched | None,
    job: Job,
) -> tuple[DistributedRegistry, BatchResult]:
    """The registry read and the batch result of the whole source, from its partitions'."""
    loads = [(r.kept, r.matched) for r in results]
    if final is not None and final_matched is not None:
        loads.append((len(final.frame), final_matched))
    offsets = np.cumsum([0] + [kept for kept, _ in loads])[:-1]
    raws = [m.raw.shifted(int(off)) for (_, m), off in zip(loads, offsets, strict=True)]
    batch = to_batch(merge(raws, tuple(sorted(p.id for p in job.policies))))
    frame = _lookup_frame(
        sum(kept for kept, _ in loads),
        _shifted([m.named for _, m in loads], offsets, NAMED),
        _shifted([m.payment for _, m in loads], offsets, PAYMENT),
    )
    rejected = [row for r in results for row in r.rejected]
    rows_read = sum(r.rows_read for r in results)
    if final is not None:
        rejected += final.rejected
        rows_read += final.rows_read
    registry = DistributedRegistry(
        frame=frame,
        rejected=sorted(rejected, key=lambda r: r.row),
        rows_read=rows_read,
        source=job.source.display,
        sha256=job.source.sha256,
        ignored_columns=list(job.cols.ignored),
        missing_fields=list(job.cols.missing),
        partitions=len(results),
    )
    return registry, batch


def _shifted(
    parts: Sequence[pd.DataFrame], offsets: np.ndarray, names: tuple[str, ...]
) -> pd.DataFrame:
    if not parts:  # an empty registry
        return pd.DataFrame({"row": np.empty(0, np.int64), **{n: [] for n in names}})
    return pd.concat(
        [p.assign(row=p["row"] + int(off)) for p, off in zip(parts, offsets, strict=True)],
        ignore_index=True,
    )


def _lookup_frame(n: int, named: pd.DataFrame, payment: pd.DataFrame) -> pd.DataFrame:
    """A frame of ``n`` rows with the looked-up columns: values on the given rows, else null
    (the code: empty, so that the lists can still sort every row by it).

    Arrow strings: a null costs its offset and a bit, some 8 bytes a row and column.
    """
    columns: dict[str, pd.api.extensions.ExtensionArray] = {}
    for given, names in ((named, NAMED), (payment, PAYMENT)):
        where = np.full(n, len(given), dtype=np.int64)
        where[given["row"].to_numpy(dtype=np.int64)] = np.arange(len(given))
        for name in names:
            values = pa.array(
                given[name].to_numpy(dtype=object), pa.large_string(), from_pandas=True
            )
            other = pa.array(["" if name == "uscc" else None], pa.large_string())
            padded = pa.concat_arrays([values, other])
            columns[name] = pd.array(pc.take(padded, pa.array(where)), dtype="str")
    return pd.DataFrame(columns, index=pd.RangeIndex(n))
