"""Results of the public API as tables with explicit names and units.

Every money column says its unit: ``amount_fen`` (int, exact fen) and ``amount_yuan``
(:class:`~decimal.Decimal`, two places), never one name for both. ``eligible`` means "qualifies
and is due an amount" (the match, before the ledger, stacking and budgets); ``granted`` means
"paid by this round" (after them). Tiers are numbered from 1, as in the policy files and the
explanations; enterprises are identified by their USCC, not by a position.

Each result is a pandas DataFrame (``.eligible``, ``.granted`` ...) and an Arrow table
(:meth:`to_arrow`, ``amount_yuan`` as ``decimal128(20, 2)``); polars reads the Arrow table
(``polars.from_arrow``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:
    from .engine import MatchResult
    from .rounds.draft import Draft
    from .rules import ir

YUAN = pa.decimal128(20, 2)


def yuan(fen: int) -> Decimal:
    """Exact yuan of an amount in fen (two places)."""
    return Decimal(int(fen)).scaleb(-2)


def _yuan_column(fen: Sequence[int]) -> list[Decimal]:
    return [yuan(f) for f in fen]


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as Arrow: Decimal money as decimal128, categoricals as plain strings."""
    columns: dict[str, pa.Array] = {}
    for name in frame.columns:
        col = frame[name]
        if name.endswith("_yuan"):
            columns[name] = pa.array(list(col), YUAN)
        elif isinstance(col.dtype, pd.CategoricalDtype):
            columns[name] = pa.array(col.astype(object).tolist(), pa.string())
        else:
            columns[name] = pa.array(col, from_pandas=True)
    return pa.table(columns)


@dataclass(frozen=True)
class Matches:
    """Who qualifies for what on ``as_of`` (before ledger, stacking and budgets)."""

    as_of: dt.date
    result: MatchResult

    @property
    def policies(self) -> tuple[ir.Policy, ...]:
        """The policies in force on ``as_of``: the ones matched."""
        return self.result.policies

    @property
    def eligible(self) -> pd.DataFrame:
        """uscc, name, policy_id, tier (from 1; null for an amount without tiers),
        amount_fen, amount_yuan: the amount computed (after cap, half-up to the fen)."""
        g = self.result.grants
        return pd.DataFrame(
            {
                "uscc": g["uscc"].astype(object),
                "name": g["name"].astype(object),
                "policy_id": g["policy_id"].astype(object),
                "tier": (g["tier"] + 1).astype("Int64"),
                "amount_fen": g["amount_fen"].astype("int64"),
                "amount_yuan": _yuan_column(g["amount_fen"]),
            }
        ).reset_index(drop=True)

    @property
    def unknown(self) -> pd.DataFrame:
        """uscc, policy_id, missing_fields (comma-separated field names): data decides."""
        u = self.result.unknown
        return pd.DataFrame(
            {
                "uscc": u["uscc"].astype(object),
                "policy_id": u["policy_id"].astype(object),
                "missing_fields": u["fields"].astype(object),
            }
        ).reset_index(drop=True)

    @property
    def near_miss(self) -> pd.DataFrame:
        """uscc, policy_id and the near-miss columns of the batch core (one condition short)."""
        n = self.result.near_miss.drop(columns=["row"])
        return n.astype({c: object for c in n.columns if c != "uscc"}).reset_index(drop=True)

    @property
    def counts(self) -> pd.DataFrame:
        """Per policy: eligible, unknown, ineligible, zero (eligible, amount <= 0)."""
        return self.result.counts.astype({"policy_id": object}).reset_index(drop=True)

    def to_arrow(self, table: str = "eligible") -> pa.Table:
        """One of ``eligible``, ``unknown``, ``near_miss``, ``counts`` as an Arrow table."""
        return _arrow(_table(self, table, ("eligible", "unknown", "near_miss", "counts")))


