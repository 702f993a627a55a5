"""policymatch: 惠企政策 as code, matched against a county's enterprise registry (免申即享).

The public API is small::

    import policymatch
    policies = policymatch.load("policies/")
"""

from __future__ import annotations

from .errors import Diagnostic, PolicyError, PolicymatchError, RegistryError
from .rules import PolicySet, compile_policy_set

__version__ = "0.1.0"

load = compile_policy_set

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
