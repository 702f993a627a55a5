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
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from ...rules import ir
from ...schema import Schema
from ..base import BatchResult
from .amounts import Stacked
from .bits import MAX_ROWS
from .evaluate import Pass, Schedule, schedule
from .outcomes import BLOCK, Blame, Layout, Stack, layout, match_block
from .program import Program, compile_program
from .results import Raw, merge, to_batch
from .source import FrameSource

__all__ = ["VectorizedBackend", "forget_programs", "merge", "to_batch"]


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
        self._cached: Compiled | None = None

    def program(self, policies: Sequence[ir.Policy]) -> Program:
        """The compiled program of ``policies`` (the backend keeps its last set's, and the
        process the last few sets', :data:`PROGRAMS_KEPT`)."""
        return self._compiled(policies)[0]

    def _compiled(self, policies: Sequence[ir.Policy]) -> tuple[Program, dict[int, list[Shard]]]:
        if self._cached is not None:
            seen, program, shards = self._cached
            if _same(seen, policies):
                return program, shards
        self._cached = _kept(policies)
        return self._cached[1], self._cached[2]

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


#: A compiled program with the policies it was compiled from and their shards by thread count.
Compiled = tuple[tuple[ir.Policy, ...], Program, dict[int, list["Shard"]]]

#: The programs of the last policy sets matched in this process (the most recent last), by the
#: identities of their policies: a new backend on a set already matched (``api.match`` makes an
#: engine per call) reuses its program, schedules and layouts instead of building them again
#: (a fifth of a dense 50,000-row match). An entry holds its policies, so no key's ids can be
#: reused by other objects while it is here; the IR is immutable.
_PROGRAMS: OrderedDict[tuple[int, ...], Compiled] = OrderedDict()
PROGRAMS_KEPT = 4
_PROGRAMS_LOCK = threading.Lock()


def _same(seen: tuple[ir.Policy, ...], policies: Sequence[ir.Policy]) -> bool:
    return len(seen) == len(policies) and all(a is b for a, b in zip(seen, policies, strict=True))


def _kept(policies: Sequence[ir.Policy]) -> Compiled:
    """The program of ``policies`` from :data:`_PROGRAMS`, compiled and kept on a miss."""
    key = tuple(map(id, policies))
    with _PROGRAMS_LOCK:
        found = _PROGRAMS.get(key)
        if found is not None:
            _PROGRAMS.move_to_end(key)
            return found
    built: Compiled = (tuple(policies), compile_program(policies), {})
    with _PROGRAMS_LOCK:
        found = _PROGRAMS.setdefault(key, built)  # another thread's, if it was first
        _PROGRAMS.move_to_end(key)
        while len(_PROGRAMS) > PROGRAMS_KEPT:
            _PROGRAMS.popitem(last=False)
    return found


def forget_programs() -> None:
    """Drop the kept programs: the next match of any set compiles it (what a benchmark of a
    first match needs)."""
    with _PROGRAMS_LOCK:
        _PROGRAMS.clear()


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
    stack = Stack(layouts, source)
    for block, first in zip(layouts, range(sched.first, last, BLOCK), strict=True):
        end = min(first + BLOCK, last)
        match_block(
            plans[first:end], block, first, program, run, source, raw, blame, values, stack,
            near=near,
        )  # fmt: skip
    return raw