@dataclass(frozen=True)
class RoundResult:
    """A round in memory: what it pays (after ledger, stacking and budgets), nothing written.

    ``granted``: paid in this round (免申即享); ``push``: due under a 即申即享 or 承诺兑现
    policy, on the push list (not paid by the round); ``excluded``: eligible but not paid, and
    why (``reason`` a stable code, ``reason_text`` in Chinese); ``funds``: each fund's budget,
    demand and grants. ``eligible`` is the match before any of this.
    """

    draft: Draft

    @property
    def as_of(self) -> dt.date:
        return self.draft.as_of

    @property
    def eligible(self) -> pd.DataFrame:
        return Matches(self.draft.as_of, self.draft.match).eligible

    def _names(self, rows: Sequence[int]) -> list[Any]:
        names = self.draft.match.frame["name"].to_numpy(dtype=object)
        return [None if names[r] is None else str(names[r]) for r in rows]

    @property
    def granted(self) -> pd.DataFrame:
        """uscc, name, policy_id, fund, demand_fen, demand_yuan (computed), amount_fen,
        amount_yuan (paid by this round: less than demand when a budget scaled it)."""
        grants = self.draft.allocation.grants
        cands = [g.candidate for g in grants]
        return pd.DataFrame(
            {
                "uscc": [c.uscc for c in cands],
                "name": self._names([c.row for c in cands]),
                "policy_id": [c.policy_id for c in cands],
                "fund": [self.draft.terms[c.policy_id].fund for c in cands],
                "demand_fen": pd.Series([c.demand_fen for c in cands], dtype="int64"),
                "demand_yuan": _yuan_column([c.demand_fen for c in cands]),
                "amount_fen": pd.Series([g.amount_fen for g in grants], dtype="int64"),
                "amount_yuan": _yuan_column([g.amount_fen for g in grants]),
            },
            columns=[
                "uscc",
                "name",
                "policy_id",
                "fund",
                "demand_fen",
                "demand_yuan",
                "amount_fen",
                "amount_yuan",
            ],
        )

    @property
    def push(self) -> pd.DataFrame:
        """uscc, name, policy_id, mode, demand_fen, demand_yuan: on the push list."""
        cands = self.draft.allocation.push
        return pd.DataFrame(
            {
                "uscc": [c.uscc for c in cands],
                "name": self._names([c.row for c in cands]),
                "policy_id": [c.policy_id for c in cands],
                "mode": [self.draft.terms[c.policy_id].mode.value for c in cands],
                "demand_fen": pd.Series([c.demand_fen for c in cands], dtype="int64"),
                "demand_yuan": _yuan_column([c.demand_fen for c in cands]),
            },
            columns=["uscc", "name", "policy_id", "mode", "demand_fen", "demand_yuan"],
        )

    @property
    def excluded(self) -> pd.DataFrame:
        """uscc, policy_id, demand_fen, demand_yuan, reason, reason_text, other (the other
        policy of a stacking group, or the ledger round that already paid)."""
        from .rounds.allocate import REASON_TEXT

        rows = self.draft.allocation.excluded
        return pd.DataFrame(
            {
                "uscc": [e.candidate.uscc for e in rows],
                "policy_id": [e.candidate.policy_id for e in rows],
                "demand_fen": pd.Series([e.candidate.demand_fen for e in rows], dtype="int64"),
                "demand_yuan": _yuan_column([e.candidate.demand_fen for e in rows]),
                "reason": [e.reason.value for e in rows],
                "reason_text": [REASON_TEXT[e.reason] for e in rows],
                "other": [e.other or None for e in rows],
            },
            columns=[
                "uscc",
                "policy_id",
                "demand_fen",
                "demand_yuan",
                "reason",
                "reason_text",
                "other",
            ],
        )

    @property
    def funds(self) -> pd.DataFrame:
        """fund, budget_fen (null: no budget), demand_fen, granted_fen and their yuan."""
        uses = self.draft.allocation.fund_budgets
        return pd.DataFrame(
            {
                "fund": [u.id for u in uses],
                "budget_fen": pd.Series([u.budget_fen for u in uses], dtype="Int64"),
                "budget_yuan": [None if u.budget_fen is None else yuan(u.budget_fen) for u in uses],
                "demand_fen": pd.Series([u.demand_fen for u in uses], dtype="int64"),
                "demand_yuan": _yuan_column([u.demand_fen for u in uses]),
                "granted_fen": pd.Series([u.granted_fen for u in uses], dtype="int64"),
                "granted_yuan": _yuan_column([u.granted_fen for u in uses]),
            },
            columns=[
                "fund",
                "budget_fen",
                "budget_yuan",
                "demand_fen",
                "demand_yuan",
                "granted_fen",
                "granted_yuan",
            ],
        )

    @property
    def set_aside(self) -> pd.DataFrame:
        """Registry rows set aside: row (as the user finds it), uscc, reason."""
        rejected = self.draft.registry.rejected
        return pd.DataFrame(
            {
                "row": pd.Series([r.row for r in rejected], dtype="int64"),
                "uscc": [r.uscc for r in rejected],
                "reason": [r.reason for r in rejected],
            },
            columns=["row", "uscc", "reason"],
        )

    @property
    def total_granted_yuan(self) -> Decimal:
        return yuan(sum(g.amount_fen for g in self.draft.allocation.grants))

    def to_arrow(self, table: str = "granted") -> pa.Table:
        """One of ``granted``, ``push``, ``excluded``, ``funds``, ``eligible``, ``set_aside``."""
        names = ("granted", "push", "excluded", "funds", "eligible", "set_aside")
        return _arrow(_table(self, table, names))


def _table(result: object, name: str, names: Sequence[str]) -> pd.DataFrame:
    from .errors import UsageError, simple

    if name not in names:
        raise UsageError(
            [simple("PM612", f"no table '{name}' in this result (tables: {', '.join(names)})")]
        )
    frame: pd.DataFrame = getattr(result, name)
    return frame
