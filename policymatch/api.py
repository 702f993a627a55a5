"""The public API: what another county system calls (``import policymatch``).

::

    import policymatch

    policies = policymatch.load("policies/")
    registry = policymatch.read_registry("registry.csv", policies)   # or a URL, or a DataFrame
    found = policymatch.match(policies, registry, "2024-03-01")
    found.eligible                      # qualifies: uscc, name, policy_id, tier, amount_fen, amount_yuan
    paid = policymatch.run_round(policies, registry, "2024-03-01", ledger="ledger.sqlite")
    paid.granted                        # paid by the round, after ledger, stacking and budgets
    why = policymatch.explain_enterprise(policies, registry, uscc, "YY-KJ-2023-04", "2024-03-01")
    why.to_dict()                       # the explanation as data (docs/json-schema.md)
    policymatch.read_ledger("ledger.sqlite").rounds

Dates are :class:`datetime.date` or ISO text (``"2024-03-01"``). Every failure is a
:class:`~policymatch.errors.PolicymatchError` subclass carrying coded diagnostics
(docs/api.md lists them). Nothing here writes a file or the ledger.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError, simple
from .rules import PolicySet, compile_policy_set

if TYPE_CHECKING:
    import pandas as pd

    from .backends.base import Backend
    from .explain import Explanation
    from .registry.load import RegistryLoad
    from .results import Matches, RoundResult
    from .rounds.ledger_view import LedgerView

#: A policy set, or the folder or file to compile it from.
Policies = PolicySet | str | os.PathLike[str]


def as_date(value: dt.date | str, what: str = "as_of") -> dt.date:
    """A date, or ISO text (``"2024-03-01"``) read as one; anything else is PM610."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise UsageError(
        [simple("PM610", f"{what}: {value!r} is not a date (a datetime.date or 'YYYY-MM-DD')")]
    )


def policy_set(policies: Policies) -> PolicySet:
    """``policies`` compiled, unless it already is a policy set."""
    return policies if isinstance(policies, PolicySet) else compile_policy_set(Path(policies))


def read_registry(
    source: RegistryLoad | pd.DataFrame | str | os.PathLike[str],
    policies: Policies | None = None,
    *,
    table: str | None = None,
    query: str | None = None,
) -> RegistryLoad:
    """A registry typed and validated by the schema of ``policies`` (the standard one if None).

    ``source``: a .csv/.xlsx/.parquet path, a SQLAlchemy URL with ``table`` or ``query``, or a
    DataFrame (a typed frame as it is; any other, e.g. ``pd.read_csv``, typed like a file).
    Bad rows are set aside (``.rejected``, numbered as the user finds them); a registry that
    cannot be read at all is a :class:`~policymatch.errors.RegistryError`.
    """
    import pandas as pd

    from .registry.dataframe import read_frame
    from .registry.load import RegistryLoad
    from .registry.load import read_registry as read_source
    from .schema import STANDARD_SCHEMA

    schema = STANDARD_SCHEMA if policies is None else policy_set(policies).schema
    if isinstance(source, RegistryLoad):
        return source
    if isinstance(source, pd.DataFrame):
        return read_frame(source, schema)
    if isinstance(source, str | os.PathLike):
        return read_source(source, schema, table=table, query=query)
    raise UsageError(
        [
            simple(
                "PM613",
                f"a registry is a path, a database URL or a DataFrame, not {type(source).__name__}",
            )
        ]
    )


def match(
    policies: Policies,
    registry: RegistryLoad | pd.DataFrame | str | os.PathLike[str],
    as_of: dt.date | str,
    *,
    backend: str | Backend = "vectorized",
) -> Matches:
    """Who qualifies for what on ``as_of``, among the policies in force then."""
    from .engine import Engine
    from .results import Matches

    day = as_date(as_of)
    pset = policy_set(policies)
    load = read_registry(registry, pset)
    return Matches(day, Engine(pset, backend).match(load.frame, day))


def run_round(
    policies: Policies,
    registry: RegistryLoad | pd.DataFrame | str | os.PathLike[str],
    as_of: dt.date | str,
    *,
    ledger: str | None = None,
    backend: str | Backend | None = None,
) -> RoundResult:
    """A disbursement round in memory, as ``policymatch run`` makes it, nothing written.

    ``ledger``: the ledger to check frequency and stacking against (a SQLite path or a URL;
    None: a ledger that holds nothing yet), whose pool balances cap the funds and whose 补发
    due is paid, as ``policymatch run`` on it would.
    """
    from .results import RoundResult
    from .rounds.ledger_reads import LedgerReads

    day = as_date(as_of)
    pset = policy_set(policies)
    load = read_registry(registry, pset)
    reads = LedgerReads() if ledger is None else LedgerReads.read(ledger)
    return RoundResult(reads.draft(pset, load, day, backend=backend))


def read_ledger(target: str) -> LedgerView:
    """The rounds committed to a ledger and their grants (read-only)."""
    from .rounds.ledger_view import read_ledger as read

    return read(target)


def explain_enterprise(
    policies: Policies,
    registry: RegistryLoad | pd.DataFrame | str | os.PathLike[str],
    uscc: str,
    policy_id: str,
    as_of: dt.date | str,
    *,
    ledger: str | None = None,
) -> Explanation:
    """Why the enterprise ``uscc`` does or does not qualify for ``policy_id`` on ``as_of``,
    and what a round on this registry and ``ledger`` pays it (``Explanation.round``)."""
    from .engine import find_policy, record_of
    from .explain import explain as explain_one
    from .rounds.effects import effect_of

    day = as_date(as_of)
    pset = policy_set(policies)
    load = read_registry(registry, pset)
    policy = find_policy(pset.policies, policy_id, "in the policy set")
    code = uscc.strip().upper()
    record = record_of(load.frame, code, pset.schema)
    draft = run_round(pset, load, day, ledger=ledger).draft
    effect = effect_of(draft, code, policy_id)
    return explain_one(policy, record, day, pset.schema, effect, with_round=True)
