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

if TYPE_CHECKING:
    from .api import as_date, explain_enterprise, match, read_ledger, read_registry, run_round
    from .errors import (
        Diagnostic,
        LedgerError,
        PolicyError,
        PolicymatchError,
        RegistryError,
        UsageError,
    )
    from .explain import Explanation
    from .results import Matches, RoundResult
    from .rounds.ledger_view import LedgerView
    from .rules import PolicySet, compile_policy_set

    load = compile_policy_set

__version__ = "0.1.0"

#: Public names and the modules that define them, imported on first use: ``import policymatch``
#: (and ``policymatch --help``) must not pay for the compiler's pydantic models, pandas or
#: numba before anything asks for them.
_LAZY = {
    "Diagnostic": ("errors", "Diagnostic"),
    "LedgerError": ("errors", "LedgerError"),
    "PolicyError": ("errors", "PolicyError"),
    "PolicymatchError": ("errors", "PolicymatchError"),
    "RegistryError": ("errors", "RegistryError"),
    "UsageError": ("errors", "UsageError"),
    "PolicySet": ("rules", "PolicySet"),
    "compile_policy_set": ("rules", "compile_policy_set"),
    "load": ("rules", "compile_policy_set"),
    "as_date": ("api", "as_date"),
    "explain_enterprise": ("api", "explain_enterprise"),
    "match": ("api", "match"),
    "read_ledger": ("api", "read_ledger"),
    "read_registry": ("api", "read_registry"),
    "run_round": ("api", "run_round"),
    "Explanation": ("explain", "Explanation"),
    "Matches": ("results", "Matches"),
    "RoundResult": ("results", "RoundResult"),
    "LedgerView": ("rounds.ledger_view", "LedgerView"),
}


def __getattr__(name: str) -> Any:
    found = _LAZY.get(name)
    if found is None:
        raise AttributeError(f"module 'policymatch' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{found[0]}", __name__), found[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
