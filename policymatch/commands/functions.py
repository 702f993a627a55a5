"""``policymatch functions``: the functions of the expression language, for policy authors."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..functions import FUNCTION_HELP
from ..texttable import text_table


def register(sub: Any) -> None:
    p = sub.add_parser("functions", help="list the functions of the expression language")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rows = [(f.signature, f.description, f.example) for f in FUNCTION_HELP]
    sys.stdout.write(text_table(("函数", "说明", "例子"), rows))
    sys.stdout.write("详见 docs/policy-format.md 第 7 节。\n")
    return 0
