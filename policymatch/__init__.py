"""policymatch: 惠企政策 as code, matched against a county's enterprise registry (免申即享).

The public API is small::

    import policymatch
    policies = policymatch.load("policies/")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public names and the modules that define them, imported on first use: ``import policymatch``
#: (and ``policymatch --help``) must not pay for the compiler's pydantic models, pandas or
#: numba before anything asks for them.
_LAZY = {
    "Diagnostic": ("policymatch.errors", "Diagnostic"),
    "PolicyError": ("policymatch.errors", "PolicyError"),
    "PolicymatchError": ("policymatch.errors", "PolicymatchError"),
    "RegistryError": ("policymatch.errors", "RegistryError"),
    "PolicySet": ("policymatch.rules", "PolicySet"),
    "compile_policy_set": ("policymatch.rules", "compile_policy_set"),
    "load": ("policymatch.rules", "compile_policy_set"),
}

if TYPE_CHECKING:
    from .errors import Diagnostic, PolicyError, PolicymatchError, RegistryError
    from .rules import PolicySet, compile_policy_set

    load = compile_policy_set


def __getattr__(name: str) -> Any:
    found = _LAZY.get(name)
    if found is None:
        raise AttributeError(f"module 'policymatch' has no attribute '{name}'")
    value = getattr(importlib.import_module(found[0]), found[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Diagnostic",
    "PolicyError",
    "PolicySet",
    "PolicymatchError",
    "RegistryError",
    "__version__",
    "compile_policy_set",
    "load",
]
