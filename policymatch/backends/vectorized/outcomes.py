"""From the policies' condition columns to their results: grants, unknowns, near misses, counts.

Everything the reference evaluator decides per enterprise is decided here, for a block of
policies at a time: their masks are stacked (one line per policy) so that finding the eligible,
unknown and near-miss rows, naming missing fields and failed conditions, and counting are a few
array operations per block rather than per policy. Amounts are computed per policy, on its
eligible rows only (a constant amount needs no computing at all).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache, reduce

import numpy as np
import pandas as pd

from . import bits as B
from . import exact
from .bits import Bits, BoolArray, IntArray
from .columns import Rows, Tri
from .evaluate import Evaluator, Pass
from .kernels import as_tri
from .program import Part, Plan, Program
from .results import NO_TIER, Raw
from .source import FrameSource, SubsetSource

ELIGIBLE, UNKNOWN, INELIGIBLE, ZERO = range(4)

#: Policies whose masks are stacked together: bounds the memory of the stacks (a block of 64
#: policies over 500,000 rows is some 30 MB) while keeping the per-block work vectorised.
BLOCK = 64


class Blame:
    """The missing fields of unknown results, by the reference evaluator's rule.

    For each row: the null fields among those the unknown parts read; when none of them is null
    (a division by zero), every field they read. ``age_years`` is reported as
    ``registered_on``; a tags field is never null.
    """

    def __init__(self, source: FrameSource, raw: Raw, fields: tuple[str, ...]) -> None:
        self.source = source
        self.raw = raw
        self.fields = fields

    def nulls(self) -> IntArray:
        return self.source.nulls(self.fields)

    def codes(
        self,
        lines: IntArray,
        rows: IntArray,
        chosen: IntArray,
        parts: Sequence[tuple[frozenset[str], ...]],
    ) -> IntArray:
        """Codes of the field lists of (line, row) pairs; ``parts[line]`` are that policy's
        parts and ``chosen`` a bit set of the unknown ones per pair.

        Pairs are grouped by (policy, unknown parts, null fields) and each group is worded
        once: there are few groups, however many pairs.
        """
        if rows.size == 0:
            return np.empty(0, dtype=np.int64)
        width = len(self.fields)
        reads = np.array([_mask(self.fields, frozenset().union(*p)) for p in parts], dtype=np.int64)
        null = self.nulls()[rows] & reads[lines]
        part_bits = max(len(p) for p in parts)
        if len(parts).bit_length() + part_bits + width <= 62:
            keys = lines << (part_bits + width) | chosen << width | null
            # Grouping needs no order: hashing is linear where sorting is not.
            inverse, unique = pd.factorize(keys)
            low = (1 << width) - 1
            groups = [
                (
                    int(k) >> (part_bits + width),
                    int(k) >> width & ((1 << part_bits) - 1),
                    int(k) & low,
                )
                for k in unique
            ]
        else:  # pragma: no cover - more conditions and fields than fit in 62 bits
            triples, inverse = np.unique(
                np.stack([lines, chosen, null], axis=1), axis=0, return_inverse=True
            )
            groups = [(int(a), int(b), int(c)) for a, b, c in triples]
        texts = np.array(
            [self.raw.text(_field_list(self.fields, parts[p], c, n)) for p, c, n in groups],
            dtype=np.int64,
        )
        out: IntArray = texts[inverse.reshape(-1)]
        return out


def _canonical(name: str) -> str:
    """The registry field a name's nulls come from (``age_years`` is derived)."""
    return "registered_on" if name == "age_years" else name


@lru_cache(maxsize=1 << 12)
def _mask(fields: tuple[str, ...], names: frozenset[str]) -> int:
    return sum(1 << fields.index(n) for n in {_canonical(n) for n in names})


@lru_cache(maxsize=1 << 16)
def _field_list(
    fields: tuple[str, ...], parts: tuple[frozenset[str], ...], chosen: int, null: int
) -> str:
    read = frozenset().union(*(p for j, p in enumerate(parts) if chosen >> j & 1))
    blamed = {n for n in read if null >> fields.index(_canonical(n)) & 1} or read
    return ",".join(sorted({_canonical(n) for n in blamed}))


def _unknown(rows: Rows, tri: Tri) -> Bits:
    return rows.unknown(tri.t | tri.f)


