"""Batch results as arrays until the end: cheap to append per block and to merge per chunk.

Policy ids and the text columns (missing fields, failed condition) are kept as codes into small
tables, and :func:`to_batch` hands those codes to pandas as the contract's categoricals: a
million near misses cost a million small integers, not a million strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..base import COUNT_COLUMNS, BatchResult
from .bits import IntArray

#: No tier (an amount that is an expression): stored as -1, shown as <NA>.
NO_TIER = -1


@dataclass
class Raw:
    """Sparse results of one batch; rows are positions in the batch (see :meth:`shifted`)."""

    policy_ids: tuple[str, ...]
    texts: list[str] = field(default_factory=list)
    grants: dict[str, list[IntArray]] = field(
        default_factory=lambda: {"row": [], "pid": [], "fen": [], "tier": []}
    )
    unknown: dict[str, list[IntArray]] = field(
        default_factory=lambda: {"row": [], "pid": [], "text": []}
    )
    near: dict[str, list[IntArray]] = field(
        default_factory=lambda: {"row": [], "pid": [], "text": []}
    )
    counts: npt.NDArray[np.int64] = field(init=False)
    _codes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = np.zeros((len(self.policy_ids), len(COUNT_COLUMNS) - 1), dtype=np.int64)

    def text(self, value: str) -> int:
        code = self._codes.get(value)
        if code is None:
            code = self._codes[value] = len(self.texts)
            self.texts.append(value)
        return code

    def add(self, part: dict[str, list[IntArray]], pids: IntArray, **columns: IntArray) -> None:
        """Append pairs: ``pids`` are policy indexes, ``columns`` the part's other columns."""
        if pids.size == 0:
            return
        part["pid"].append(pids)
        for name, values in columns.items():
            part[name].append(np.asarray(values, dtype=np.int64))

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
                theirs[name] = [a + offset for a in arrays] if name == "row" else list(arrays)
        return out


def merge(parts: Sequence[Raw], policy_ids: tuple[str, ...]) -> Raw:
    """One result from the results of consecutive chunks (rows already shifted)."""
    out = Raw(policy_ids)
    for part in parts:
        if part.policy_ids != policy_ids:
            raise ValueError("chunks were matched against different policy sets")
        remap = np.array([out.text(t) for t in part.texts], dtype=np.int64)
        out.counts += part.counts
        for mine, theirs in (
            (part.grants, out.grants),
            (part.unknown, out.unknown),
            (part.near, out.near),
        ):
            for name, arrays in mine.items():
                theirs[name].extend(remap[a] if name == "text" else a for a in arrays)
    return out


def _column(part: dict[str, list[IntArray]], name: str) -> IntArray:
    arrays = part[name]
    return np.concatenate(arrays) if arrays else np.empty(0, dtype=np.int64)


def labels(table: Sequence[str], codes: IntArray) -> pd.Categorical:
    """``table[codes]`` as the contract's categorical: the values present, sorted, as categories."""
    present = np.flatnonzero(np.bincount(codes, minlength=len(table)))
    names = sorted((table[int(i)], int(i)) for i in present)
    rank = np.empty(len(table), dtype=np.int64)
    rank[[i for _, i in names]] = np.arange(present.size)
    dtype = pd.CategoricalDtype(pd.Index([name for name, _ in names], dtype="str"))
    return pd.Categorical.from_codes(rank[codes] if codes.size else codes, dtype=dtype)


def _frame(part: dict[str, list[IntArray]]) -> dict[str, IntArray]:
    """The columns of one part, in (policy id, row) order."""
    columns = {name: _column(part, name) for name in part}
    pid, row = columns["pid"], columns["row"]
    # Within one batch the order is already right; merged chunks interleave policies.
    if pid.size and (
        np.any(pid[1:] < pid[:-1]) or np.any((pid[1:] == pid[:-1]) & (row[1:] < row[:-1]))
    ):
        order = np.lexsort((row, pid))
        columns = {name: values[order] for name, values in columns.items()}
    return columns


def to_batch(raw: Raw) -> BatchResult:
    g = _frame(raw.grants)
    u = _frame(raw.unknown)
    n = _frame(raw.near)
    tier = g["tier"]
    return BatchResult(
        grants=pd.DataFrame(
            {
                "row": g["row"],
                "policy_id": labels(raw.policy_ids, g["pid"]),
                "amount_fen": g["fen"],
                "tier": pd.arrays.IntegerArray(np.where(tier == NO_TIER, 0, tier), tier == NO_TIER),
            }
        ),
        unknown=pd.DataFrame(
            {
                "row": u["row"],
                "policy_id": labels(raw.policy_ids, u["pid"]),
                "fields": labels(raw.texts, u["text"]),
            }
        ),
        near=pd.DataFrame(
            {
                "row": n["row"],
                "policy_id": labels(raw.policy_ids, n["pid"]),
                "condition": labels(raw.texts, n["text"]),
            }
        ),
        counts=pd.DataFrame(
            {
                "policy_id": labels(raw.policy_ids, np.arange(len(raw.policy_ids))),
                **{name: raw.counts[:, i] for i, name in enumerate(COUNT_COLUMNS[1:])},
            }
        ),
    )
