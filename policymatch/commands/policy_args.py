"""Arguments shared by the commands that compile a policy set for its author (check, test).

``--strict`` turns the warnings of the set (PM35x) into errors; ``--lang`` chooses the language
of every diagnostic (``zh`` or ``en``; by default Chinese when the locale is Chinese).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Mapping
from typing import Any

from ..errors import PolicyError, set_language
from ..rules import PolicySet


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--strict", action="store_true", help="treat warnings (PM35x) as errors (exit 1)"
    )
    parser.add_argument(
        "--lang",
        choices=("zh", "en"),
        default=None,
        help="language of the messages (default: zh when LC_ALL/LC_MESSAGES/LANG is Chinese)",
    )


def locale_language(environ: Mapping[str, str] = os.environ) -> str:
    """``zh`` when the first set of LC_ALL, LC_MESSAGES, LANG names Chinese, else ``en``."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def apply_language(args: argparse.Namespace) -> None:
    set_language(args.lang or locale_language())


def report_warnings(policy_set: PolicySet, args: argparse.Namespace, quiet: bool = False) -> None:
    """Print the set's warnings to stderr (not when ``quiet``: the caller reports them), or
    refuse the set with them under ``--strict``."""
    if not policy_set.warnings:
        return
    if args.strict:
        raise PolicyError([dataclasses.replace(w, severity="error") for w in policy_set.warnings])
    if not quiet:
        sys.stderr.write("\n\n".join(w.render() for w in policy_set.warnings) + "\n")
