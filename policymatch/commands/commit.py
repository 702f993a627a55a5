"""``policymatch commit DIR``: record a reviewed round in the ledger, once."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..moneytext import yuan
from ..rounds.folder import MARKER, mark_committed, refuse_links, refuse_other_ledger
from ..rounds.ledger import Ledger, RoundEntry
from ..rounds.manifest import read_round
from ..rounds.pool import carried_due
from ..rounds.withhold import withhold
from ..rules import compile_policy_set, ir
from .arguments import add_ledger_argument


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
    p.add_argument(
        "--withhold",
        type=Path,
        metavar="FILE",
        help="CSV (uscc, policy_id, reason, reference) of grants held back after an objection "
        "in 公示: recorded as withheld, not paid, payable in a later round",
    )
    p.add_argument(
        "--yes", action="store_true", help="do not ask before committing cut one-time grants"
    )
    p.set_defaults(handler=run)


def cut_once(entry: RoundEntry) -> list[str]:
    """Policies whose one-time (``once``) grants this round cuts for good (核减; a policy with
    ``shortfall: carry`` pays the rest later)."""
    carry = entry.pool.carry if entry.pool else frozenset()
    return sorted(
        {
            g.policy_id
            for g in entry.grants
            if g.amount_fen < g.demand_fen
            and entry.terms[g.policy_id].frequency is ir.Frequency.ONCE
            and g.policy_id not in carry
        }
    )


def _confirm(entry: RoundEntry, yes: bool) -> bool:
    """Warn about cut one-time grants; on a terminal, ask (``--yes`` skips the question)."""
    cut = cut_once(entry)
    if not cut:
        return True
    n = sum(1 for g in entry.grants if g.policy_id in cut and g.amount_fen < g.demand_fen)
    sys.stderr.write(
        f"注意：本轮有 {n:,} 笔一次性（once）政策兑现按比例核减（{'、'.join(cut)}），"
        "入账后核减部分不再补发。\n"
    )
    if yes or not sys.stdin.isatty():
        return True
    sys.stderr.write("确认入账？[y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes", "是")


def run(args: argparse.Namespace) -> int:
    policy_set = compile_policy_set(args.policies)
    refuse_links(args.dir)
    ledger = Ledger(args.ledger)
    try:
        # A 补发 is checked against what the ledger says is still due, not the full amount
        due = carried_due(ledger)
        entry = read_round(args.dir, policy_set, registry=args.registry or True, carried=due)
        if args.withhold is not None:
            entry = withhold(entry, args.withhold)
        if not _confirm(entry, args.yes):
            sys.stderr.write("未入账：台账没有任何改动\n")
            return 1
        refuse_other_ledger(args.dir, entry.round_id, ledger)
        result = ledger.commit(entry)
    finally:
        ledger.dispose()
    what = f"轮次 {result.round_id[:12]}（{result.grants:,} 笔，{yuan(result.amount_fen)}）"
    if result.recorded:
        sys.stdout.write(f"已记入台账：{what}，台账 {ledger.display}\n")
        if entry.withheld:
            total = sum(w.amount_fen for w in entry.withheld)
            sys.stdout.write(
                f"暂缓兑现 {len(entry.withheld):,} 笔，{yuan(total)}（公示异议），"
                "留在资金池，可在以后轮次兑现\n"
            )
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
