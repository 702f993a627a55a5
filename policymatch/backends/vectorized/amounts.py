"""The amounts of a block's eligible pairs: fen, tier, and the pairs whose amount is unknown.

A dense policy set grants hundreds of thousands of pairs per batch, so the common shapes never
gather columns per policy: a constant is written as it is (computed at compile time), a field
times a constant (``rd_expense * 5%``, capped) and tiers with constant values are one compiled
loop over the policy's eligible rows each, reading the whole-frame column (or the tiers'
condition masks) at those rows and writing the fen into the result. Exactness is that of
:mod:`.exact`: integers at a common scale, the cap, then half-up (away from zero) to the fen;
the loop runs only when the column's bound proves that no row can leave int64. Any other
amount is evaluated on the policy's eligible rows by the general kernels.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from . import bits as B
from . import exact
from .bits import Bits, BoolArray, Index, IntArray
from .columns import INT64_MAX, Column, Num
from .compiled import compiled
from .evaluate import Evaluator
from .kernels import as_tri
from .program import Linear, Part, Plan, Program
from .results import NO_TIER
from .source import FrameSource, SubsetSource

ELIGIBLE, UNKNOWN, INELIGIBLE, ZERO = range(4)

Grants = tuple[Index, Index, IntArray, IntArray]
Lost = tuple[Index, Index, IntArray]


def amounts(
    plans: Sequence[Plan],
    program: Program,
    whole: Evaluator,
    source: FrameSource,
    eligible: tuple[IntArray, IntArray],
    counts: IntArray,
) -> tuple[Grants, Lost]:
    """Grants (line, row, fen, tier) of the eligible pairs, and the pairs whose amount is
    unknown (line, row, the fields its unknown part reads); ``counts`` gets the eligible and
    zero counts. ``whole`` evaluates nodes over every row of ``source`` (tier conditions)."""
    lines, rows = eligible
    n = rows.size
    bounds = np.searchsorted(lines, np.arange(len(plans) + 1))
    fen = np.zeros(n, dtype=np.int64)
    known = np.ones(n, dtype=np.bool_)
    tier = np.full(n, NO_TIER, dtype=np.int64)
    # Read only where an amount is unknown, and written wherever one becomes unknown.
    culprit = np.empty(n, dtype=np.int64)
    for i, plan in enumerate(plans):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        if lo == hi:
            continue
        if plan.fen is not None:
            fen[lo:hi] = plan.fen
            continue
        at = slice(lo, hi)
        if plan.linear is not None and linear_amounts(
            plan.linear, plan.policy.cap, source.field(plan.linear.field), rows[at],
            fen[at], known[at], culprit[at],
        ):  # fmt: skip
            continue
        if plan.tier_fen is not None:
            t, f = _tier_masks(plan, whole)
            _tiers(rows[at], t, f, np.array(plan.tier_fen, dtype=np.int64),
                   fen[at], known[at], tier[at], culprit[at])  # fmt: skip
            continue
        fen[at], known[at], tier[at], culprit[at] = _amount(plan, program, source, rows[at])
    g_lines, g_rows, g_fen, g_tier, lost, per_line = _settle(
        lines, rows, fen, known, tier, len(plans)
    )
    counts[:, ELIGIBLE] = per_line[0]
    counts[:, ZERO] = per_line[1]
    lost_lines = lines[lost].astype(np.int32)
    parts = [_policy_parts(plan) for plan in plans]
    reads = np.array([part.mask for own in parts for part in own], dtype=np.int64)
    starts = np.cumsum([0] + [len(own) for own in parts])
    read = reads[starts[lost_lines] + culprit[lost]]
    return (g_lines, g_rows, g_fen, g_tier), (lost_lines, rows[lost].astype(np.int32), read)


def _tier_masks(plan: Plan, whole: Evaluator) -> tuple[Bits, Bits]:
    """The tiers' conditions over every row, one line each (``t`` and ``f``)."""
    tris = [as_tri(whole.get(t.when.node), whole.source.rows) for t in plan.tiers]
    return np.stack([c.t for c in tris]), np.stack([c.f for c in tris])


