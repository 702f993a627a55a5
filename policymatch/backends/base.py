"""What a batch backend returns: sparse per-(enterprise, policy) results as DataFrames.

Eligible and unknown pairs are listed; ineligible pairs are only counted (a registry of 5
million rows against 200 policies has a billion pairs, nearly all of them "no"). Positions
are 0-based row numbers of the typed registry frame that was matched.

``grants``   row, policy_id, amount_fen (int64, after cap and half-up rounding), tier (Int64)
``unknown``  row, policy_id, fields (comma-separated field names, sorted)
``near``     row, policy_id, condition (label of the one top-level condition that failed, a
             threshold: see :mod:`.nearmiss`), field (the field it compares), value and gap
             (int64, the value and its distance to the threshold in the field's frame unit:
             fen, millionths, whole units, days since 1970-01-01 / days), ratio (float64, the
             gap over the threshold's size); empty if the backend was told not to look
             (``VectorizedBackend(near_misses=False)``)
``counts``   policy_id, eligible, unknown, ineligible, zero (eligible but amount <= 0)

Every frame is sorted by policy_id, then row. The text columns (policy_id, fields, condition, field)
are pandas categoricals whose categories are the values present, sorted: a province's registry
has tens of millions of near misses that repeat a few hundred labels, and a category code is a
byte or two where a string is some thirty (see docs/batch-core.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from ..rules import ir
from ..schema import Schema

GRANT_COLUMNS = ("row", "policy_id", "amount_fen", "tier")
UNKNOWN_COLUMNS = ("row", "policy_id", "fields")
NEAR_COLUMNS = ("row", "policy_id", "condition", "field", "value", "gap", "ratio")
COUNT_COLUMNS = ("policy_id", "eligible", "unknown", "ineligible", "zero")

#: Column dtypes of the four frames, empty or not (pandas infers ``object`` for empty text).
DTYPES: dict[str, dict[str, str]] = {
    "grants": {"row": "int64", "policy_id": "category", "amount_fen": "int64", "tier": "Int64"},
    "unknown": {"row": "int64", "policy_id": "category", "fields": "category"},
    "near": {
        "row": "int64",
        "policy_id": "category",
        "condition": "category",
        "field": "category",
        "value": "int64",
        "gap": "int64",
        "ratio": "float64",
    },
    "counts": {"policy_id": "category", **dict.fromkeys(COUNT_COLUMNS[1:], "int64")},
}


@dataclass(frozen=True)
class BatchResult:
    grants: pd.DataFrame
    unknown: pd.DataFrame
    near: pd.DataFrame
    counts: pd.DataFrame


class Backend(Protocol):
    """A batch backend: the in-force policies against a typed frame."""

    name: str

    def match(
        self, policies: Sequence[ir.Policy], frame: pd.DataFrame, as_of: dt.date, schema: Schema
    ) -> BatchResult: ...


def sort_result(result: BatchResult) -> BatchResult:
    """The canonical order every backend returns (so results compare with ``==``)."""

    def order(df: pd.DataFrame, keys: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
        # Through str first, so that the categories of an empty column are str like any other.
        text = {c: "str" for c, t in dtypes.items() if t == "category"}
        typed = df.astype(text).astype(dtypes)
        return typed.sort_values(keys, kind="stable").reset_index(drop=True)

    return BatchResult(
        grants=order(result.grants, ["policy_id", "row"], DTYPES["grants"]),
        unknown=order(result.unknown, ["policy_id", "row"], DTYPES["unknown"]),
        near=order(result.near, ["policy_id", "row"], DTYPES["near"]),
        counts=order(result.counts, ["policy_id"], DTYPES["counts"]),
    )
