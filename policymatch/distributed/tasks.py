"""What a worker does with a partition: type and validate it, match it, keep what the lists need.

The rules are the single-machine ones, run unchanged: the reader's assembler
(:mod:`policymatch.registry.assemble`) types the raw chunk, sets bad rows aside and holds back the
rows of repeated codes; the batch core matches the rows kept. A task returns the sparse results
(row numbers local to the partition), the rows set aside or held back, and, of the rows its
results name, only the columns the lists show; never the partition's frame.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..backends.vectorized import VectorizedBackend
from ..backends.vectorized.results import Raw
from ..registry.assemble import Assembler, Held, RejectedRow
from ..registry.columns import Columns
from ..rules import ir
from ..schema import Schema
from .partitions import Partition

#: The registry columns the lists look up by row (``policymatch.rounds.lists``): of every row a
#: result names (the contact phone too: the push list and the departments' near-miss lists call
#: the enterprise), and, for eligible rows only, the bank columns and the region and industry
#: that report.html groups the grants by.
NAMED = ("uscc", "name", "contact_phone")
PAYMENT = ("bank_name", "bank_account", "region", "industry")


@dataclass(frozen=True)
class SourceInfo:
    """What the assembler reads of an opened source (the source itself stays on the client)."""

    display: str
    sha256: str | None
    blank_rows_are_layout: bool


@dataclass(frozen=True)
class Job:
    """What every partition's task needs: the reader's setup and the policies in force."""

    schema: Schema
    cols: Columns
    source: SourceInfo
    repeated: np.ndarray  # the reader's hashes of the codes on more than one row, sorted
    policies: tuple[ir.Policy, ...]
    as_of: dt.date
    policy_digest: str


@dataclass(frozen=True)
class Matched:
    """The batch core's results on some kept rows, and the columns of the rows they name."""

    raw: Raw  # rows numbered from 0 within the rows matched
    named: pd.DataFrame  # row, uscc, name, contact_phone
    payment: pd.DataFrame  # row, PAYMENT's columns (eligible rows)


@dataclass(frozen=True)
class PartResult:
    """A partition loaded and matched."""

    index: int
    kept: int  # rows it adds to the typed frame
    rows_read: int  # rows kept or set aside here (held rows are counted when decided)
    records: int  # records read, held or not (the consistency check of the two passes)
    rejected: list[RejectedRow]
    held: list[Held]
    held_frames: list[pd.DataFrame]  # typed rows of the held ones (``Held.part`` indexes it)
    matched: Matched


# One compiled program per worker process, for the policy set of the run: compiling takes
# longer than matching a small partition, and every task of a run brings the same policies.
_compiled: dict[tuple[str, dt.date], tuple[tuple[ir.Policy, ...], VectorizedBackend]] = {}


def _backend(job: Job) -> tuple[tuple[ir.Policy, ...], VectorizedBackend]:
    key = (job.policy_digest, job.as_of)
    if key not in _compiled:
        _compiled.clear()
        _compiled[key] = (job.policies, VectorizedBackend())
    return _compiled[key]


def match_rows(frame: pd.DataFrame, job: Job) -> Matched:
    """Match typed rows with the batch core; keep the looked-up columns of the rows named."""
    policies, backend = _backend(job)
    raw = backend.match_raw(policies, frame, job.as_of, job.schema)
    eligible = np.unique(np.concatenate([np.empty(0, np.int64), *raw.grants["row"]]))
    named = np.unique(
        np.concatenate([eligible, *(a for part in (raw.unknown, raw.near) for a in part["row"])])
    )
    return Matched(raw, _columns(frame, named, NAMED), _columns(frame, eligible, PAYMENT))


def _columns(frame: pd.DataFrame, rows: np.ndarray, names: tuple[str, ...]) -> pd.DataFrame:
    out = frame[list(names)].iloc[rows].reset_index(drop=True)
    out.insert(0, "row", rows)
    return out


def assembler(job: Job, repeated: dict[int, int]) -> Assembler:
    """The reader's assembler for this job's source (it reads only the source's display name,
    hash and layout rule, which :class:`SourceInfo` carries)."""
    return Assembler(job.schema, job.cols, repeated, job.source)


def load_and_match(part: Partition, job: Job) -> PartResult:
    """Read, type, validate and match one partition (a task)."""
    raw = part.read()
    loader = assembler(job, dict.fromkeys(job.repeated.tolist(), 0))
    load = loader.chunk(raw)
    return PartResult(
        index=part.index,
        kept=len(load.frame),
        rows_read=load.rows_read,
        records=loader.records,
        rejected=load.rejected,
        held=loader.held,
        held_frames=loader.parts,
        matched=match_rows(load.frame, job),
    )
