"""``policymatch commit DIR``: record a reviewed round in the ledger, once."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..moneytext import yuan
from ..rounds.folder import MARKER, mark_committed, refuse_links, refuse_other_ledger
from ..rounds.ledger import Ledger
from ..rounds.manifest import read_round
from ..rules import compile_policy_set
from .run import add_ledger_argument


def register(sub: Any) -> None:
    p = sub.add_parser(
        "commit",
        help="record a reviewed draft round in the ledger (once)",
        description="Record the grants of a reviewed round in the ledger, in one transaction. "
        "Committing a round again does nothing; a round whose files changed since the run, "
        "that the policies it was run with do not allow, or that would pay a grant the ledger "
        "already holds, is refused.",
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="round folder written by policymatch run")
    p.add_argument(
        "--policies",
        default="policies",
        help="the policy folder or file the round was run with (default: policies/)",
    )
    p.add_argument(
        "--registry",
        metavar="PATH_OR_URL",
        help="the registry the round was run with, read again to check every amount (default: "
        "the one its manifest names)",
    )
    add_ledger_argument(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    policy_set = compile_policy_set(args.policies)
    refuse_links(args.dir)
    entry = read_round(args.dir, policy_set, registry=args.registry or True)
    ledger = Ledger(args.ledger)
    try:
        refuse_other_ledger(args.dir, entry.round_id, ledger)
        result = ledger.commit(entry)
    finally:
        ledger.dispose()
    what = f"轮次 {result.round_id[:12]}（{result.grants} 笔，{yuan(result.amount_fen)}）"
    if result.recorded:
        sys.stdout.write(f"已记入台账：{what}，台账 {ledger.display}\n")
    else:
        sys.stdout.write(
            f"此前已记入台账：{what}已于 {result.committed_at:%Y-%m-%d %H:%M} UTC 记入 "
            f"{ledger.display}，本次无需操作\n"
        )
    try:
        mark_committed(args.dir, result.round_id, ledger, result.committed_at)
    except OSError as exc:
        sys.stderr.write(
            f"{args.dir}: 警告：台账已记录，但未能写入 {MARKER} 或将文件设为只读：{exc}\n"
        )
    return 0
