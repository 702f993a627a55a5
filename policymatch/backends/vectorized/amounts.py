"""The amounts of a block's eligible pairs: fen, tier, and the pairs whose amount is unknown.

A dense policy set grants hundreds of thousands of pairs per batch, so the common shapes never
gather columns per policy, and no array as long as the eligible pairs is made but the results:
a constant is written as it is (computed at compile time), a field times a constant
(``rd_expense * 5%``, capped) and tiers with constant values are computed in one compiled pass
over the block's eligible bits, which reads the whole-frame column (or the tiers' condition
masks) at those rows and writes the grants, the unknown amounts and the counts. Exactness is
that of :mod:`.exact`: integers at a common scale, the cap, then half-up (away from zero) to the
fen; a field times a constant is computed so only when the column's bound proves that no row
can leave int64. Any other amount is evaluated on the policy's eligible rows by the general
kernels first, and the pass copies its results.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from ...money import MAX_GRANT_FEN
from ..reference import too_large
from . import bits as B
from . import exact
from .bits import Bits, BoolArray, Index, IntArray, spread
from .columns import INT64_MAX, Column, Day, Num
from .compiled import compiled
from .evaluate import Evaluator
from .kernels import as_tri
from .program import Linear, Part, Plan, Program
from .results import NO_TIER
from .source import FrameSource, SubsetSource

ELIGIBLE, UNKNOWN, INELIGIBLE, ZERO = range(4)

Grants = tuple[Index, Index, IntArray, npt.NDArray[np.int16]]
Lost = tuple[Index, Index, IntArray]


class Stacked:
    """The number and date fields the compiled passes read by row, one line each, copied once
    per batch: the amounts' fields and the near misses' thresholds."""

    def __init__(self, source: FrameSource, plans: Sequence[Plan]) -> None:
        names = {plan.linear.field for plan in plans if plan.linear is not None}
        names.update(th.field for plan in plans for th in plan.thresholds if th is not None)
        self.line = {name: i for i, name in enumerate(sorted(names))}
        rows = source.rows
        self.values = np.empty((len(names), rows.n), dtype=np.int64)
        self.known = np.empty((len(names), rows.none.size), dtype=np.uint8)
        for name, at in self.line.items():
            col = source.field(name)
            assert isinstance(col, Num | Day)
            self.values[at] = col.v
            self.known[at] = col.known


#: How a policy's amount is found in :func:`_grants`.
CONSTANT, LINEAR, TIERED, GENERAL = range(4)


def amounts(
    plans: Sequence[Plan],
    program: Program,
    whole: Evaluator,
    source: FrameSource,
    stacked: Stacked,
    t: Bits,
    roots: IntArray,
    counts: IntArray,
) -> tuple[Grants, Lost]:
    """Grants (line, row, fen, tier) of the pairs where line ``roots[p]`` of ``t`` is set (the
    eligible ones), and the pairs whose amount is unknown (line, row, the fields its unknown
    part reads); ``counts`` gets the eligible and zero counts. ``whole`` evaluates nodes over
    every row of ``source`` (tier conditions).

    Every policy's amount is settled in one compiled pass over the eligible bits: only an
    amount of no common shape is computed before it, by the general kernels on its rows."""
    n = len(plans)
    kind = np.full(n, CONSTANT, dtype=np.int64)
    const = np.zeros(n, dtype=np.int64)
    linear = np.zeros((n, 6), dtype=np.int64)
    tier_start = [0]
    tier_fen: list[int] = []
    tier_masks: list[tuple[Bits, Bits]] = []
    general: list[tuple[IntArray, BoolArray, IntArray, IntArray]] = []
    general_start = [0]
    for i, plan in enumerate(plans):
        if plan.fen is not None:
            const[i] = plan.fen
        elif not t[roots[i]].any():  # nobody eligible: the amount's columns are not needed
            pass
        elif plan.linear is not None and (
            factors := linear_factors(plan.linear, plan.policy.cap, source.field(plan.linear.field))
        ):
            kind[i] = LINEAR
            linear[i] = (stacked.line[plan.linear.field], *factors)
        elif plan.tier_fen is not None:
            kind[i] = TIERED
            tier_masks.extend(_tier_masks(plan, whole))
            tier_fen.extend(plan.tier_fen)
        else:
            kind[i] = GENERAL
            general.append(_amount(plan, program, source, B.rows_of(t[roots[i]])))
        tier_start.append(len(tier_fen))
        general_start.append(general_start[-1] + (general[-1][0].size if kind[i] == GENERAL else 0))
    shape = (len(tier_masks), t.shape[1])
    when_t = np.array([m[0] for m in tier_masks], dtype=np.uint8).reshape(shape)
    when_f = np.array([m[1] for m in tier_masks], dtype=np.uint8).reshape(shape)
    parts = [_policy_parts(plan) for plan in plans]
    reads = np.array([part.mask for own in parts for part in own], dtype=np.int64)
    read_start = np.cumsum([0] + [len(own) for own in parts])
    g_fen, g_known, g_tier, g_culprit = (
        [np.concatenate(c) for c in zip(*general, strict=True)]
        if general
        else (_NO_INTS, np.empty(0, dtype=np.bool_), _NO_INTS, _NO_INTS)
    )
    # The outputs are allocated here, by numpy, rather than in the loop: numpy asks the kernel
    # for huge pages for large arrays, and at 500,000 rows these are fresh memory in every batch
    # (a page fault per 4 KB page costs as much as the loop's writes).
    total = int(B.counts(t, roots).sum())
    grants, lost, per_line = _grants(
        t, roots, kind, const, linear, stacked.values, stacked.known,
        np.array(tier_start, dtype=np.int64), when_t, when_f, np.array(tier_fen, dtype=np.int64),
        np.array(general_start, dtype=np.int64), g_fen, g_known, g_tier, g_culprit,
        reads, read_start,
        (np.empty(total, np.int32), np.empty(total + 8, np.int32), np.empty(total, np.int64),
         np.empty(total, np.int16)),
        (np.empty(total, np.int32), np.empty(total, np.int32), np.empty(total, np.int64)),
    )  # fmt: skip
    counts[:, ELIGIBLE] = per_line[0]
    counts[:, ZERO] = per_line[1]
    # The compiled shapes hold in int64 but may pass the most a grant may be (general amounts
    # were refused as they were computed).
    over = np.flatnonzero(grants[2] > MAX_GRANT_FEN)
    if over.size:
        first = int(over[0])
        amount = Decimal(int(grants[2][first])).scaleb(-2)
        policy = plans[int(grants[0][first])].policy
        raise too_large(policy, amount, _uscc(source, int(grants[1][first])))
    return grants, lost


_NO_INTS = np.empty(0, dtype=np.int64)


def _tier_masks(plan: Plan, whole: Evaluator) -> list[tuple[Bits, Bits]]:
    """The tiers' conditions over every row (``t`` and ``f``)."""
    tris = [as_tri(whole.get(t.when.node), whole.source.rows) for t in plan.tiers]
    return [(c.t, c.f) for c in tris]


