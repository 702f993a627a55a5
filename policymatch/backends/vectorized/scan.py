"""One pass over a block's stacked masks for the results that need more than a bit each.

* :func:`near_misses`: where exactly one top-level condition of a policy fails, a threshold
  within its margin, and every other holds, with the one that fails;
* :func:`unknowns`: where a policy's eligibility is unknown, with the fields that its labelled
  conditions (leaves) unknown there read.

The masks of a block's conditions are stacked once, one line per distinct condition (``t``:
certainly true, ``f``: certainly false, see :class:`.columns.Tri`): a condition that is a
policy's eligibility, one of its top-level conditions and one of its leaves is one line. A
policy's conditions are then line numbers, ``lines[start[p]:start[p + 1]]``. Results are in
(policy, row) order, as :class:`.results.Raw` keeps them, with rows as int32 (a batch has
fewer than 2**31 rows, see :data:`.bits.MAX_ROWS`), allocated by numpy before the loops that
write them: numpy asks the kernel for huge pages for large arrays, and at 500,000 rows they are
fresh memory in every batch (see :func:`.amounts.amounts`). The padding bits after the last row
are zero in every mask, and both scans only report bits set in a mask, so they never report a
row that does not exist.
"""

from __future__ import annotations

import numpy as np

from .bits import _BIT_COUNT as _COUNT
from .bits import _FIRST_BIT as _FIRST
from .bits import Bits, Index, IntArray
from .compiled import compiled


def near_misses(
    t: Bits, f: Bits, lines: IntArray, within: IntArray, start: IntArray
) -> tuple[Index, Index, Index]:
    """(policy, row, index into ``lines`` of the failed condition) of the near misses.

    ``lines[start[p]:start[p + 1]]``: policy ``p``'s top-level conditions; ``within`` (in the
    same order) the line of each one's margin test, or -1 where it is not a threshold. A near
    miss fails exactly one of them, a threshold, inside its margin, and holds every other.
    """
    near, total = _near_bits(t, f, lines, within, start)
    out = np.empty(total, np.int32), np.empty(total, np.int32), np.empty(total, np.int32)
    _near_rows(near, f, lines, start, out)
    return out


@compiled
def _near_bits(
    t: Bits, f: Bits, lines: IntArray, within: IntArray, start: IntArray
) -> tuple[Bits, int]:
    """The near misses of each policy as a mask, and how many there are."""
    policies = start.size - 1
    width = t.shape[1]
    near = np.zeros((policies, width), dtype=np.uint8)
    once = np.empty(width, dtype=np.uint8)
    twice = np.empty(width, dtype=np.uint8)
    decided = np.empty(width, dtype=np.uint8)
    close = np.empty(width, dtype=np.uint8)
    total = 0
    for p in range(policies):
        if start[p + 1] - start[p] < 2:
            continue
        once[:] = 0
        twice[:] = 0
        close[:] = 0
        decided[:] = 255
        # Condition by condition over whole lines: the inner loops run over contiguous bytes.
        for k in range(start[p], start[p + 1]):
            c = lines[k]
            w = within[k]
            for j in range(width):
                fails = f[c, j]
                twice[j] |= once[j] & fails
                once[j] |= fails
                decided[j] &= t[c, j] | fails
            if w >= 0:
                for j in range(width):
                    close[j] |= f[c, j] & t[w, j]
        for j in range(width):
            byte = once[j] & ~twice[j] & decided[j] & close[j]
            near[p, j] = byte
            total += _COUNT[byte]
    return near, total


@compiled
def _near_rows(
    near: Bits, f: Bits, lines: IntArray, start: IntArray, out: tuple[Index, Index, Index]
) -> None:
    """The near misses of :func:`_near_bits`' masks, into ``out`` (:func:`near_misses`)."""
    policy, rows, which = out
    policies = start.size - 1
    width = near.shape[1]
    failed = np.zeros(8, dtype=np.int64)
    at = 0
    for p in range(policies):
        for j in range(width):
            byte = np.int64(near[p, j])
            if not byte:
                continue
            # Each near bit fails in exactly one condition: note it at the bit.
            for k in range(start[p], start[p + 1]):
                hit = np.int64(f[lines[k], j]) & byte
                while hit:
                    b = _FIRST[hit]
                    hit ^= 128 >> b
                    failed[b] = k
            while byte:
                b = _FIRST[byte]
                byte ^= 128 >> b
                policy[at] = p
                rows[at] = 8 * j + b
                which[at] = failed[b]
                at += 1


def unknowns(
    t: Bits,
    f: Bits,
    present: Bits,
    roots: IntArray,
    lines: IntArray,
    start: IntArray,
    reads: IntArray,
) -> tuple[Index, Index, IntArray]:
    """(policy, row, fields read) where a policy's eligibility is unknown.

    ``roots[p]``: policy ``p``'s eligibility; ``lines[start[p]:start[p + 1]]`` its leaves, with
    the fields they read in ``reads`` (bit sets) and, at ``reads[start[-1] + p]``, the fields of
    the whole eligibility; ``present``: the mask of every row.

    The fields read are those of the leaves unknown in that row (of the whole eligibility if no
    leaf is unknown: a tree without labels); which of them to blame is :class:`.outcomes.Blame`'s.
    """
    total = _unknown_count(t, f, present, roots)
    out = np.empty(total, np.int32), np.empty(total, np.int32), np.empty(total, np.int64)
    _unknown_rows(t, f, present, roots, (lines, start, reads), out)
    return out


@compiled
def _unknown_count(t: Bits, f: Bits, present: Bits, roots: IntArray) -> int:
    total = 0
    for r in roots:
        for j in range(t.shape[1]):
            total += _COUNT[present[j] & ~(t[r, j] | f[r, j])]
    return total


@compiled
def _unknown_rows(
    t: Bits,
    f: Bits,
    present: Bits,
    roots: IntArray,
    leaves: tuple[IntArray, IntArray, IntArray],
    out: tuple[Index, Index, IntArray],
) -> None:
    """:func:`unknowns`' results (``leaves``: its lines, start and reads), into ``out``."""
    lines, start, reads = leaves
    policy, rows, fields = out
    policies = roots.size
    width = t.shape[1]
    read = np.zeros(8, dtype=np.int64)
    at = 0
    for p in range(policies):
        r = roots[p]
        whole = reads[start[-1] + p]
        for j in range(width):
            byte = np.int64(present[j] & ~(t[r, j] | f[r, j]))
            if not byte:
                continue
            read[:] = 0
            some = np.int64(0)  # the bits where some leaf is unknown
            for k in range(start[p], start[p + 1]):
                unknown = byte & ~np.int64(t[lines[k], j] | f[lines[k], j])
                some |= unknown
                while unknown:
                    b = _FIRST[unknown]
                    unknown ^= 128 >> b
                    read[b] |= reads[k]
            while byte:
                b = _FIRST[byte]
                byte ^= 128 >> b
                policy[at] = p
                rows[at] = 8 * j + b
                fields[at] = read[b] if some & (128 >> b) else whole
                at += 1
