"""Arguments shared by the commands that compile a policy set for its author (check, test).

``--strict`` turns the warnings of the set (PM35x) into errors. (``--lang``, which every
command takes, is :mod:`policymatch.commands.language`.)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from ..errors import PolicyError
from ..rules import PolicySet


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--strict", action="store_true", help="treat warnings (PM35x) as errors (exit 1)"
    )


def report_warnings(policy_set: PolicySet, args: argparse.Namespace, quiet: bool = False) -> None:
    """Print the set's warnings to stderr (not when ``quiet``: the caller reports them), or
    refuse the set with them under ``--strict``."""
    if not policy_set.warnings:
        return
    if args.strict:
        raise PolicyError([dataclasses.replace(w, severity="error") for w in policy_set.warnings])
    if not quiet:
        sys.stderr.write("\n\n".join(w.render() for w in policy_set.warnings) + "\n")
