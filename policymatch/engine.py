"""The matching API: a compiled policy set, a backend, and a typed registry frame.

::

    from policymatch import load
    from policymatch.engine import Engine

    engine = Engine(load("policies/"))
    result = engine.match(frame, as_of=date(2024, 3, 1))
    result.grants           # uscc, name, policy_id, amount (Decimal), amount_fen, tier
    result.unknown          # uscc, policy_id, fields
    result.near_miss        # uscc, policy_id, condition
    engine.explain(record, "YY-GX-2023-01", as_of=date(2024, 3, 1))

Only policies in force on the as-of date are matched. Ledger, stacking and budgets are the
disbursement round's business, not the engine's: ``match`` answers "who qualifies for what".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from .backends.base import Backend, BatchResult
from .backends.reference import Outcome, ReferenceBackend, evaluate_policy
from .rules import PolicySet, ir
from .values import Value

BACKENDS: dict[str, type] = {"reference": ReferenceBackend}


def get_backend(name: str) -> Backend:
    if name not in BACKENDS:
        raise ValueError(f"No backend '{name}' (available: {', '.join(sorted(BACKENDS))})")
    backend: Backend = BACKENDS[name]()
    return backend


@dataclass(frozen=True)
class MatchResult:
    """Who qualifies for what, on one as-of date."""

    as_of: dt.date
    policies: tuple[ir.Policy, ...]
    frame: pd.DataFrame
    batch: BatchResult

    def _with_ids(self, df: pd.DataFrame, *extra: str) -> pd.DataFrame:
        ids = self.frame["uscc"].to_numpy()[df["row"].to_numpy()] if len(df) else []
        names = self.frame["name"].to_numpy()[df["row"].to_numpy()] if len(df) else []
        out = df.copy()
        out.insert(0, "uscc", ids)
        if "name" in extra:
            out.insert(1, "name", names)
        return out

    @property
    def grants(self) -> pd.DataFrame:
        out = self._with_ids(self.batch.grants, "name")
        out["amount"] = [Decimal(int(f)) / 100 for f in out["amount_fen"]]
        return out

    @property
    def unknown(self) -> pd.DataFrame:
        return self._with_ids(self.batch.unknown)

    @property
    def near_miss(self) -> pd.DataFrame:
        return self._with_ids(self.batch.near)

    @property
    def counts(self) -> pd.DataFrame:
        return self.batch.counts


class Engine:
    """Matches one compiled policy set; pick the backend by name ("vectorized", "reference")."""

    def __init__(self, policy_set: PolicySet, backend: str | Backend = "reference") -> None:
        self.policy_set = policy_set
        self.backend = get_backend(backend) if isinstance(backend, str) else backend

    def match(self, frame: pd.DataFrame, as_of: dt.date) -> MatchResult:
        policies = self.policy_set.in_force(as_of)
        batch = self.backend.match(policies, frame, as_of, self.policy_set.schema)
        return MatchResult(as_of, policies, frame, batch)

    def explain(self, record: Mapping[str, Value], policy_id: str, as_of: dt.date) -> Outcome:
        """Every labelled condition with the values it saw, and the amount's derivation."""
        return evaluate_policy(self.policy_set.policy(policy_id), record, as_of, trace=True)
