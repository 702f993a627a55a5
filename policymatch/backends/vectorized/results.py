"""Batch results as arrays until the end: cheap to append per block and to merge per chunk.

Policy ids and the text columns (missing fields, failed condition) are kept as codes into small
tables, and :func:`to_batch` hands those codes to pandas as the contract's categoricals: a
million near misses cost a million small integers, not a million strings.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..base import COUNT_COLUMNS, GRANT_COLUMNS, NEAR_COLUMNS, UNKNOWN_COLUMNS, BatchResult
from .compiled import compiled

#: Integer columns of any width (results are stored narrow, see :data:`STORED`).
Codes = npt.NDArray[np.signedinteger[Any]]

#: No tier (an amount that is an expression): stored as -1, shown as <NA>.
NO_TIER = -1

#: How each column is stored while results accumulate: a province's near misses are tens of
#: millions of pairs, so every byte a pair saves is tens of megabytes. Row numbers widen to
#: int64 only if they outgrow int32 (see :func:`_rows`).
STORED: dict[str, type[np.number[Any]]] = {
    "pid": np.int16,
    "text": np.int32,
    "fen": np.int64,
    "tier": np.int16,
    "field": np.int32,
    "value": np.int64,
    "gap": np.int64,
    "ratio": np.float64,
}

#: The near-miss columns after row and policy, as :data:`..base.NEAR_COLUMNS` names them.
NEAR = {"text": "condition", "field": "field", "value": "value", "gap": "gap", "ratio": "ratio"}


@dataclass
class Raw:
    """Sparse results of one batch; rows are positions in the batch (see :meth:`shifted`)."""

    policy_ids: tuple[str, ...]
    texts: list[str] = field(default_factory=list)
    grants: dict[str, list[Codes]] = field(
        default_factory=lambda: {"row": [], "pid": [], "fen": [], "tier": []}
    )
    unknown: dict[str, list[Codes]] = field(
        default_factory=lambda: {"row": [], "pid": [], "text": []}
    )
    near: dict[str, list[Codes]] = field(
        default_factory=lambda: {"row": [], "pid": [], **{name: [] for name in NEAR}}
    )
    counts: npt.NDArray[np.int64] = field(init=False)
    _codes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = np.zeros((len(self.policy_ids), len(COUNT_COLUMNS) - 1), dtype=np.int64)
        self._codes = {text: i for i, text in enumerate(self.texts)}

    def text(self, value: str) -> int:
        code = self._codes.get(value)
        if code is None:
            code = self._codes[value] = len(self.texts)
            self.texts.append(value)
        return code

    def add(
        self, part: dict[str, list[Codes]], pids: Codes, **columns: npt.NDArray[np.number[Any]]
    ) -> None:
        """Append pairs: ``pids`` are policy indexes, ``columns`` the part's other columns."""
        if pids.size == 0:
            return
        part["pid"].append(pids.astype(self._pid_type, copy=False))
        for name, values in columns.items():
            part[name].append(
                _rows(cast(Codes, values))
                if name == "row"
                else values.astype(STORED[name], copy=False)
            )

    @property
    def _pid_type(self) -> type[np.signedinteger[Any]]:
        return np.int16 if len(self.policy_ids) < 2**15 else np.int32

    def shifted(self, offset: int) -> Raw:
        """The same results with rows counted from ``offset`` (a chunk's first row)."""
        out = Raw(self.policy_ids, list(self.texts))
        out.counts = self.counts.copy()
        for mine, theirs in (
            (self.grants, out.grants),
            (self.unknown, out.unknown),
            (self.near, out.near),
        ):
            for name, arrays in mine.items():
                # In int64: the rows of a late chunk of a large registry outgrow int32.
                theirs[name] = (
                    [_rows(a.astype(np.int64) + offset) for a in arrays]
                    if name == "row"
                    else list(arrays)
                )
        return out


