"""From the policies' condition columns to their results: grants, unknowns, near misses, counts.

Everything the reference evaluator decides per enterprise is decided here, for a block of
policies at a time: their masks are stacked (one line per distinct condition) so that the
grants with their amounts (:mod:`.amounts`), the unknown and near-miss rows with their missing
fields and failed conditions (:mod:`.scan`), and counting are a few compiled passes per block
rather than numpy operations per policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import bits as B
from . import scan
from .amounts import INELIGIBLE, UNKNOWN, Stacked, amounts
from .bits import Bits, BoolArray, Index, IntArray
from .columns import Tri
from .compiled import compiled
from .evaluate import Evaluator, Pass, entries
from .kernels import as_tri
from .program import Plan, Program
from .results import Raw
from .source import FrameSource

#: Policies whose masks are stacked together: bounds the memory of the stacks (a block of 64
#: policies over 500,000 rows is some 30 MB) while keeping the per-block work vectorised.
BLOCK = 64


class Blame:
    """The missing fields of unknown results, by the reference evaluator's rule.

    For each pair: the null fields among those the unknown parts read; when none of them is
    null (a division by zero), every field they read. Fields are bit sets over the program's
    fields (:attr:`.program.Part.mask`): ``age_years`` is reported as ``registered_on``; a tags
    field is never null.
    """

    def __init__(self, source: FrameSource, raw: Raw, fields: tuple[str, ...]) -> None:
        self.source = source
        self.raw = raw
        self.fields = fields

    def nulls(self) -> IntArray:
        """Per row, the bit set of its null fields."""
        return self.source.nulls(self.fields)

    def blamed(self, rows: Index, read: IntArray) -> IntArray:
        """The fields blamed in ``rows`` for unknown parts that read ``read`` (bit sets)."""
        out = np.empty(rows.size, dtype=np.int64)  # by numpy: see :func:`.amounts.amounts`
        _blamed(self.nulls(), rows, read, out)
        return out

    def texts(self, blamed: IntArray) -> IntArray:
        """Codes of the field lists (``"revenue,size"``) of bit sets of fields."""
        if blamed.size == 0:
            return np.empty(0, dtype=np.int64)
        # Few distinct sets, however many pairs: each is worded once.
        inverse, unique = pd.factorize(blamed)
        table = np.array([self.raw.text(_names(self.fields, int(m))) for m in unique])
        out: IntArray = table[inverse].astype(np.int64)
        return out


@compiled
def _blamed(nulls: IntArray, rows: Index, read: IntArray, out: IntArray) -> None:
    """Per pair, into ``out``: the null fields of its row among ``read``, or all of ``read``
    if none is."""
    for i in range(rows.size):
        null = nulls[rows[i]] & read[i]
        out[i] = null if null else read[i]


@lru_cache(maxsize=1 << 12)
def _names(fields: tuple[str, ...], mask: int) -> str:
    return ",".join(name for i, name in enumerate(fields) if mask >> i & 1)


@dataclass(frozen=True)
class Layout:
    """Where a block's conditions go in its stacked masks, one line per distinct condition node
    (worked out once per policy set): a condition that is a policy's eligibility, one of its
    top-level conditions and one of its leaves is one line."""

    lines: int
    #: Per plan: (index into its :func:`.evaluate.entries`, line) of the conditions it is the
    #: first in the block to read.
    new: tuple[tuple[tuple[int, int], ...], ...]
    roots: IntArray
    tops: IntArray
    within: IntArray
    top_start: IntArray
    leaves: IntArray
    leaf_start: IntArray
    #: The fields of each leaf (bit sets), then of each policy's whole eligibility.
    reads: IntArray


def layout(plans: Sequence[Plan]) -> Layout:
    """The :class:`Layout` of a block of plans."""
    line: dict[int, int] = {}
    new: list[tuple[tuple[int, int], ...]] = []
    roots: list[int] = []
    tops: list[int] = []
    within: list[int] = []
    top_start = [0]
    leaves: list[int] = []
    leaf_start = [0]
    for plan in plans:
        found = []
        first: list[tuple[int, int]] = []
        for i, nid in enumerate(entries(plan)):
            at = line.get(nid)
            if at is None:
                at = line[nid] = len(line)
                first.append((i, at))
            found.append(at)
        new.append(tuple(first))
        count = len(plan.tops)
        roots.append(found[0])
        tops.extend(found[1 : 1 + count])
        margins = iter(found[1 + count :])
        within.extend(-1 if n < 0 else next(margins) for n in plan.within)
        top_start.append(len(tops))
        leaves.extend(found[1 + count + sum(n >= 0 for n in plan.within) :])
        leaf_start.append(len(leaves))
    reads = [leaf.mask for plan in plans for leaf in plan.leaves]
    return Layout(
        len(line), tuple(new), _ints(roots), _ints(tops), _ints(within), _ints(top_start),
        _ints(leaves), _ints(leaf_start), _ints(reads + [plan.root.mask for plan in plans]),
    )  # fmt: skip


class Stack:
    """The stacked masks (``t`` and ``f``) of one block at a time, as many lines as the
    largest block of a pass has, allocated once per pass and written over by every block: at
    500,000 rows a block's stack is some 40 MB, and fresh memory is paid for page by page."""

    def __init__(self, blocks: Sequence[Layout], source: FrameSource) -> None:
        shape = (max((block.lines for block in blocks), default=0), source.rows.none.size)
        self.t: Bits = np.empty(shape, dtype=np.uint8)
        self.f: Bits = np.empty(shape, dtype=np.uint8)


