"""The driver: a registry read and matched on a Dask cluster, put together on the client.

1. First pass: the code column of each partition, hashed where it is read (on the workers for
   Parquet, here for the other formats), and counted by one task: the repeated codes.
2. Second pass: each partition typed, validated and matched by a task
   (:func:`.tasks.load_and_match`); results are gathered as they complete, and at most a few
   tasks per worker are in flight, so the client never holds more than their inputs.
3. Once, on the client: the rows of repeated codes, the row numbers, the merged batch result
   and the looked-up columns (:mod:`.assemble`); the held rows are matched by one more task.

A worker lost mid-run loses nothing: every task's inputs are in the task itself (or in a task
result the scheduler can compute again), so Dask runs lost tasks again elsewhere; results are
keyed by partition, so a partition run twice is still counted once.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import MatchResult
from ..registry.assemble import repeated_keys
from ..registry.columns import map_columns
from ..registry.load import first_pass
from ..registry.readers import Format, detect_format, narrow_pass, open_source
from ..rounds.progress import Progress
from ..rounds.round import RoundRequest
from ..rules import PolicySet, ir
from . import keys
from .assemble import DistributedRegistry, changed, combine, finish_held
from .cluster import cluster_error, require_dask
from .partitions import PARTITION_ROWS, Partition, inline_partitions, plan_row_groups
from .tasks import Job, Matched, PartResult, SourceInfo, load_and_match, match_rows


@dataclass(frozen=True)
class DistributedMatch:
    """A registry read and matched on a cluster: equal to the single-machine read and match,
    except that ``registry.frame`` (and ``match.frame``) hold only the columns the lists use."""

    registry: DistributedRegistry
    match: MatchResult


def match_registry(
    client: Any,
    policy_set: PolicySet,
    registry: str | os.PathLike[str],
    as_of: dt.date,
    *,
    table: str | None = None,
    query: str | None = None,
    partition_rows: int = PARTITION_ROWS,
    progress: Progress | None = None,
    timeout: float | None = None,
    require: Iterable[str] | None = None,
    allow_missing: Iterable[str] = (),
) -> DistributedMatch:
    """Read ``registry`` and match it against ``policy_set`` on the cluster of ``client``.

    A Parquet file is read by the workers (at the same path: a shared folder), in partitions of
    whole row groups of about ``partition_rows`` rows; CSV, Excel and SQL registries are read
    here by the project's reader, in chunks of ``partition_rows`` rows that go to the workers.
    ``timeout``: seconds to wait for each pass's results before giving up (None: no limit).
    ``require``/``allow_missing``: as :func:`policymatch.registry.load.read_registry` (a field
    in ``require`` that no column gives stops the read, PM521, unless allowed).
    """
    distributed = require_dask()
    if partition_rows < 1:
        raise ValueError("partition_rows must be at least 1")
    progress = progress or Progress()
    run = uuid.uuid4().hex[:12]
    fmt = detect_format(registry, table=table, query=query)
    with open_source(registry, table=table, query=query) as src:
        cols = map_columns(
            src.headers,
            policy_set.schema,
            src.display,
            require=require,
            allow_missing=allow_missing,
        )
        before = src.fingerprint()
        parts: Iterable[Partition]
        if fmt is Format.PARQUET:
            planned = plan_row_groups(os.fspath(registry), partition_rows)
            passes = [
                client.submit(keys.partition_key_pass, p, cols, key=f"pm-keys-{run}-{p.index}")
                for p in planned
            ]
            repeated = client.submit(keys.repeated_of, *passes, key=f"pm-repeated-{run}")
            counts: dict[int, int] = repeated.result(timeout=timeout)
            records = sum(p.rows for p in planned)
            del passes, repeated
            parts = planned
        else:
            hashes, records = narrow_pass(lambda: first_pass(src, cols, partition_rows))
            counts = repeated_keys(hashes)
            parts = inline_partitions(src.chunks(partition_rows))
        job = Job(
            schema=policy_set.schema,
            cols=cols,
            source=SourceInfo(src.display, src.sha256, src.blank_rows_are_layout),
            repeated=np.sort(np.fromiter(counts, dtype=np.uint64, count=len(counts))),
            policies=policy_set.in_force(as_of),
            as_of=as_of,
            policy_digest=policy_set.digest,
        )
        try:
            results = _run(client, distributed, parts, job, run, progress, timeout)
            final = finish_held(results, job, records, counts)
            final_matched: Matched | None = None
            if final is not None:
                final_matched = client.submit(
                    match_rows, final.frame, job, key=f"pm-held-{run}"
                ).result(timeout=timeout)
        except distributed.KilledWorker as exc:
            raise cluster_error(
                "PM805",
                f"the Dask cluster lost the workers running a partition too often: {exc}",
                "a partition may need more memory than a worker has: lower partition_rows, "
                "or give the workers more memory",
            ) from None
        except TimeoutError:
            raise cluster_error(
                "PM805",
                f"the Dask cluster gave no result within {timeout} s",
                "check that its workers are alive (the dashboard lists them)",
            ) from None
        if src.fingerprint() != before:
            raise changed(src.display)
    found, batch = combine(results, final, final_matched, job)
    return DistributedMatch(found, MatchResult(as_of, job.policies, found.frame, batch, job.schema))


def _run(
    client: Any,
    distributed: Any,
    parts: Iterable[Partition],
    job: Job,
    run: str,
    progress: Progress,
    timeout: float | None,
) -> list[PartResult]:
    """Every partition through :func:`.tasks.load_and_match`, a few per worker at a time."""
    # The job (policies and reader setup) travels once to each worker, as the result of a
    # task rather than scattered data: if the worker holding it dies, it is computed again.
    shared = client.submit(_same, job, key=f"pm-job-{run}")
    window = 2 * max(1, sum(client.nthreads().values()))
    running = distributed.as_completed(with_results=True, timeout=timeout)
    results: dict[int, PartResult] = {}

    def collect() -> None:
        _, result = next(running)
        results[result.index] = result
        progress.note(f"partitions done: {len(results)}")

    submitted = 0
    for part in parts:
        running.add(client.submit(load_and_match, part, shared, key=f"pm-part-{run}-{part.index}"))
        submitted += 1
        if submitted - len(results) >= window:
            collect()
    while len(results) < submitted:
        collect()
    return [results[i] for i in sorted(results)]


def _same(job: Job) -> Job:
    return job


class DaskMatcher:
    """Reads and matches a round's registry on a Dask cluster: pass it to
    :func:`policymatch.rounds.round.run_round` as ``matcher``."""

    label = "读取登记表并匹配（Dask）"

    def __init__(
        self, client: Any, *, partition_rows: int = PARTITION_ROWS, timeout: float | None = None
    ) -> None:
        self.client = client
        self.partition_rows = partition_rows
        self.timeout = timeout

    def __call__(
        self, policy_set: PolicySet, request: RoundRequest, progress: Progress
    ) -> tuple[DistributedRegistry, MatchResult]:
        done = match_registry(
            self.client,
            policy_set,
            request.registry,
            request.as_of,
            table=request.table,
            query=request.query,
            partition_rows=self.partition_rows,
            progress=progress,
            timeout=self.timeout,
            require=ir.registry_fields(policy_set.in_force(request.as_of)),
            allow_missing=request.allow_missing,
        )
        return done.registry, done.match
