"""From a policy's condition columns to its results: grants, unknowns, near misses, counts.

Everything the reference evaluator decides per enterprise is decided here per policy, on the
packed masks of the eligibility pass; amounts are computed on the eligible rows only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from . import bits as B
from . import exact
from .bits import Bits, BoolArray, IntArray
from .columns import Rows, Tri
from .evaluate import Evaluator
from .kernels import as_tri
from .program import Part, Plan, Program
from .results import NO_TIER, Raw
from .source import FrameSource, SubsetSource

ELIGIBLE, UNKNOWN, INELIGIBLE, ZERO = range(4)


class Blame:
    """The missing fields of unknown results, by the reference evaluator's rule.

    For each row: the null fields among those the unknown parts read; when none of them is null
    (a division by zero), every field they read. ``age_years`` is reported as
    ``registered_on``; a tags field is never null.
    """

    def __init__(self, source: FrameSource, raw: Raw) -> None:
        self.source = source
        self.raw = raw

    def texts(self, rows: IntArray, parts: Sequence[frozenset[str]], chosen: BoolArray) -> IntArray:
        """Codes of the field lists of ``rows``; ``chosen[r, j]``: part ``j`` is unknown at row ``r``."""
        universe = sorted(frozenset().union(*parts))
        if not universe:  # parts that read no field at all, such as 1 / 0
            return np.full(rows.size, self.raw.text(""), dtype=np.int64)
        reads = np.array([[name in p for name in universe] for p in parts], dtype=np.bool_)
        # Field i is blamed at row r when a chosen part reads it (matrix product over parts).
        read = (chosen.astype(np.int64) @ reads.astype(np.int64)) > 0
        null = np.column_stack(
            [
                ~B.take(self.source.known(name), rows)
                if name != "tags"
                else np.zeros(rows.size, dtype=np.bool_)
                for name in universe
            ]
        ).reshape(rows.size, len(universe))
        blamed = read & null
        blamed = np.where(blamed.any(axis=1, keepdims=True), blamed, read)
        keys = np.packbits(blamed, axis=1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        codes = np.array(
            [
                self.raw.text(_field_list(universe, np.unpackbits(u)[: len(universe)]))
                for u in unique
            ],
            dtype=np.int64,
        )
        return codes[inverse.reshape(-1)]


def _field_list(universe: Sequence[str], mask: npt.NDArray[np.uint8]) -> str:
    names = {
        "registered_on" if n == "age_years" else n for n, m in zip(universe, mask, strict=True) if m
    }
    return ",".join(sorted(names))


def _unknown(rows: Rows, tri: Tri) -> Bits:
    return rows.unknown(tri.t | tri.f)


def match_policy(
    pid: int,
    plan: Plan,
    program: Program,
    ev: Evaluator,
    source: FrameSource,
    raw: Raw,
    blame: Blame,
) -> None:
    """Evaluate one policy in the eligibility pass and append its results to ``raw``."""
    rows = source.rows
    root = as_tri(ev.get(plan.root.node), rows)
    tops = [as_tri(ev.get(t), rows) for t in plan.tops]
    leaves = [as_tri(ev.get(leaf.node), rows) for leaf in plan.leaves]
    counts = raw.counts[pid]
    counts[INELIGIBLE] = B.count(root.f)

    unknown_rows = B.rows_of(_unknown(rows, root))
    unknown_texts = _eligibility_blame(plan, leaves, unknown_rows, blame)

    eligible = B.rows_of(root.t)
    amount_rows, amount_texts = _amounts(pid, plan, program, source, eligible, raw, blame)
    if amount_rows.size:
        unknown_rows = np.concatenate([unknown_rows, amount_rows])
        unknown_texts = np.concatenate([unknown_texts, amount_texts])
        order = np.argsort(unknown_rows, kind="stable")
        unknown_rows, unknown_texts = unknown_rows[order], unknown_texts[order]
    counts[UNKNOWN] = unknown_rows.size
    raw.add(raw.unknown, pid, row=unknown_rows, text=unknown_texts)

    if tops:
        _near_misses(pid, plan, tops, rows, raw)


def _eligibility_blame(
    plan: Plan, leaves: Sequence[Tri], unknown_rows: IntArray, blame: Blame
) -> IntArray:
    if unknown_rows.size == 0:
        return np.empty(0, dtype=np.int64)
    rows = blame.source.rows
    chosen = np.column_stack(
        [B.take(_unknown(rows, leaf), unknown_rows) for leaf in leaves]
        + [np.zeros(unknown_rows.size, dtype=np.bool_)]
    )
    # No unknown leaf (a tree without labels): the whole eligibility is blamed.
    chosen[:, -1] = ~chosen[:, :-1].any(axis=1)
    parts = [leaf.fields for leaf in plan.leaves] + [plan.root.fields]
    return blame.texts(unknown_rows, parts, chosen)


def _amounts(
    pid: int,
    plan: Plan,
    program: Program,
    source: FrameSource,
    eligible: IntArray,
    raw: Raw,
    blame: Blame,
) -> tuple[IntArray, IntArray]:
    """Grants and zero amounts of the eligible rows; returns the rows whose amount is unknown."""
    n = eligible.size
    empty = np.empty(0, dtype=np.int64)
    if n == 0:
        return empty, empty
    sub = SubsetSource(source, eligible)
    ev = Evaluator(program, sub, counted=False)
    cap = plan.policy.cap
    fen = np.zeros(n, dtype=np.int64)
    known = np.zeros(n, dtype=np.bool_)
    tier = np.full(n, NO_TIER, dtype=np.int64)
    # Which part made the amount unknown: index into ``parts`` (-1: none).
    culprit = np.full(n, -1, dtype=np.int64)
    parts: list[Part] = []
    if plan.amount is not None:
        fen, known = exact.to_fen(
            exact.as_number(ev.get(plan.amount.node), sub.rows), cap, sub.rows
        )
        parts.append(plan.amount)
        culprit[~known] = 0
    else:
        undecided = sub.rows.all
        for i, t in enumerate(plan.tiers):
            when = as_tri(ev.get(t.when.node), sub.rows)
            stuck = B.unpack(undecided & _unknown(sub.rows, when), n)
            culprit[stuck] = len(parts)
            parts.append(t.when)
            hit = B.unpack(undecided & when.t, n)
            if hit.any():
                value, value_known = exact.to_fen(
                    exact.as_number(ev.get(t.value.node), sub.rows), cap, sub.rows
                )
                fen = np.where(hit, value, fen)
                known |= hit & value_known
                tier[hit] = i
                culprit[hit & ~value_known] = len(parts)
            parts.append(t.value)
            undecided = undecided & when.f
        rest = B.unpack(undecided, n)
        known |= rest  # no tier matched: an amount of zero
    granted = known & (fen > 0)
    counts = raw.counts[pid]
    counts[ELIGIBLE] = int(granted.sum())
    counts[ZERO] = int((known & ~granted).sum())
    raw.add(raw.grants, pid, row=eligible[granted], fen=fen[granted], tier=tier[granted])
    lost = ~known
    if not lost.any():
        return empty, empty
    rows = eligible[lost]
    chosen = np.zeros((rows.size, len(parts)), dtype=np.bool_)
    chosen[np.arange(rows.size), culprit[lost]] = True
    return rows, blame.texts(rows, [p.fields for p in parts], chosen)


def _near_misses(pid: int, plan: Plan, tops: Sequence[Tri], rows: Rows, raw: Raw) -> None:
    """Rows failing exactly one top-level condition, with every other one holding."""
    once, twice, decided = rows.none, rows.none, rows.all
    for top in tops:
        twice = twice | (once & top.f)
        once = once | top.f
        decided = decided & (top.t | top.f)
    near = B.rows_of(once & ~twice & decided)
    if near.size == 0:
        return
    which = np.zeros(near.size, dtype=np.int64)
    for i, top in enumerate(tops):
        which[B.take(top.f, near)] = i
    codes = np.array([raw.text(label) for label in plan.top_labels], dtype=np.int64)
    raw.add(raw.near, pid, row=near, text=codes[which])
