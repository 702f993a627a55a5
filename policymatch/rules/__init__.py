"""The policy compiler: YAML -> validated model -> typed rule IR. Imports neither pandas nor durable."""

from .compiler import PolicySet, compile_policy_set

__all__ = ["PolicySet", "compile_policy_set"]
