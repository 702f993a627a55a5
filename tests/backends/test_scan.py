"""The compiled scans of stacked masks against a row-by-row reading of the same masks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from policymatch.backends.vectorized import bits as B
from policymatch.backends.vectorized import scan


@st.composite
def stacks(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, list[list[int]]]:
    """Rows, then t and f of some conditions (disjoint: a row is true, false or unknown), and
    policies as lists of condition lines (a line may serve several policies)."""
    n = draw(st.integers(1, 40))  # often not a multiple of 8: the padding must stay silent
    lines = draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**32 - 1))
    state = np.random.default_rng(seed).integers(0, 3, (lines, n))  # 0 unknown, 1 true, 2 false
    t = np.packbits(state == 1, axis=1)
    f = np.packbits(state == 2, axis=1)
    policies = draw(st.lists(st.lists(st.integers(0, lines - 1), max_size=5), max_size=6))
    return n, t, f, policies


def _starts(policies: list[list[int]]) -> np.ndarray:
    return np.cumsum([0] + [len(p) for p in policies]).astype(np.int64)


def _flat(policies: list[list[int]]) -> np.ndarray:
    return np.array([c for p in policies for c in p], dtype=np.int64)


def _bit(mask: np.ndarray, row: int) -> bool:
    return bool(mask[row >> 3] >> (7 - (row & 7)) & 1)


@settings(max_examples=300, deadline=None)
@given(stacks(), st.integers(0, 2**32 - 1))
def test_near_misses_fail_exactly_one_threshold_of_two_or_more_within_its_margin(
    case: tuple[int, np.ndarray, np.ndarray, list[list[int]]], seed: int
) -> None:
    n, t, f, policies = case
    tops = _flat(policies)
    # Each top-level condition is a threshold with a margin test on some line, or not (-1).
    within = np.random.default_rng(seed).integers(-1, t.shape[0], tops.size).astype(np.int64)
    got = scan.near_misses(t, f, tops, within, _starts(policies))
    want = []
    k = 0
    for p, own in enumerate(policies):
        for row in range(n):
            failed = [i for i, c in enumerate(own) if _bit(f[c], row)]
            decided = all(_bit(t[c], row) or _bit(f[c], row) for c in own)
            if len(own) >= 2 and len(failed) == 1 and decided:
                w = int(within[k + failed[0]])
                if w >= 0 and _bit(t[w], row):
                    want.append((p, row, k + failed[0]))
        k += len(own)
    assert list(zip(*(a.tolist() for a in got), strict=True)) == want


@settings(max_examples=300, deadline=None)
@given(stacks(), st.integers(0, 2**32 - 1))
def test_unknowns_read_the_fields_of_the_unknown_leaves(
    case: tuple[int, np.ndarray, np.ndarray, list[list[int]]], seed: int
) -> None:
    n, t, f, policies = case
    lines = t.shape[0]
    rng = np.random.default_rng(seed)
    roots = rng.integers(0, lines, len(policies)).astype(np.int64)
    leaves = _flat(policies)
    reads = rng.integers(0, 16, leaves.size + len(policies)).astype(np.int64)  # fields 0..3
    present = B.full(n, True)
    got = scan.unknowns(t, f, present, roots, leaves, _starts(policies), reads)
    want = []
    k = 0
    for p, own in enumerate(policies):
        r = int(roots[p])
        for row in range(n):
            if _bit(t[r], row) or _bit(f[r], row):
                continue
            unknown = [k + i for i, c in enumerate(own) if not (_bit(t[c], row) or _bit(f[c], row))]
            read = 0
            for i in unknown:
                read |= int(reads[i])
            if not unknown:
                read = int(reads[leaves.size + p])
            want.append((p, row, read))
        k += len(own)
    assert list(zip(*(a.tolist() for a in got), strict=True)) == want


@settings(max_examples=200, deadline=None)
@given(stacks())
def test_set_bits_and_counts_read_the_chosen_lines(
    case: tuple[int, np.ndarray, np.ndarray, list[list[int]]],
) -> None:
    n, t, _, policies = case
    chosen = _flat(policies)
    assert B.counts(t, chosen).tolist() == [
        sum(_bit(t[c], row) for row in range(n)) for c in chosen
    ]
    assert B.rows_of(t[0]).tolist() == [row for row in range(n) if _bit(t[0], row)]
