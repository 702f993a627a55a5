"""Batch results as arrays until the end: cheap to append per block and to merge per chunk.

Policy ids and the text columns (missing fields, failed condition) are kept as codes into small
tables, and :func:`to_batch` hands those codes to pandas as the contract's categoricals: a
million near misses cost a million small integers, not a million strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..base import COUNT_COLUMNS, BatchResult

#: Integer columns of any width (results are stored narrow, see :data:`STORED`).
Codes = npt.NDArray[np.signedinteger[Any]]

#: No tier (an amount that is an expression): stored as -1, shown as <NA>.
NO_TIER = -1

#: How each column is stored while results accumulate: a province's near misses are tens of
#: millions of pairs, so every byte a pair saves is tens of megabytes. Row numbers widen to
#: int64 only if they outgrow int32 (see :func:`_rows`).
STORED: dict[str, type[np.signedinteger[Any]]] = {
    "pid": np.int16,
    "text": np.int32,
    "fen": np.int64,
    "tier": np.int16,
}


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
    near: dict[str, list[Codes]] = field(default_factory=lambda: {"row": [], "pid": [], "text": []})
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

    def add(self, part: dict[str, list[Codes]], pids: Codes, **columns: Codes) -> None:
        """Append pairs: ``pids`` are policy indexes, ``columns`` the part's other columns."""
        if pids.size == 0:
            return
        part["pid"].append(pids.astype(self._pid_type))
        for name, values in columns.items():
            part[name].append(_rows(values) if name == "row" else values.astype(STORED[name]))

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
                theirs[name] = (
                    [_rows(a + offset) for a in arrays] if name == "row" else list(arrays)
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
        out.counts += part.counts
        for mine, theirs in (
            (part.grants, out.grants),
            (part.unknown, out.unknown),
            (part.near, out.near),
        ):
            for name, arrays in mine.items():
                theirs[name].extend(remap[a] if name == "text" else a for a in arrays)
    return out


def _column(part: dict[str, list[Codes]], name: str) -> Codes:
    arrays = part[name]
    return np.concatenate(arrays) if arrays else np.empty(0, dtype=np.int64)


def labels(table: Sequence[str], codes: Codes) -> pd.Categorical:
    """``table[codes]`` as the contract's categorical: the values present, sorted, as categories."""
    present = np.flatnonzero(np.bincount(codes, minlength=len(table)))
    names = sorted((table[int(i)], int(i)) for i in present)
    rank = np.empty(len(table), dtype=np.int16 if present.size < 2**15 else np.int32)
    rank[[i for _, i in names]] = np.arange(present.size)
    dtype = pd.CategoricalDtype(pd.Index([name for name, _ in names], dtype="str"))
    return pd.Categorical.from_codes(rank[codes], dtype=dtype)


def _columns(part: dict[str, list[Codes]]) -> dict[str, Codes]:
    """The columns of one part, in (policy id, row) order."""
    columns = {name: _column(part, name) for name in part}
    pid, row = columns["pid"], columns["row"]
    if pid.size < 2 or not np.any(pid[1:] < pid[:-1]):
        return columns  # one batch, or policy shards, are in order already
    # Consecutive chunks: each is in order, so a stable sort on the policy alone (a radix sort
    # of small integers) keeps every policy's rows ascending.
    order = np.argsort(pid, kind="stable")
    row = row[order]
    if np.any((pid[order][1:] == pid[order][:-1]) & (row[1:] < row[:-1])):
        order = np.lexsort((columns["row"], pid))  # chunks out of order: sort it all
    return {name: values[order] for name, values in columns.items()}


def _frame(part: dict[str, list[Codes]], raw: Raw, text: str | None) -> pd.DataFrame:
    """One result frame; the columns of the contract, and nothing held longer than needed."""
    c = _columns(part)
    out: dict[str, object] = {
        "row": c["row"].astype(np.int64),
        "policy_id": labels(raw.policy_ids, c["pid"]),
    }
    if text is not None:
        out[text] = labels(raw.texts, c["text"])
    else:
        tier = c["tier"]
        out["amount_fen"] = c["fen"]
        out["tier"] = pd.arrays.IntegerArray(
            np.where(tier == NO_TIER, 0, tier).astype(np.int64), tier == NO_TIER
        )
    return pd.DataFrame(out, copy=False)


def to_batch(raw: Raw) -> BatchResult:
    return BatchResult(
        grants=_frame(raw.grants, raw, None),
        unknown=_frame(raw.unknown, raw, "fields"),
        near=_frame(raw.near, raw, "condition"),
        counts=pd.DataFrame(
            {
                "policy_id": labels(raw.policy_ids, np.arange(len(raw.policy_ids))),
                **{name: raw.counts[:, i] for i, name in enumerate(COUNT_COLUMNS[1:])},
            }
        ),
    )