def match_block(
    plans: Sequence[Plan],
    block: Layout,
    first: int,
    program: Program,
    run: Pass,
    source: FrameSource,
    raw: Raw,
    blame: Blame,
    values: Stacked,
    stack: Stack,
    *,
    near: bool = True,
) -> None:
    """Evaluate a block of policies (laid out as ``block``; ``first`` is the first one's index)
    into ``raw``, its masks stacked in ``stack``; the near misses too if ``near``."""
    rows = source.rows
    t, f = stack.t[: block.lines], stack.f[: block.lines]
    for i, plan in enumerate(plans):
        columns = run.conditions(first + i, plan)
        for at, line in block.new[i]:
            col = columns[at]
            tri = col if type(col) is Tri else as_tri(col, rows)
            t[line] = tri.t
            f[line] = tri.f
    roots = block.roots
    counts = raw.counts[first : first + len(plans)]
    counts[:, INELIGIBLE] = B.counts(f, roots)

    lines, unknown_rows, read = scan.unknowns(
        t, f, rows.all, roots, block.leaves, block.leaf_start, block.reads
    )
    texts = blame.texts(blame.blamed(unknown_rows, read))
    whole = Evaluator(program.nodes, source)
    grants, lost = amounts(plans, program, whole, source, values, t, roots, counts)
    if lost[0].size:
        lines = np.concatenate([lines, lost[0]])
        unknown_rows = np.concatenate([unknown_rows, lost[1]])
        texts = np.concatenate([texts, blame.texts(blame.blamed(lost[1], lost[2]))])
        # Two runs, each in (policy, row) order: a stable sort merges them in one pass.
        order = np.argsort(lines.astype(np.int64) << 32 | unknown_rows, kind="stable")
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
        _near_misses(plans, t, f, block, values, raw, first)


def _near_misses(
    plans: Sequence[Plan],
    t: Bits,
    f: Bits,
    block: Layout,
    values: Stacked,
    raw: Raw,
    first: int,
) -> None:
    """The block's near misses with their field, value, gap and ratio (see :mod:`..nearmiss`)."""
    lines, rows, which = scan.near_misses(t, f, block.tops, block.within, block.top_start)
    if lines.size == 0:
        return
    found = [th for plan in plans for th in plan.thresholds]
    n = rows.size
    # Allocated by numpy (huge pages for large arrays, see :func:`.amounts.amounts`).
    code, field = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
    value, gap, ratio = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.float64)
    _measure(
        rows,
        which,
        _ints([c for plan in plans for c in plan.top_codes]),
        _ints([values.line[th.field] if th else -1 for th in found]),
        _ints([raw.text(th.field) if th else -1 for th in found]),
        _ints([th.limit if th else 0 for th in found]),
        np.array([th is not None and th.op in (">=", ">") for th in found]),
        _ints([th.size if th else 1 for th in found]),
        values.values,
        (code, field, value, gap, ratio),
    )
    raw.add(
        raw.near, lines + first, row=rows, text=code, field=field, value=value, gap=gap,
        ratio=ratio,
    )  # fmt: skip


@compiled
def _measure(
    rows: Index,
    which: Index,
    codes: IntArray,
    lines: IntArray,
    names: IntArray,
    limit: IntArray,
    upward: BoolArray,
    size: IntArray,
    values: IntArray,
    out: tuple[Index, Index, IntArray, IntArray, npt.NDArray[np.float64]],
) -> None:
    """Per near miss (``rows``, failed condition ``which``), into ``out``: the condition's label
    code, its field's name code, the field's value (line ``lines[which]`` of ``values``), the
    gap to the limit and the gap over the limit's size."""
    code, field, value, gap, ratio = out
    for i in range(rows.size):
        w = which[i]
        code[i] = codes[w]
        field[i] = names[w]
        v = values[lines[w], rows[i]]
        value[i] = v
        g = limit[w] - v if upward[w] else v - limit[w]
        gap[i] = g
        ratio[i] = g / size[w]


def _ints(values: Sequence[int]) -> IntArray:
    return np.array(values, dtype=np.int64)
