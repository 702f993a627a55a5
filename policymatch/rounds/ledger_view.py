"""Read-only views of the ledger: the rounds committed, their grants, and the pool's use.

Nothing here writes: the ledger is changed only by ``policymatch commit``. An absent ledger
(no file, or a database without the ``pm_`` tables) is an empty one. Money in fen (int) and in
yuan (Decimal), as everywhere in the public API (:mod:`policymatch.results`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from ..results import _arrow, _table, yuan
from .ledger import Ledger, grants_table, rounds_table


@dataclass(frozen=True)
class LedgerView:
    """What the ledger holds, read once (``policymatch.read_ledger``)."""

    source: str
    rounds: pd.DataFrame
    grants: pd.DataFrame

    @property
    def pool(self) -> pd.DataFrame:
        """Per fund and calendar year of the as-of date: grants, amount_fen, amount_yuan paid."""
        g = self.grants
        if g.empty:
            return pd.DataFrame(
                {
                    "fund": pd.Series([], dtype=object),
                    "year": pd.Series([], dtype="int64"),
                    "grants": pd.Series([], dtype="int64"),
                    "amount_fen": pd.Series([], dtype="int64"),
                    "amount_yuan": pd.Series([], dtype=object),
                }
            )
        out = (
            g.groupby(["fund", "year"], as_index=False)
            .agg(grants=("amount_fen", "size"), amount_fen=("amount_fen", "sum"))
            .sort_values(["fund", "year"])
            .reset_index(drop=True)
        )
        out["amount_yuan"] = [yuan(f) for f in out["amount_fen"]]
        return out

    def to_arrow(self, table: str = "grants") -> pa.Table:
        """One of ``rounds``, ``grants``, ``pool`` as an Arrow table."""
        return _arrow(_table(self, table, ("rounds", "grants", "pool")))


ROUND_COLUMNS = (
    "round_id",
    "as_of",
    "committed_at",
    "grants",
    "amount_fen",
    "policy_set_sha256",
    "registry_sha256",
    "software_version",
    "folder",
)
GRANT_COLUMNS = (
    "round_id",
    "policy_id",
    "uscc",
    "name",
    "fund",
    "period",
    "year",
    "as_of",
    "frequency",
    "stacking_group",
    "demand_fen",
    "amount_fen",
)


def _read(
    ledger: Ledger, table: sa.Table, columns: tuple[str, ...], order: list[str]
) -> pd.DataFrame:
    if not ledger._exists():
        rows: list[tuple[object, ...]] = []
    else:
        query = sa.select(*(table.c[n] for n in columns)).order_by(*(table.c[n] for n in order))
        with ledger.engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(query)]
    frame = pd.DataFrame(rows, columns=list(columns))
    for name in ("grants", "amount_fen", "demand_fen", "year"):
        if name in frame:
            frame[name] = frame[name].astype("int64")
    for name in ("demand_fen", "amount_fen"):
        if name in frame:
            frame[name.replace("_fen", "_yuan")] = [yuan(f) for f in frame[name]]
    return frame


def read_ledger(target: str) -> LedgerView:
    """The ledger at ``target`` (a SQLite file path or a SQLAlchemy URL), read once."""
    ledger = Ledger(target)
    try:
        rounds = _read(ledger, rounds_table, ROUND_COLUMNS, ["committed_at", "round_id"])
        grants = _read(ledger, grants_table, GRANT_COLUMNS, ["round_id", "policy_id", "uscc"])
    except SQLAlchemyError as exc:
        raise ledger._error("cannot read", exc) from exc
    finally:
        ledger.dispose()
    return LedgerView(ledger.display, rounds, grants)
