"""policymatch: 惠企政策 as code, matched against a county's enterprise registry (免申即享).

The public API is small (docs/api.md)::

    import policymatch
    policies = policymatch.load("policies/")
    registry = policymatch.read_registry("registry.csv", policies)
    policymatch.match(policies, registry, "2024-03-01").eligible
    policymatch.run_round(policies, registry, "2024-03-01", ledger="ledger.sqlite").granted
    policymatch.explain_enterprise(policies, registry, uscc, policy_id, "2024-03-01").to_dict()
    policymatch.read_ledger("ledger.sqlite").rounds

(``explain_enterprise``, not ``explain``: :mod:`policymatch.explain` is the module that renders
explanations, and a submodule's name would shadow a function of the same name.)

Importing the package loads neither pandas nor numpy: the names that need them are imported
on first use (module ``__getattr__``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    Diagnostic,
    LedgerError,
    PolicyError,
    PolicymatchError,
    RegistryError,
    UsageError,
)
from .rules import PolicySet, compile_policy_set

if TYPE_CHECKING:
    from .api import as_date, explain_enterprise, match, read_ledger, read_registry, run_round
    from .explain import Explanation
    from .results import Matches, RoundResult
    from .rounds.ledger_view import LedgerView

__version__ = "0.1.0"

load = compile_policy_set

#: Public names defined in modules that import pandas: name -> module.
_LAZY = {
    "as_date": "api",
    "explain_enterprise": "api",
    "match": "api",
    "read_ledger": "api",
    "read_registry": "api",
    "run_round": "api",
    "Explanation": "explain",
    "Matches": "results",
    "RoundResult": "results",
    "LedgerView": "rounds.ledger_view",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'policymatch' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Diagnostic",
    "Explanation",
    "LedgerError",
    "LedgerView",
    "Matches",
    "PolicyError",
    "PolicySet",
    "PolicymatchError",
    "RegistryError",
    "RoundResult",
    "UsageError",
    "__version__",
    "as_date",
    "compile_policy_set",
    "explain_enterprise",
    "load",
    "match",
    "read_ledger",
    "read_registry",
    "run_round",
]
