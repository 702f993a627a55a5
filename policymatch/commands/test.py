"""``policymatch test [POLICIES]``: run every policy's examples on the reference evaluator."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..examples import run_examples
from ..rules import compile_policy_set


def register(sub: Any) -> None:
    p = sub.add_parser("test", help="run every policy's examples")
    p.add_argument(
        "policies", nargs="?", default="policies", help="policy folder or file (default: policies/)"
    )
    p.add_argument("-v", "--verbose", action="store_true", help="list passing examples too")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    results = run_examples(compile_policy_set(args.policies))
    failed = [r for r in results if not r.passed]
    out = sys.stdout
    for r in results:
        if r.passed and not args.verbose:
            continue
        mark = "ok  " if r.passed else "FAIL"
        out.write(f"{mark} {r.policy.id} / {r.example.name}  ({r.example.file}:{r.example.line})\n")
        for problem in r.problems:
            out.write(f"       {problem}\n")
    out.write(f"examples: {len(results) - len(failed)} passed, {len(failed)} failed\n")
    return 1 if failed else 0