def linear_amounts(
    shape: Linear,
    cap: Decimal | None,
    col: Column,
    rows: IntArray,
    fen: IntArray,
    known: BoolArray,
    culprit: IntArray,
) -> bool:
    """``col × shape`` capped and rounded on ``rows``, into the outputs; False (nothing written)
    when int64 might not hold a step of it (the general path then takes it)."""
    if not (isinstance(col, Num) and isinstance(col.v, np.ndarray) and col.v.ndim == 1):
        return False
    k = col.k + shape.k
    limit, cap_k = exact.scaled(cap) if cap is not None else (0, k)
    scale = max(k, cap_k)
    up = 10 ** (scale - k)
    limit *= 10 ** (scale - cap_k)
    times, down = (10 ** (2 - scale), 1) if scale <= 2 else (1, 10 ** (scale - 2))
    top = max(col.bound * abs(shape.num) * up, abs(limit))
    if max(top * times + down // 2, abs(shape.num) * up) > INT64_MAX:
        return False
    _linear_fen(rows, col.v, col.known, shape.num * up, limit, cap is not None, times, down,
                fen, known, culprit)  # fmt: skip
    return True


@compiled
def _linear_fen(
    rows: IntArray,
    values: IntArray,
    present: Bits,
    factor: int,
    limit: int,
    capped: bool,
    times: int,
    down: int,
    fen: IntArray,
    known: BoolArray,
    culprit: IntArray,
) -> None:
    """``values[row] × factor``, capped at ``limit``, times ``times`` or divided by ``down``
    half-up (away from zero); a row absent from ``present`` is unknown (culprit 0)."""
    half = down // 2
    for i in range(rows.size):
        r = rows[i]
        if not (present[r >> 3] >> (7 - (r & 7))) & 1:
            known[i] = False
            culprit[i] = 0
            continue
        x = values[r] * factor
        if capped and x > limit:
            x = limit
        if down == 1:
            fen[i] = x * times
        else:
            q = (abs(x) + half) // down
            fen[i] = -q if x < 0 else q


@compiled
def _tiers(
    rows: IntArray,
    t: Bits,
    f: Bits,
    fens: IntArray,
    fen: IntArray,
    known: BoolArray,
    tier: IntArray,
    culprit: IntArray,
) -> None:
    """The first tier whose condition holds (``t``) gives the fen; a tier whose condition is
    unknown before any holds makes the amount unknown (culprit ``2 * tier``); none: zero."""
    for i in range(rows.size):
        r = rows[i]
        byte, shift = r >> 3, 7 - (r & 7)
        for j in range(fens.size):
            if (t[j, byte] >> shift) & 1:
                fen[i] = fens[j]
                tier[i] = j
                break
            if not (f[j, byte] >> shift) & 1:
                known[i] = False
                culprit[i] = 2 * j
                break


@compiled
def _settle(
    lines: IntArray,
    rows: IntArray,
    fen: IntArray,
    known: BoolArray,
    tier: IntArray,
    policies: int,
) -> tuple[Index, Index, IntArray, IntArray, IntArray, IntArray]:
    """The grants (a known amount above zero) as narrow columns, the positions of the unknown
    amounts, and per line the eligible and zero counts, in one pass (the outputs are made as
    long as the input and cut to what was found: views, no copies)."""
    n = lines.size
    per_line = np.zeros((2, policies), dtype=np.int64)
    g_lines = np.empty(n, dtype=np.int32)
    g_rows = np.empty(n, dtype=np.int32)
    g_fen = np.empty(n, dtype=np.int64)
    g_tier = np.empty(n, dtype=np.int64)
    lost = np.empty(n, dtype=np.int64)
    at = 0
    out = 0
    for i in range(n):
        if not known[i]:
            lost[out] = i
            out += 1
        elif fen[i] > 0:
            per_line[0, lines[i]] += 1
            g_lines[at] = lines[i]
            g_rows[at] = rows[i]
            g_fen[at] = fen[i]
            g_tier[at] = tier[i]
            at += 1
        else:
            per_line[1, lines[i]] += 1
    return g_lines[:at], g_rows[:at], g_fen[:at], g_tier[:at], lost[:out], per_line


def _policy_parts(plan: Plan) -> list[Part]:
    """The parts an amount can be unknown because of, numbered as the culprits are."""
    if plan.amount is not None:
        return [plan.amount]
    return [part for t in plan.tiers for part in (t.when, t.value)]


def _amount(
    plan: Plan, program: Program, source: FrameSource, eligible: IntArray
) -> tuple[IntArray, BoolArray, IntArray, IntArray]:
    """Fen, known, tier and culprit (index into :func:`_policy_parts`) of the eligible rows,
    by the general kernels on those rows."""
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
        culprit[B.unpack(undecided & sub.rows.unknown(when.t | when.f), n)] = 2 * i
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
