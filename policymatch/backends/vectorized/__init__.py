"""The batch matching core: every enterprise against every policy in force, by columns.

Pipeline (one module each):

* :mod:`.program` compiles the policies' IR into shared nodes (a node per distinct
  sub-expression, across all policies) and a plan per policy;
* :mod:`.source` reads the typed frame's fields into :mod:`.columns` (exact scaled integers,
  factorised text, packed three-valued masks), once per batch;
* :mod:`.evaluate` runs the nodes with :mod:`.kernels` (numbers in :mod:`.exact`), each once;
* :mod:`.outcomes` turns each policy's masks into grants, unknowns and near misses;
* :mod:`.results` keeps them as arrays and builds the result frames at the end.

The results equal the reference evaluator's, frame for frame (``tests/backends``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from ...rules import ir
from ...schema import Schema
from ..base import BatchResult
from .amounts import Stacked
from .bits import MAX_ROWS
from .evaluate import Pass, Schedule, schedule
from .outcomes import BLOCK, Blame, Layout, layout, match_block
from .program import Program, compile_program
from .results import Raw, merge, to_batch
from .source import FrameSource

__all__ = ["VectorizedBackend", "merge", "to_batch"]


class VectorizedBackend:
    """Matches a typed frame against policies with numpy; compiled programs are cached.

    With ``workers`` > 1, the policies of a large batch are split between threads (numpy
    releases the GIL in its loops): every field is read once, before they start, and each
    thread evaluates the nodes its policies need.

    With ``near_misses=False`` the near misses are not looked for and ``BatchResult.near`` is
    empty: a match that only pays (the outreach list is a seventh of the time at 50,000 x 200).
    """

    name = "vectorized"

    def __init__(self, workers: int | None = None, *, near_misses: bool = True) -> None:
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.near_misses = near_misses
        self._cached: tuple[tuple[ir.Policy, ...], Program, dict[int, list[Shard]]] | None = None

    def program(self, policies: Sequence[ir.Policy]) -> Program:
        """The compiled program of ``policies`` (the last one is kept: a run reuses its set)."""
        return self._compiled(policies)[0]

    def _compiled(self, policies: Sequence[ir.Policy]) -> tuple[Program, dict[int, list[Shard]]]:
        if self._cached is not None:
            seen, program, shards = self._cached
            if len(seen) == len(policies) and all(
                a is b for a, b in zip(seen, policies, strict=True)
            ):
                return program, shards
        program = compile_program(policies)
        self._cached = (tuple(policies), program, {})
        return program, self._cached[2]

    def match(
        self, policies: Sequence[ir.Policy], frame: pd.DataFrame, as_of: dt.date, schema: Schema
    ) -> BatchResult:
        return to_batch(self.match_raw(policies, frame, as_of, schema), release=True)

    def match_raw(
        self,
        policies: Sequence[ir.Policy],
        frame: pd.DataFrame,
        as_of: dt.date,
        schema: Schema,
        *,
        threads: int | None = None,
    ) -> Raw:
        """The results of one batch as arrays (what chunked matching merges).

        ``threads`` overrides ``workers`` for this batch (chunked matching runs whole chunks on
        the workers instead, and each chunk in one thread).
        """
        if len(frame) > MAX_ROWS:
            raise ValueError(
                f"a batch holds at most {MAX_ROWS:,} rows, this one {len(frame):,}: "
                "match it in chunks (Engine.match_chunks)"
            )
        program, cache = self._compiled(policies)
        source = FrameSource(frame, schema, as_of)
        ids = tuple(plan.policy.id for plan in program.plans)
        if threads is None:
            big = len(frame) * len(program.plans) >= PARALLEL_PAIRS
            threads = self.workers if big else 1
        shards = cache.get(threads)
        if shards is None:
            shards = cache[threads] = _shards(program, threads)
        near = self.near_misses
        if len(shards) == 1:
            return _run(program, source, shards[0], ids, near)
        # The threads share the source: fill it before they start. (A text field's masks per
        # value are made on first use, under cached_property's lock on 3.11; on later Pythons two
        # threads may both make them, the same, and one is kept.)
        for name in {n.expr.name for n in program.nodes if isinstance(n.expr, ir.Field)}:
            source.field(name)
        source.nulls(program.fields)
        with ThreadPoolExecutor(len(shards)) as pool:
            raws = list(pool.map(lambda shard: _run(program, source, shard, ids, near), shards))
        return merge(raws, ids)


#: Batches smaller than this many (row, policy) pairs are matched in one thread: below it the
#: work is mostly Python, which threads do not share (measured: 50,000 x 200 gains nothing).
PARALLEL_PAIRS = 20_000_000


#: The policies one thread matches: its schedule, and the layout of each of its blocks.
Shard = tuple[Schedule, tuple[Layout, ...]]


def _shards(program: Program, threads: int) -> list[Shard]:
    """The policies split into ``threads`` consecutive ranges, each with its schedule."""
    n = len(program.plans)
    size = -(-n // max(threads, 1)) or 1
    out: list[Shard] = []
    for first in range(0, max(n, 1), size):
        last = min(first + size, n)
        blocks = range(first, last, BLOCK)
        layouts = tuple(layout(program.plans[b : min(b + BLOCK, last)]) for b in blocks)
        out.append((schedule(program, first, last), layouts))
    return out


def _run(
    program: Program, source: FrameSource, shard: Shard, ids: tuple[str, ...], near: bool
) -> Raw:
    raw = Raw(ids, list(program.texts))
    sched, layouts = shard
    run = Pass(sched, source)
    blame = Blame(source, raw, program.fields)
    plans = program.plans
    last = sched.first + len(sched.steps)
    values = Stacked(source, plans[sched.first : last])
    for block, first in zip(layouts, range(sched.first, last, BLOCK), strict=True):
        end = min(first + BLOCK, last)
        match_block(
            plans[first:end], block, first, program, run, source, raw, blame, values, near=near
        )
    return raw
