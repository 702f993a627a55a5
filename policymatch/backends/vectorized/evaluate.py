"""Evaluating program nodes over a source: each node once per batch, freed after its last read.

The eligibility pass follows a :class:`Schedule` worked out once per policy set: for each policy,
the nodes it is the first to need (in an order where operands come first), and the nodes nobody
reads after it. A column shared by forty policies stays until the fortieth has read it and no
longer, so peak memory follows the shared nodes, not the whole set; and running a node is one
loop step, not a recursive lookup.

Amounts are evaluated per policy on the eligible rows only, by :class:`Evaluator` (on demand,
with a plain cache).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .columns import Column
from .exact import compare_constants
from .kernels import KERNELS, Kernel, Source
from .program import Node, Plan, Program

Step = tuple[int, Kernel, Node, tuple[int, ...]]


@dataclass(frozen=True)
class Schedule:
    """The eligibility pass over some consecutive plans."""

    first: int
    #: Per plan: the steps to run before its conditions can be read.
    steps: tuple[tuple[Step, ...], ...]
    #: Per plan: the nodes to drop once it has read its conditions.
    frees: tuple[tuple[int, ...], ...]
    #: Comparisons of one subject with constants, run together when the first is due (by the
    #: first's node id): see :func:`.exact.compare_constants`.
    groups: dict[int, tuple[Node, ...]]


def entries(plan: Plan) -> list[int]:
    """The nodes a plan reads: its eligibility, top-level conditions, the margin tests of its
    thresholds, and its leaves."""
    within = (n for n in plan.within if n >= 0)
    return [plan.root.node, *plan.tops, *within, *(leaf.node for leaf in plan.leaves)]


def schedule(program: Program, first: int, last: int) -> Schedule:
    """The schedule of plans ``first`` to ``last - 1``."""
    nodes = program.nodes
    done: set[int] = set()
    last_reader: dict[int, int] = {}
    steps: list[tuple[Step, ...]] = []
    for p, plan in enumerate(program.plans[first:last]):
        segment: list[Step] = []
        for entry in entries(plan):
            last_reader[entry] = p
            # Post-order without recursion: a node is run once all its operands have been.
            stack = [(entry, False)]
            while stack:
                nid, expanded = stack.pop()
                if nid in done:
                    continue
                node = nodes[nid]
                if expanded:
                    done.add(nid)
                    segment.append((nid, KERNELS[node.kind], node, node.args))
                    continue
                stack.append((nid, True))
                for arg in node.args:
                    last_reader[arg] = p
                    stack.append((arg, False))
        steps.append(tuple(segment))
    frees: list[list[int]] = [[] for _ in steps]
    for nid, p in last_reader.items():
        frees[p].append(nid)
    return Schedule(first, tuple(steps), tuple(tuple(f) for f in frees), _groups(steps))


def _groups(steps: list[tuple[Step, ...]]) -> dict[int, tuple[Node, ...]]:
    by_subject: dict[int, list[Node]] = {}
    for segment in steps:
        for _, _, node, args in segment:
            if node.kind == "compare_constant":
                by_subject.setdefault(args[0], []).append(node)
    return {group[0].id: tuple(group) for group in by_subject.values() if len(group) > 1}


class Pass:
    """Runs a :class:`Schedule` over one source."""

    def __init__(self, sched: Schedule, source: Source) -> None:
        self.sched = sched
        self.source = source
        self.memo: dict[int, Column] = {}
        #: Columns of nodes computed with their group, until their own step.
        self.ready: dict[int, Column] = {}

    def conditions(self, index: int, plan: Plan) -> list[Column]:
        """The columns of :func:`entries` of plan ``index`` (a program-wide index)."""
        p = index - self.sched.first
        memo, source, ready, groups = self.memo, self.source, self.ready, self.sched.groups
        for nid, kernel, node, args in self.sched.steps[p]:
            if nid in groups:
                ready.update(compare_constants(groups[nid], memo[args[0]], source.rows))
            col = ready.pop(nid, None)
            memo[nid] = kernel(node, [memo[a] for a in args], source) if col is None else col
        out = [memo[nid] for nid in entries(plan)]
        for nid in self.sched.frees[p]:
            del memo[nid]
        return out


class Evaluator:
    """Evaluates nodes on demand over one source, each once (for amounts, on eligible rows)."""

    def __init__(self, nodes: Sequence[Node], source: Source) -> None:
        self.nodes = nodes
        self.source = source
        self.memo: dict[int, Column] = {}

    def get(self, nid: int) -> Column:
        col = self.memo.get(nid)
        if col is None:
            node = self.nodes[nid]
            col = KERNELS[node.kind](node, [self.get(a) for a in node.args], self.source)
            self.memo[nid] = col
        return col
