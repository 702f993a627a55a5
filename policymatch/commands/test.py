"""``policymatch test [PATHS...]``: run the policies' examples on the reference evaluator.

A path is a policy folder, or one file of a folder: the folder is compiled (its shared defines,
schema and funds) and only the examples of the policies written in that file are run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import language
from ..examples import ExampleResult, run_examples
from ..messages import translate
from ..rules import compile_policy_set
from ..rules.compiler import display_path
from .policy_args import add_arguments, report_warnings


def register(sub: Any) -> None:
    p = sub.add_parser("test", help="run every policy's examples")
    p.add_argument(
        "policies",
        nargs="*",
        default=["policies"],
        help="policy folders, or files of a folder (default: policies/)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="list passing examples too")
    add_arguments(p)
    p.set_defaults(handler=run)


def _results(paths: list[str], args: argparse.Namespace) -> list[ExampleResult]:
    """The examples of every path, each folder compiled once, in the order given."""
    wanted: dict[Path, set[str] | None] = {}
    for raw in paths:
        path = Path(raw)
        folder = path.parent if path.is_file() else path
        files = wanted.setdefault(folder, set())
        if path.is_file() and files is not None:
            files.add(display_path(path))
        else:
            wanted[folder] = None  # the whole folder
    out: list[ExampleResult] = []
    for folder, files in wanted.items():
        policy_set = compile_policy_set(folder)
        report_warnings(policy_set, args)
        out.extend(r for r in run_examples(policy_set) if files is None or r.example.file in files)
    return out


def run(args: argparse.Namespace) -> int:
    results = _results(args.policies, args)
    failed = [r for r in results if not r.passed]
    zh = language() == "zh"
    out = sys.stdout
    for r in results:
        if r.passed and not args.verbose:
            continue
        mark = "ok  " if r.passed else "FAIL"
        out.write(f"{mark} {r.policy.id} / {r.example.name}  ({r.example.file}:{r.example.line})\n")
        for problem in r.problems:
            out.write(f"       {translate('example', problem) if zh else problem}\n")
    summary = f"examples: {len(results) - len(failed)} passed, {len(failed)} failed"
    out.write(f"{translate('summary', summary) if zh else summary}\n")
    return 1 if failed else 0
