"""The matching API: a compiled policy set, a backend, and a typed registry frame.

::

    from policymatch import load
    from policymatch.engine import Engine

    engine = Engine(load("policies/"))                   # the batch core ("vectorized")
    result = engine.match(frame, as_of=date(2024, 3, 1))  # or a .csv/.xlsx/.parquet path
    result.grants           # eligible: uscc, name, policy_id, amount (Decimal), amount_fen, tier
    result.unknown          # uscc, policy_id, fields
    result.near_miss        # uscc, policy_id, condition
    print(result.explain("91361126MA35XXXX0X", "YY-GX-2023-01"))

    # A registry larger than memory, chunk by chunk (Parquet row groups, CSV chunks):
    result = engine.match_chunks(iter_registry("registry.parquet", schema), as_of)

Only policies in force on the as-of date are matched. Ledger, stacking and budgets are the
disbursement round's business, not the engine's: ``match`` answers "who qualifies for what".
"""

from __future__ import annotations

import collections
import datetime as dt
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import numpy as np
import pandas as pd

from .backends.base import Backend, BatchResult, sort_result
from .backends.reference import ReferenceBackend
from .backends.vectorized import VectorizedBackend, merge, to_batch
from .backends.vectorized.results import Raw
from .errors import UsageError, simple, suggest
from .explain import Explanation, explain
from .registry.frame import empty_frame, to_record
from .rules import PolicySet, ir
from .schema import STANDARD_SCHEMA, Schema
from .values import Value

BACKENDS: dict[str, type] = {"reference": ReferenceBackend, "vectorized": VectorizedBackend}
DEFAULT_BACKEND = "vectorized"

#: The registry columns a chunked match keeps for every row (the rest is dropped per chunk).
KEEP = ("uscc", "name")


def get_backend(name: str) -> Backend:
    if name not in BACKENDS:
        best = suggest(name, BACKENDS)
        raise UsageError(
            [
                simple(
                    "PM611",
                    f"no backend '{name}' (backends: {', '.join(sorted(BACKENDS))})"
                    + (f"; did you mean '{best}'?" if best else ""),
                )
            ]
        )
    backend: Backend = BACKENDS[name]()
    return backend


class HasFrame(Protocol):
    """A loaded registry chunk (:class:`policymatch.registry.load.RegistryLoad`)."""

    @property
    def frame(self) -> pd.DataFrame: ...


@dataclass(frozen=True)
class MatchResult:
    """Who qualifies for what, on one as-of date.

    ``frame`` is the matched registry (for a chunked match: its :data:`KEEP` columns only);
    the ``row`` numbers of ``batch`` are its positions.
    """

    as_of: dt.date
    policies: tuple[ir.Policy, ...]
    frame: pd.DataFrame
    batch: BatchResult
    schema: Schema = STANDARD_SCHEMA

    def _with_ids(self, df: pd.DataFrame, *extra: str) -> pd.DataFrame:
        rows = df["row"].to_numpy()
        out = df.copy()
        for i, name in enumerate(("uscc", *extra)):
            values = self.frame[name].take(rows).to_numpy(dtype=object)
            out.insert(i, name, pd.Series(values, index=out.index, dtype="str"))
        return out

    @property
    def grants(self) -> pd.DataFrame:
        out = self._with_ids(self.batch.grants, "name")
        out["amount"] = [Decimal(int(f)) / 100 for f in out["amount_fen"]]
        return out

    @property
    def unknown(self) -> pd.DataFrame:
        return self._with_ids(self.batch.unknown)

    @property
    def near_miss(self) -> pd.DataFrame:
        return self._with_ids(self.batch.near)

    @property
    def counts(self) -> pd.DataFrame:
        return self.batch.counts

    def explain(self, uscc: str, policy_id: str) -> Explanation:
        """Why the enterprise ``uscc`` does or does not qualify for ``policy_id``."""
        missing = [f.name for f in self.schema.input_fields if f.name not in self.frame.columns]
        if missing:
            raise UsageError(
                [
                    simple(
                        "PM603",
                        "this result keeps only the columns "
                        + ", ".join(self.frame.columns)
                        + " of the registry (a chunked match), not the whole record",
                        hint="explain with Engine.explain(record, policy_id, as_of)",
                    )
                ]
            )
        policy = find_policy(self.policies, policy_id, "in force on " + self.as_of.isoformat())
        return explain(policy, record_of(self.frame, uscc, self.schema), self.as_of, self.schema)


