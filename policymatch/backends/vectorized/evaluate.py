"""Evaluating program nodes over a source, each node once per batch, freed after its last read.

The eligibility pass reads nodes in policy order; ``remaining`` counts the reads still to come
(see :attr:`.program.Program.uses`), so a column shared by forty policies stays until the
fortieth has read it and no longer: peak memory follows the shared nodes, not the whole set.
Amounts are evaluated per policy on the eligible rows only, with a plain cache.
"""

from __future__ import annotations

from collections.abc import Sequence

from .columns import Column
from .kernels import KERNELS, Source
from .program import Program


class Evaluator:
    """Evaluates nodes over one source; ``uses`` (reads to come per node) frees them early."""

    def __init__(self, program: Program, source: Source, uses: Sequence[int] | None) -> None:
        self.nodes = program.nodes
        self.source = source
        self.memo: dict[int, Column] = {}
        self.remaining = list(uses) if uses is not None else None

    def get(self, nid: int) -> Column:
        col = self.memo.get(nid)
        if col is None:
            node = self.nodes[nid]
            col = KERNELS[node.kind](node, [self.get(a) for a in node.args], self.source)
        if self.remaining is None:
            self.memo[nid] = col
            return col
        left = self.remaining[nid] - 1
        self.remaining[nid] = left
        if left > 0:
            self.memo[nid] = col
        else:
            self.memo.pop(nid, None)
        return col