@dataclass
class _Stack:
    """The condition columns of one block of policies, to be stacked one line per policy."""

    rows: Rows
    roots: list[Tri] = field(default_factory=list)
    tops: list[Sequence[Tri]] = field(default_factory=list)
    #: Every policy's leaves, one policy after the other.
    leaves: list[Tri] = field(default_factory=list)
    leaf_start: list[int] = field(default_factory=list)

    def add(self, root: Tri, tops: Sequence[Tri], leaves: Sequence[Tri]) -> None:
        self.roots.append(root)
        self.tops.append(tops)
        self.leaf_start.append(len(self.leaves))
        self.leaves.extend(leaves)

    def unknown_leaves(self) -> Bits:
        """Where each leaf is unknown, one line per leaf."""
        if not self.leaves:
            return np.zeros((0, self.rows.none.size), dtype=np.uint8)
        t = np.stack([leaf.t for leaf in self.leaves])
        f = np.stack([leaf.f for leaf in self.leaves])
        out: Bits = self.rows.all ^ (t | f)
        return out

    def near_misses(self) -> tuple[Bits, list[Bits]]:
        """Where exactly one top-level condition fails and every other holds, and which fails.

        One line per policy (empty for policies with fewer than two top-level conditions).
        Which one fails, as a binary number: plane ``k`` is set where the failed condition's
        index has bit ``k``, so a few reads name it among any number of conditions.
        """
        none = self.rows.none
        each = [_near_miss(tops, self.rows) for tops in self.tops]
        depth = max((len(planes) for _, planes in each), default=0)
        near = np.stack([n for n, _ in each])
        planes = [np.stack([p[k] if k < len(p) else none for _, p in each]) for k in range(depth)]
        return near, planes


def _near_miss(tops: Sequence[Tri], rows: Rows) -> tuple[Bits, list[Bits]]:
    """One policy's near-miss mask and bit planes (see :meth:`_Stack.near_misses`)."""
    if len(tops) < 2:
        return rows.none, []
    once, twice, decided = rows.none, rows.none, rows.all
    for top in tops:
        twice = twice | (once & top.f)
        once = once | top.f
        decided = decided & (top.t | top.f)
    planes = [
        reduce(np.bitwise_or, [t.f for i, t in enumerate(tops) if i >> k & 1])
        for k in range((len(tops) - 1).bit_length())
    ]
    return once & ~twice & decided, planes


class _Reader:
    """Reads stacked masks at fixed (line, row) pairs; the positions are worked out once."""

    def __init__(self, lines: IntArray, rows: IntArray, width: int) -> None:
        self.flat = lines * width + (rows >> 3)
        self.shift = (7 - (rows & 7)).astype(np.uint8)

    def __call__(self, stack: Bits) -> IntArray:
        """Bits (0/1) of ``stack`` at the pairs."""
        out: IntArray = ((stack.ravel()[self.flat] >> self.shift) & 1).astype(np.int64)
        return out


def match_block(
    plans: Sequence[Plan],
    first: int,
    program: Program,
    run: Pass,
    source: FrameSource,
    raw: Raw,
    blame: Blame,
    *,
    near: bool = True,
) -> None:
    """Evaluate a block of policies (``first`` is the first one's index) into ``raw``; the near
    misses too if ``near``."""
    rows = source.rows
    stack = _Stack(rows)
    for i, plan in enumerate(plans):
        cols = [c if type(c) is Tri else as_tri(c, rows) for c in run.conditions(first + i, plan)]
        stack.add(cols[0], cols[1 : 1 + len(plan.tops)], cols[1 + len(plan.tops) :])
    t = np.stack([root.t for root in stack.roots])
    f = np.stack([root.f for root in stack.roots])
    counts = raw.counts[first : first + len(plans)]
    counts[:, INELIGIBLE] = np.bitwise_count(f).sum(axis=1, dtype=np.int64)

    lines, unknown_rows = B.pairs_of(rows.all ^ (t | f))
    texts = _eligibility_blame(plans, stack, lines, unknown_rows, blame)
    grants, lost = _amounts(plans, program, source, B.pairs_of(t), blame, counts)
    if lost[0].size:
        lines = np.concatenate([lines, lost[0]])
        unknown_rows = np.concatenate([unknown_rows, lost[1]])
        texts = np.concatenate([texts, lost[2]])
        order = np.lexsort((unknown_rows, lines))
        lines, unknown_rows, texts = lines[order], unknown_rows[order], texts[order]
    counts[:, UNKNOWN] = np.bincount(lines, minlength=len(plans))
    raw.add(raw.unknown, lines + first, row=unknown_rows, text=texts)
    raw.add(
        raw.grants,
        grants[0] + first,
        row=grants[1],
        fen=grants[2],
        tier=grants[3],
    )
    if near:
        _near_misses(plans, first, stack, raw)


def _eligibility_blame(
    plans: Sequence[Plan], stack: _Stack, lines: IntArray, rows: IntArray, blame: Blame
) -> IntArray:
    """Field lists of the unknown pairs: by the policy's leaves that are unknown there."""
    if rows.size == 0:
        return np.empty(0, dtype=np.int64)
    chosen = np.zeros(rows.size, dtype=np.int64)
    bounds = np.searchsorted(lines, np.arange(len(plans) + 1))
    unknown = stack.unknown_leaves()
    for i, plan in enumerate(plans):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        if lo == hi:
            continue
        at = B.At(rows[lo:hi])
        first = stack.leaf_start[i]
        picked = np.zeros(hi - lo, dtype=np.int64)
        for j in range(len(plan.leaves)):
            picked |= at(unknown[first + j]).astype(np.int64) << j
        # No unknown leaf (a tree without labels): the whole eligibility is blamed.
        picked[picked == 0] = 1 << len(plan.leaves)
        chosen[lo:hi] = picked
    parts = [(*(leaf.fields for leaf in p.leaves), p.root.fields) for p in plans]
    return blame.codes(lines, rows, chosen, parts)


