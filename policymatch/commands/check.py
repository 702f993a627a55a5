"""``policymatch check [POLICIES]``: compile a policy set and report every error and warning."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import PolicyError, language
from ..messages import translate
from ..rules import compile_policy_set
from .policy_args import add_arguments, report_warnings

#: The version of ``check --format json``'s form (docs/json-schema.md).
JSON_VERSION = 1


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="compile a policy set and report every error")
    p.add_argument(
        "policies", nargs="?", default="policies", help="policy folder or file (default: policies/)"
    )
    add_arguments(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.format == "json":
        return _run_json(args)
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


def _run_json(args: argparse.Namespace) -> int:
    """The same check as data; warnings are diagnostics of severity ``warning`` (``error``
    under ``--strict``, which also makes the set not ok)."""
    report: dict[str, Any] = {"kind": "policymatch/check", "version": JSON_VERSION}
    try:
        policy_set = compile_policy_set(args.policies)
        report_warnings(policy_set, args, quiet=True)
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
            "diagnostics": [w.to_dict() for w in policy_set.warnings],
        }
        status = 0
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return status
