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
from collections.abc import Sequence

import pandas as pd

from ...rules import ir
from ...schema import Schema
from ..base import BatchResult
from .evaluate import Evaluator
from .outcomes import BLOCK, Blame, match_block
from .program import Program, compile_program
from .results import Raw, merge, to_batch
from .source import FrameSource

__all__ = ["VectorizedBackend", "merge", "to_batch"]


class VectorizedBackend:
    """Matches a typed frame against policies with numpy; compiled programs are cached."""

    name = "vectorized"

    def __init__(self) -> None:
        self._cached: tuple[tuple[ir.Policy, ...], Program] | None = None

    def program(self, policies: Sequence[ir.Policy]) -> Program:
        """The compiled program of ``policies`` (the last one is kept: a run reuses its set)."""
        if self._cached is not None:
            seen, program = self._cached
            if len(seen) == len(policies) and all(
                a is b for a, b in zip(seen, policies, strict=True)
            ):
                return program
        program = compile_program(policies)
        self._cached = (tuple(policies), program)
        return program

    def match(
        self, policies: Sequence[ir.Policy], frame: pd.DataFrame, as_of: dt.date, schema: Schema
    ) -> BatchResult:
        return to_batch(self.match_raw(policies, frame, as_of, schema))

    def match_raw(
        self, policies: Sequence[ir.Policy], frame: pd.DataFrame, as_of: dt.date, schema: Schema
    ) -> Raw:
        """The results of one batch as arrays (what chunked matching merges)."""
        program = self.program(policies)
        source = FrameSource(frame, schema, as_of)
        raw = Raw(tuple(plan.policy.id for plan in program.plans))
        ev = Evaluator(program, source, counted=True)
        blame = Blame(source, raw, program.fields)
        plans = program.plans
        for first in range(0, len(plans), BLOCK):
            match_block(plans[first : first + BLOCK], first, program, ev, source, raw, blame)
        return raw