class Engine:
    """Matches one compiled policy set; pick the backend by name ("vectorized", "reference")."""

    def __init__(self, policy_set: PolicySet, backend: str | Backend = DEFAULT_BACKEND) -> None:
        self.policy_set = policy_set
        self.backend = get_backend(backend) if isinstance(backend, str) else backend

    @property
    def schema(self) -> Schema:
        return self.policy_set.schema

    def fields(self, as_of: dt.date, keep: Sequence[str] = KEEP) -> list[str]:
        """The registry columns a match on ``as_of`` reads, plus ``keep``, in schema order.

        A chunk reader may read only these (Parquet columns, SQL select lists): the result is
        the same, and a province's registry is read in a fraction of the time and memory.
        """
        read = ir.registry_fields(self.policy_set.in_force(as_of))
        return [f.name for f in self.schema.input_fields if f.name in read or f.name in keep]

    def match(
        self, registry: pd.DataFrame | str | os.PathLike[str], as_of: dt.date | str
    ) -> MatchResult:
        """Match a typed registry frame (or a registry file, read whole) on ``as_of``."""
        from .api import as_date

        as_of = as_date(as_of)
        frame = registry if isinstance(registry, pd.DataFrame) else self._read(registry)
        policies = self.policy_set.in_force(as_of)
        batch = self.backend.match(policies, frame, as_of, self.schema)
        return MatchResult(as_of, policies, frame, batch, self.schema)

    def match_chunks(
        self,
        chunks: Iterable[pd.DataFrame | HasFrame],
        as_of: dt.date,
        *,
        keep: Sequence[str] = KEEP,
    ) -> MatchResult:
        """Match a registry given in consecutive chunks, holding a few chunks at a time.

        Rows are numbered across chunks (the first row of the second chunk follows the last of
        the first), and the result equals :meth:`match` on the whole registry, except that
        ``frame`` holds only the ``keep`` columns. The vectorized backend matches as many chunks
        at once as it has workers, while this thread reads the next one. Memory: that many
        chunks and their working columns, plus the ``keep`` columns of every row (Arrow strings,
        some 60 bytes a row), plus the results.
        """
        policies = self.policy_set.in_force(as_of)
        kept: list[pd.DataFrame] = []

        def keep_columns(frames: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            for frame in frames:
                kept.append(_compact(frame, keep))
                yield frame

        frames = keep_columns(_frames(chunks, self.schema))
        if isinstance(self.backend, VectorizedBackend):
            batch = _match_chunks_vectorized(self.backend, policies, frames, as_of, self.schema)
        else:
            batches: list[BatchResult] = []
            offset = 0
            for frame in frames:
                found = self.backend.match(policies, frame, as_of, self.schema)
                batches.append(_shifted(found, offset))
                offset += len(frame)
            batch = _concat(batches)
        return MatchResult(as_of, policies, pd.concat(kept, ignore_index=True), batch, self.schema)

    def explain(
        self,
        enterprise: Mapping[str, Value] | str,
        policy_id: str,
        as_of: dt.date,
        *,
        registry: pd.DataFrame | None = None,
    ) -> Explanation:
        """Every labelled condition with the values it saw, and the amount's derivation.

        ``enterprise`` is a record of typed values, or a USCC looked up in ``registry``.
        """
        if isinstance(enterprise, str):
            if registry is None:
                raise UsageError(
                    [simple("PM615", "to explain by USCC, pass the registry it is in (registry=)")]
                )
            enterprise = record_of(registry, enterprise, self.schema)
        policy = find_policy(self.policy_set.policies, policy_id, "in the policy set")
        return explain(policy, enterprise, as_of, self.schema)

    def _read(self, path: str | os.PathLike[str]) -> pd.DataFrame:
        from .registry.load import read_registry

        return read_registry(path, self.schema).frame


def record_of(frame: pd.DataFrame, uscc: str, schema: Schema) -> dict[str, Value]:
    """The record of the enterprise ``uscc`` in a typed frame."""
    found = np.flatnonzero(frame["uscc"].to_numpy(dtype=object) == uscc)
    if found.size == 0:
        raise UsageError([simple("PM601", f"no enterprise with USCC '{uscc}' in the registry")])
    return to_record(frame, int(found[0]), schema)


def find_policy(policies: Sequence[ir.Policy], policy_id: str, where: str) -> ir.Policy:
    for p in policies:
        if p.id == policy_id:
            return p
    best = suggest(policy_id, [p.id for p in policies])
    raise UsageError(
        [
            simple(
                "PM602",
                f"no policy '{policy_id}' {where}" + (f" (did you mean '{best}'?)" if best else ""),
            )
        ]
    )


def _compact(frame: pd.DataFrame, keep: Sequence[str]) -> pd.DataFrame:
    """The ``keep`` columns of a chunk as Arrow strings (a tenth of Python objects' memory)."""
    return pd.DataFrame({name: frame[name].astype("str") for name in keep}).reset_index(drop=True)


def _shifted(batch: BatchResult, offset: int) -> BatchResult:
    def shift(df: pd.DataFrame) -> pd.DataFrame:
        return df.assign(row=df["row"] + offset)

    return BatchResult(shift(batch.grants), shift(batch.unknown), shift(batch.near), batch.counts)


def _frames(chunks: Iterable[pd.DataFrame | HasFrame], schema: Schema) -> Iterator[pd.DataFrame]:
    """The frames of ``chunks``; one empty frame when there are none (an empty registry)."""
    empty = True
    for chunk in chunks:
        empty = False
        yield chunk if isinstance(chunk, pd.DataFrame) else chunk.frame
    if empty:
        yield empty_frame(schema)


def _match_chunks_vectorized(
    backend: VectorizedBackend,
    policies: Sequence[ir.Policy],
    frames: Iterator[pd.DataFrame],
    as_of: dt.date,
    schema: Schema,
) -> BatchResult:
    """Chunks matched ``backend.workers`` at a time, each in one thread, merged in order."""
    backend.program(policies)  # compiled once, here, not by racing workers
    workers = max(backend.workers, 1)
    raws = []
    pending: collections.deque[tuple[Future[Raw], int]] = collections.deque()
    offset = 0
    with ThreadPoolExecutor(workers) as pool:
        for frame in frames:
            job = pool.submit(backend.match_raw, policies, frame, as_of, schema, threads=1)
            pending.append((job, offset))
            offset += len(frame)
            while len(pending) >= workers:
                job, start = pending.popleft()
                raws.append(job.result().shifted(start))
        raws.extend(job.result().shifted(start) for job, start in pending)
    merged = merge(raws, tuple(sorted(p.id for p in policies)))
    raws.clear()  # the merged result holds the arrays now: let to_batch release them
    return to_batch(merged, release=True)


def _concat(batches: Sequence[BatchResult]) -> BatchResult:
    """One batch result from those of consecutive chunks (any backend)."""
    counts = pd.concat([b.counts for b in batches]).groupby("policy_id", as_index=False).sum()
    return sort_result(
        BatchResult(
            grants=pd.concat([b.grants for b in batches], ignore_index=True),
            unknown=pd.concat([b.unknown for b in batches], ignore_index=True),
            near=pd.concat([b.near for b in batches], ignore_index=True),
            counts=counts,
        )
    )