def _near_misses(plans: Sequence[Plan], first: int, stack: _Stack, raw: Raw) -> None:
    near, planes = stack.near_misses()
    lines, rows = B.pairs_of(near)
    if rows.size == 0:
        return
    which = np.zeros(rows.size, dtype=np.int64)
    read = _Reader(lines, rows, stack.rows.none.size)
    for k, plane in enumerate(planes):
        which |= read(plane) << k
    offsets = np.cumsum([0] + [len(p.top_codes) for p in plans])
    table = np.array([c for p in plans for c in p.top_codes], dtype=np.int64)
    raw.add(raw.near, lines + first, row=rows, text=table[offsets[lines] + which])


Columns = tuple[IntArray, IntArray, IntArray, IntArray]


def _amounts(
    plans: Sequence[Plan],
    program: Program,
    source: FrameSource,
    eligible: tuple[IntArray, IntArray],
    blame: Blame,
    counts: IntArray,
) -> tuple[Columns, tuple[IntArray, IntArray, IntArray]]:
    """Grants (line, row, fen, tier) of the eligible pairs, and the pairs whose amount is
    unknown (line, row, field-list code)."""
    lines, rows = eligible
    bounds = np.searchsorted(lines, np.arange(len(plans) + 1))
    fen = np.zeros(rows.size, dtype=np.int64)
    known = np.ones(rows.size, dtype=np.bool_)
    tier = np.full(rows.size, NO_TIER, dtype=np.int64)
    culprit = np.full(rows.size, -1, dtype=np.int64)
    parts: list[tuple[frozenset[str], ...]] = []
    for i, plan in enumerate(plans):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        policy_parts = _policy_parts(plan)
        parts.append(tuple(p.fields for p in policy_parts))
        if lo == hi:
            continue
        if plan.fen is not None:
            fen[lo:hi] = plan.fen
            continue
        done = _amount(plan, program, source, rows[lo:hi])
        fen[lo:hi], known[lo:hi], tier[lo:hi], culprit[lo:hi] = done
    granted = known & (fen > 0)
    counts[:, ELIGIBLE] = np.bincount(lines[granted], minlength=len(plans))
    counts[:, ZERO] = np.bincount(lines[known & ~granted], minlength=len(plans))
    grants = (lines[granted], rows[granted], fen[granted], tier[granted])
    lost = ~known
    lost_lines, lost_rows = lines[lost], rows[lost]
    chosen = np.left_shift(1, culprit[lost]).astype(np.int64)
    return grants, (lost_lines, lost_rows, blame.codes(lost_lines, lost_rows, chosen, parts))


def _policy_parts(plan: Plan) -> list[Part]:
    """The parts an amount can be unknown because of, numbered as :func:`_amount` blames them."""
    if plan.amount is not None:
        return [plan.amount]
    return [part for t in plan.tiers for part in (t.when, t.value)]


def _amount(
    plan: Plan, program: Program, source: FrameSource, eligible: IntArray
) -> tuple[IntArray, BoolArray, IntArray, IntArray]:
    """Fen, known, tier and culprit (index into :func:`_policy_parts`) of the eligible rows."""
    n = eligible.size
    sub = SubsetSource(source, eligible)
    ev = Evaluator(program.nodes, sub)
    cap = plan.policy.cap
    tier = np.full(n, NO_TIER, dtype=np.int64)
    culprit = np.full(n, -1, dtype=np.int64)
    if plan.amount is not None:
        value = exact.as_number(ev.get(plan.amount.node), sub.rows)
        fen, known = exact.to_fen(value, cap, sub.rows)
        culprit[~known] = 0
        return fen, known, tier, culprit
    fen = np.zeros(n, dtype=np.int64)
    known = np.zeros(n, dtype=np.bool_)
    undecided = sub.rows.all
    for i, t in enumerate(plan.tiers):
        when = as_tri(ev.get(t.when.node), sub.rows)
        culprit[B.unpack(undecided & _unknown(sub.rows, when), n)] = 2 * i
        hit = B.unpack(undecided & when.t, n)
        if hit.any():
            tier_fen, value_known = exact.to_fen(
                exact.as_number(ev.get(t.value.node), sub.rows), cap, sub.rows
            )
            fen = np.where(hit, tier_fen, fen)
            known |= hit & value_known
            tier[hit] = i
            culprit[hit & ~value_known] = 2 * i + 1
        undecided = undecided & when.f
    known |= B.unpack(undecided, n)  # no tier matched: an amount of zero
    return fen, known, tier, culprit