def _rows(rows: Codes) -> Codes:
    """Row numbers as int32 while they fit (they are positions in one chunk, usually)."""
    fits = rows.size == 0 or int(rows.max()) < 2**31
    out: Codes = rows.astype(np.int32 if fits else np.int64, copy=False)
    return out


def merge(parts: Sequence[Raw], policy_ids: tuple[str, ...]) -> Raw:
    """One result from the results of consecutive chunks (rows already shifted)."""
    out = Raw(policy_ids)
    for part in parts:
        if part.policy_ids != policy_ids:
            raise ValueError("chunks were matched against different policy sets")
        remap = np.array([out.text(t) for t in part.texts], dtype=np.int32)
        # Codes below ``same`` mean the same text in both tables (the labels of the program
        # come first in every table): arrays of such codes are shared, not copied.
        same = int(np.argmin(np.append(remap == np.arange(remap.size), False)))
        out.counts += part.counts
        for mine, theirs in (
            (part.grants, out.grants),
            (part.unknown, out.unknown),
            (part.near, out.near),
        ):
            for name, arrays in mine.items():
                theirs[name].extend(
                    remap[a] if name in ("text", "field") and int(a.max()) >= same else a
                    for a in arrays
                )
    return out


def labels(table: Sequence[str], codes: Codes) -> pd.Categorical:
    """``table[codes]`` as the contract's categorical: the values present, sorted, as categories."""
    present = np.flatnonzero(_marked(codes, len(table)))
    names = sorted((table[int(i)], int(i)) for i in present)
    # The narrowest codes pandas itself would choose, so that from_codes keeps this array.
    rank = np.empty(len(table), dtype=np.min_scalar_type(-max(present.size, 1)))
    rank[[i for _, i in names]] = np.arange(present.size)
    dtype = pd.CategoricalDtype(pd.Index([name for name, _ in names], dtype="str"))
    if (
        present.size == rank.size
        and rank.dtype == codes.dtype
        and (rank == np.arange(rank.size)).all()
    ):
        # Every value present and the table sorted (the policy ids of a dense set): the codes
        # are the categories' already.
        return pd.Categorical.from_codes(codes, dtype=dtype)
    # Allocated by numpy (huge pages for large arrays, see :func:`.amounts.amounts`).
    out = cast(Codes, np.empty(codes.size, dtype=rank.dtype))
    _take(rank, codes, out)
    return pd.Categorical.from_codes(out, dtype=dtype)


# Compiled: numpy's fancy indexing first copies narrow codes to int64 indexes, hundreds of
# megabytes for a province's near misses, and is five times slower on the way.
@compiled
def _marked(codes: Codes, size: int) -> npt.NDArray[np.bool_]:
    """Which of ``0 .. size - 1`` occur in ``codes``."""
    out = np.zeros(size, dtype=np.bool_)
    for c in codes:
        out[c] = True
    return out


@compiled
def _take(table: Codes, codes: Codes, out: Codes) -> None:
    """``out[:] = table[codes]``."""
    for i in range(codes.size):
        out[i] = table[codes[i]]


