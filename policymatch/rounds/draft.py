"""A draft round in memory: the registry matched and allocated, nothing written yet.

:func:`draft_round` is pure: the same policy set, registry, as-of date and ledger history give
the same :class:`Draft`. Writing it is :mod:`policymatch.rounds.round`'s job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from ..backends.base import Backend
from ..errors import RegistryError, simple
from ..rules import PolicySet
from .allocate import Allocation, Candidate, Paid, Terms, allocate, budget_fen, capped
from .held import unpayable_rows
from .progress import Progress

if TYPE_CHECKING:
    from ..engine import MatchResult


class RejectedLike(Protocol):
    @property
    def row(self) -> int: ...
    @property
    def uscc(self) -> str | None: ...
    @property
    def reason(self) -> str: ...


class RegistryInput(Protocol):
    """What a round needs of a registry read (``policymatch.registry.load.RegistryLoad``)."""

    @property
    def frame(self) -> pd.DataFrame: ...
    @property
    def rejected(self) -> Sequence[RejectedLike]: ...
    @property
    def rows_read(self) -> int: ...
    @property
    def source(self) -> str: ...
    @property
    def sha256(self) -> str | None: ...
    @property
    def ignored_columns(self) -> Sequence[str]: ...
    @property
    def missing_fields(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Draft:
    """A matched and allocated round, not yet written."""

    as_of: dt.date
    policy_set: PolicySet
    registry: RegistryInput
    match: MatchResult
    terms: dict[str, Terms]
    funds: dict[str, int | None]
    allocation: Allocation
    ledger: str
    ledger_grants: int
    #: Per fund: what its pool balance and annual appropriation let the round pay out.
    limits: Mapping[str, int] = field(default_factory=dict)

    @property
    def frame(self) -> pd.DataFrame:
        return self.registry.frame


def policy_terms(policy_set: PolicySet) -> dict[str, Terms]:
    return {p.id: Terms.of(p) for p in policy_set.policies}


def fund_budgets(policy_set: PolicySet) -> dict[str, int | None]:
    return {
        f.id: None if f.budget is None else budget_fen(f.budget) for f in policy_set.funds.values()
    }


def values_at(column: pd.Series, rows: Sequence[int] | np.ndarray) -> np.ndarray:
    """``column.to_numpy(dtype=object)[rows]``, without a Python object for every other row of
    the registry (there may be millions): the rows are taken first, in Arrow for Arrow data."""
    values: np.ndarray = column.take(np.asarray(rows, dtype=np.int64)).to_numpy(dtype=object)
    return values


def candidates_of(match: MatchResult) -> list[Candidate]:
    """The eligible pairs, in the order of every list (policy id, USCC, row)."""
    grants = match.batch.grants
    rows = grants["row"].to_numpy()
    table = pa.table(
        {
            "row": rows,
            "uscc": pa.array(values_at(match.frame["uscc"], rows), pa.string()),
            "policy_id": pa.array(grants["policy_id"].to_numpy(dtype=object), pa.string()),
            "amount_fen": grants["amount_fen"].to_numpy(),
        }
    ).sort_by([("policy_id", "ascending"), ("uscc", "ascending"), ("row", "ascending")])
    return list(map(Candidate, *(table.column(i).to_pylist() for i in range(4))))


def _check_unique(registry: RegistryInput) -> None:
    """One row per enterprise: a USCC twice would be paid twice (the readers set repeated
    codes aside; this guards frames that come from elsewhere)."""
    dup = registry.frame["uscc"][registry.frame["uscc"].duplicated()]
    if len(dup):
        shown = ", ".join(sorted(map(str, dup.unique()))[:5])
        raise RegistryError(
            [
                simple(
                    "PM711",
                    f"{len(dup)} enterprises appear more than once ({shown})",
                    file=registry.source,
                )
            ]
        )


def draft_round(
    policy_set: PolicySet,
    registry: RegistryInput,
    as_of: dt.date,
    history: Sequence[Paid],
    *,
    backend: str | Backend | None = None,
    ledger: str = "",
    progress: Progress | None = None,
    match: MatchResult | None = None,
    limits: Mapping[str, int] | None = None,
    due: Mapping[tuple[str, str, str], int] | None = None,
) -> Draft:
    """Match the registry and allocate: the whole round in memory.

    ``match`` is a match made elsewhere, with ``registry`` (a distributed round,
    :mod:`policymatch.distributed`, reads and matches the registry on a cluster and keeps only
    the columns the lists look up; its reader already set repeated codes aside, globally).
    ``due`` is what ``shortfall: carry`` grants still owe (:func:`.pool.carried_due`).
    ``limits`` caps funds' budgets by their pool balance (:meth:`.ledger_reads.LedgerReads.limits`).
    """
    from ..engine import Engine

    progress = progress or Progress()
    if match is None:
        _check_unique(registry)
    engine = Engine(policy_set) if backend is None else Engine(policy_set, backend)
    with progress.step("match", "匹配政策"):
        if match is None:
            match = engine.match(registry.frame, as_of)
    with progress.step("allocate", "核减与分配"):
        terms = policy_terms(policy_set)
        funds = capped(fund_budgets(policy_set), limits or {})
        candidates = candidates_of(match)
        unpayable = unpayable_rows(registry.frame, [c.row for c in candidates])
        allocation = allocate(candidates, terms, funds, history, as_of, unpayable, due)
    return Draft(
        as_of,
        policy_set,
        registry,
        match,
        terms,
        funds,
        allocation,
        ledger,
        len(history),
        dict(limits or {}),
    )