def linear_factors(
    shape: Linear, cap: Decimal | None, col: Column
) -> tuple[int, int, int, int, int] | None:
    """The integers :func:`linear_fen` computes ``col × shape`` (capped, rounded) with: factor,
    limit, capped, times, down; None when int64 might not hold a step of it (the general path
    then takes the policy)."""
    if not (isinstance(col, Num) and isinstance(col.v, np.ndarray) and col.v.ndim == 1):
        return None
    k = col.k + shape.k
    limit, cap_k = exact.scaled(cap) if cap is not None else (0, k)
    scale = max(k, cap_k)
    up = 10 ** (scale - k)
    limit *= 10 ** (scale - cap_k)
    times, down = (10 ** (2 - scale), 1) if scale <= 2 else (1, 10 ** (scale - 2))
    top = max(col.bound * abs(shape.num) * up, abs(limit))
    if max(top * times + down // 2, abs(shape.num) * up) > INT64_MAX:
        return None
    return shape.num * up, limit, int(cap is not None), times, down


@compiled
def linear_fen(value: int, factor: int, limit: int, capped: int, times: int, down: int) -> int:
    """``value × factor``, capped at ``limit``, times ``times`` or divided by ``down`` half-up
    (away from zero): the fen of a :class:`.program.Linear` amount (see :func:`linear_factors`)."""
    x = value * factor
    if capped and x > limit:
        x = limit
    if down == 1:
        return x * times
    q = (abs(x) + down // 2) // down
    return -q if x < 0 else q


@compiled
def _grants(
    t: Bits,
    roots: IntArray,
    kind: IntArray,
    const: IntArray,
    linear: IntArray,
    values: IntArray,
    present: Bits,
    tier_start: IntArray,
    when_t: Bits,
    when_f: Bits,
    tier_fen: IntArray,
    general_start: IntArray,
    g_fen: IntArray,
    g_known: BoolArray,
    g_tier: IntArray,
    g_culprit: IntArray,
    reads: IntArray,
    read_start: IntArray,
    grants: Grants,
    lost: Lost,
) -> tuple[Grants, Lost, IntArray]:
    """Grants, unknown amounts and per line the eligible and zero counts, in one pass over the
    eligible bits, in (line, row) order.

    Per line ``p`` (``kind[p]``): a constant ``const[p]``; ``linear[p]``: the column of
    ``values`` (known where ``present``) and :func:`linear_fen`'s integers; tiers
    ``tier_start[p]`` to ``tier_start[p + 1]`` of the masks ``when_t``/``when_f`` with their
    fen (the first that holds gives it; one unknown before it makes the amount unknown, blamed
    on part ``2 * tier``; none: zero); or, for any other amount, the eligible rows' results
    from ``general_start[p]`` on. An unknown amount's fields are ``reads[read_start[p] + part]``.

    ``grants`` and ``lost`` are the outputs, as long as the eligible pairs (the rows of grants
    8 longer); the slices written are returned.
    """
    policies = roots.size
    g_lines, g_rows, fens, tiers = grants
    # The eligible rows of a line are first written to ``g_rows`` from ``at`` on
    # (:func:`.bits.spread`: the 8 extra places); the grants then overwrite them in place,
    # never ahead of the row they read.
    l_lines, l_rows, l_read = lost
    per_line = np.zeros((2, policies), dtype=np.int64)
    at = 0
    out = 0
    for p in range(policies):
        end = spread(t[roots[p]], g_rows, at)
        how = kind[p]
        if how == CONSTANT:
            if const[p] > 0:
                g_lines[at:end] = p
                fens[at:end] = const[p]
                tiers[at:end] = NO_TIER
                per_line[0, p] = end - at
                at = end
            else:
                per_line[1, p] = end - at
            continue
        column = linear[p, 0]
        nth = general_start[p]
        for i in range(at, end):
            row = g_rows[i]
            j, b = row >> 3, 7 - (row & 7)
            fen = 0
            tier = NO_TIER
            part = -1
            if how == LINEAR:
                if (present[column, j] >> b) & 1:
                    fen = linear_fen(
                        values[column, row], linear[p, 1], linear[p, 2], linear[p, 3],
                        linear[p, 4], linear[p, 5],
                    )  # fmt: skip
                else:
                    part = 0
            elif how == TIERED:
                for k in range(tier_start[p], tier_start[p + 1]):
                    if (when_t[k, j] >> b) & 1:
                        fen = tier_fen[k]
                        tier = k - tier_start[p]
                        break
                    if not (when_f[k, j] >> b) & 1:
                        part = 2 * (k - tier_start[p])
                        break
            else:
                fen = g_fen[nth]
                tier = g_tier[nth]
                if not g_known[nth]:
                    part = g_culprit[nth]
                nth += 1
            if part >= 0:
                l_lines[out] = p
                l_rows[out] = row
                l_read[out] = reads[read_start[p] + part]
                out += 1
            elif fen > 0:
                per_line[0, p] += 1
                g_lines[at] = p
                g_rows[at] = row
                fens[at] = fen
                tiers[at] = tier
                at += 1
            else:
                per_line[1, p] += 1
    return (
        (g_lines[:at], g_rows[:at], fens[:at], tiers[:at]),
        (l_lines[:out], l_rows[:out], l_read[:out]),
        per_line,
    )


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
    try:
        return _general(plan, program, source, eligible)
    except exact.TooLarge as exc:
        raise too_large(plan.policy, exc.amount, _uscc(source, int(eligible[exc.row]))) from None


def _uscc(source: FrameSource, row: int) -> object:
    """The code of the enterprise of ``row``, for a message (None in a frame without codes)."""
    codes = source.frame.get("uscc")
    return None if codes is None else codes.iloc[row]


def _general(
    plan: Plan, program: Program, source: FrameSource, eligible: IntArray
) -> tuple[IntArray, BoolArray, IntArray, IntArray]:
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
                exact.as_number(ev.get(t.value.node), sub.rows), cap, sub.rows, hit
            )
            fen = np.where(hit, tier_fen, fen)
            known |= hit & value_known
            tier[hit] = i
            culprit[hit & ~value_known] = 2 * i + 1
        undecided = undecided & when.f
    known |= B.unpack(undecided, n)  # no tier matched: an amount of zero
    return fen, known, tier, culprit
