"""``policymatch check [POLICIES]``: compile a policy set and report every error."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import PolicyError
from ..rules import compile_policy_set

#: The version of ``check --format json``'s form (docs/json-schema.md).
JSON_VERSION = 1


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="compile a policy set and report every error")
    p.add_argument(
        "policies", nargs="?", default="policies", help="policy folder or file (default: policies/)"
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.format == "json":
        return _run_json(args)
    policy_set = compile_policy_set(args.policies)
    n_examples = sum(len(p.examples) for p in policy_set.policies)
    sys.stdout.write(
        f"ok: {len(policy_set.policies)} policies, {len(policy_set.funds)} funds, "
        f"{n_examples} examples in {len(policy_set.sources)} files\n"
    )
    return 0


def _run_json(args: argparse.Namespace) -> int:
    report: dict[str, Any] = {"kind": "policymatch/check", "version": JSON_VERSION}
    try:
        policy_set = compile_policy_set(args.policies)
    except PolicyError as exc:
        report |= {"ok": False, "diagnostics": [d.to_dict() for d in exc.diagnostics]}
        status = 1
    else:
        report |= {
            "ok": True,
            "policies": len(policy_set.policies),
            "funds": len(policy_set.funds),
            "examples": sum(len(p.examples) for p in policy_set.policies),
            "files": [name for name, _ in policy_set.sources],
            "sha256": policy_set.digest,
            "diagnostics": [],
        }
        status = 0
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return status