def _tiers(tier: npt.NDArray[np.int16]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The tier column's values (0 where none) and its mask of :data:`NO_TIER`."""
    values = np.empty(tier.size, dtype=np.int64)
    none = np.empty(tier.size, dtype=np.bool_)
    _tiers_into(tier, values, none)
    return values, none


@compiled
def _tiers_into(
    tier: npt.NDArray[np.int16], values: npt.NDArray[np.int64], none: npt.NDArray[np.bool_]
) -> None:
    """:func:`_tiers` in one pass, into ``values`` and ``none``."""
    for i in range(tier.size):
        t = tier[i]
        none[i] = t == NO_TIER
        values[i] = 0 if t == NO_TIER else t


def compile_code_widths() -> None:
    """Compile the loops of :func:`labels` for every width of codes a run can hand them (a
    small match meets only some: a run with more than 127 distinct labels needs int16 ranks),
    so that no user's run compiles one (see :mod:`.warm`)."""
    for codes in (np.int16, np.int32, np.int64):
        _marked(np.zeros(1, dtype=codes), 1)
        for rank in (np.int8, np.int16, np.int32, np.int64):
            _take(np.zeros(1, dtype=rank), np.zeros(1, dtype=codes), np.zeros(1, dtype=rank))


class _Columns:
    """The columns of one part, in (policy id, row) order, one at a time.

    The stored arrays are runs in that order: one batch's blocks follow each other in policy
    order, and :func:`merge` appends the runs of consecutive chunks. Runs that follow each other
    are concatenated; the runs of several chunks are interleaved policy by policy, by slices,
    so that no sort and no index array as long as the result is ever made. With ``release``,
    a column's stored arrays are let go as soon as it is built.
    """

    def __init__(self, part: dict[str, list[Codes]], release: bool) -> None:
        self.part = part
        self.release = release
        pids = part["pid"]
        self.pieces: list[tuple[int, int, int]] | None = None
        if pids and not all(int(a[-1]) <= int(b[0]) for a, b in itertools.pairwise(pids)):
            count = max(int(p[-1]) for p in pids) + 1
            bounds = [np.searchsorted(p, np.arange(count + 1)) for p in pids]
            self.pieces = [
                (i, int(b[pid]), int(b[pid + 1]))
                for pid in range(count)
                for i, b in enumerate(bounds)
                if b[pid] < b[pid + 1]
            ]

    def get(self, name: str, dtype: type[np.number[Any]] | None = None) -> Codes:
        """The column ``name`` (as ``dtype``, in the same pass, if given)."""
        arrays = self.part[name]
        if not arrays:
            out: Codes = np.empty(0, dtype=dtype or np.int64)
        elif self.pieces is None:
            out = np.concatenate(arrays, dtype=dtype)
        else:
            out = np.concatenate([arrays[i][lo:hi] for i, lo, hi in self.pieces], dtype=dtype)
        if self.release:
            self.part[name] = []
        return out


def _frame(part: dict[str, list[Codes]], raw: Raw, text: str | None, release: bool) -> pd.DataFrame:
    """One result frame, built column by column so that little is held twice."""
    c = _Columns(part, release)
    out: dict[str, object] = {
        "policy_id": labels(raw.policy_ids, c.get("pid")),
        "row": c.get("row", np.int64),
    }
    if text == "condition":
        for name, column in NEAR.items():
            values = c.get(name, STORED[name] if name in ("value", "gap", "ratio") else None)
            out[column] = labels(raw.texts, values) if name in ("text", "field") else values
    elif text is not None:
        out[text] = labels(raw.texts, c.get("text"))
    else:
        out["amount_fen"] = c.get("fen")
        out["tier"] = pd.arrays.IntegerArray(*_tiers(c.get("tier", np.int16)))
    if release:
        part["pid"] = []
    columns = {None: GRANT_COLUMNS, "fields": UNKNOWN_COLUMNS, "condition": NEAR_COLUMNS}[text]
    return pd.DataFrame({name: out[name] for name in columns}, copy=False)


def to_batch(raw: Raw, *, release: bool = False) -> BatchResult:
    """The result frames of ``raw``; with ``release``, ``raw`` is emptied on the way (its arrays
    are let go as soon as the frames have them: the peak memory of a province's near misses)."""
    return BatchResult(
        grants=_frame(raw.grants, raw, None, release),
        unknown=_frame(raw.unknown, raw, "fields", release),
        near=_frame(raw.near, raw, "condition", release),
        counts=pd.DataFrame(
            {
                "policy_id": labels(raw.policy_ids, np.arange(len(raw.policy_ids))),
                **{name: raw.counts[:, i] for i, name in enumerate(COUNT_COLUMNS[1:])},
            }
        ),
    )
