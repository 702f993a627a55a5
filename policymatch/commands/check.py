"""``policymatch check [POLICIES]``: compile a policy set and report every error."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..rules import compile_policy_set


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="compile a policy set and report every error")
    p.add_argument(
        "policies", nargs="?", default="policies", help="policy folder or file (default: policies/)"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    policy_set = compile_policy_set(args.policies)
    n_examples = sum(len(p.examples) for p in policy_set.policies)
    sys.stdout.write(
        f"ok: {len(policy_set.policies)} policies, {len(policy_set.funds)} funds, "
        f"{n_examples} examples in {len(policy_set.sources)} files\n"
    )
    return 0
