"""``policymatch check [POLICIES]``: compile a policy set and report every error and warning."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import language
from ..messages import translate
from ..rules import compile_policy_set
from .policy_args import add_arguments, apply_language, report_warnings


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="compile a policy set and report every error")
    p.add_argument(
        "policies", nargs="?", default="policies", help="policy folder or file (default: policies/)"
    )
    add_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    apply_language(args)
    policy_set = compile_policy_set(args.policies)
    report_warnings(policy_set, args)
    n_examples = sum(len(p.examples) for p in policy_set.policies)
    warned = f", {len(policy_set.warnings)} warnings" if policy_set.warnings else ""
    summary = (
        f"ok: {len(policy_set.policies)} policies, {len(policy_set.funds)} funds, "
        f"{n_examples} examples in {len(policy_set.sources)} files{warned}"
    )
    sys.stdout.write(f"{translate('summary', summary) if language() == 'zh' else summary}\n")
    return 0
