"""``policymatch explain``: why an enterprise does or does not qualify, policy by policy.

For each policy in force on the as-of date (or the one ``--policy`` names): every labelled
condition with the values it saw and the amount's derivation (:mod:`policymatch.explain`), then
what a round on this registry and ledger would do with it: already paid, not enjoyed twice,
scaled to a budget (with the computation), or paid in full (:mod:`policymatch.rounds.effects`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from ..errors import RegistryError, UsageError, simple, suggest
from ..explain import explain
from ..registry.frame import to_record
from ..registry.load import read_registry
from ..rounds.draft import draft_round
from ..rounds.effects import round_effects
from ..rounds.ledger import Ledger
from ..rounds.pool import carried_due, pool_limits
from ..rules import compile_policy_set
from .run import add_ledger_argument, add_registry_arguments, iso_date


def register(sub: Any) -> None:
    p = sub.add_parser(
        "explain",
        help="why an enterprise does or does not qualify",
        description="Explain, policy by policy, why an enterprise qualifies or not: each "
        "condition with its values, the amount's derivation, and the ledger, stacking and "
        "budget steps of a round on this registry.",
    )
    add_registry_arguments(p)
    p.add_argument("--uscc", required=True, metavar="CODE", help="unified social credit code")
    p.add_argument("--policy", metavar="ID", help="only this policy")
    p.add_argument("--as-of", type=iso_date, metavar="DATE", help="YYYY-MM-DD (default: today)")
    p.add_argument(
        "--policies", default="policies", help="policy folder or file (default: policies/)"
    )
    add_ledger_argument(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    as_of: dt.date = args.as_of or dt.date.today()
    policy_set = compile_policy_set(args.policies)
    in_force = policy_set.in_force(as_of)
    if args.policy is not None and args.policy not in {p.id for p in in_force}:
        known = [p.id for p in policy_set.policies]
        best = suggest(args.policy, known)
        where = "in force on " + as_of.isoformat() if args.policy in known else "in the set"
        raise UsageError(
            [
                simple(
                    "PM602",
                    f"no policy '{args.policy}' {where}"
                    + (f" (did you mean '{best}'?)" if best and best != args.policy else ""),
                )
            ]
        )
    registry = read_registry(args.registry, policy_set.schema, table=args.table, query=args.query)
    out = sys.stdout
    uscc = args.uscc.strip().upper()
    rows = registry.frame.index[registry.frame["uscc"] == uscc]
    if len(rows) == 0:
        set_aside = [r for r in registry.rejected if (r.uscc or "").upper() == uscc]
        if not set_aside:
            best = suggest(uscc, registry.frame["uscc"].astype(str).tolist())
            raise RegistryError(
                [
                    simple(
                        "PM715",
                        f"no enterprise with USCC '{uscc}' in the registry",
                        file=registry.source,
                        hint=f"did you mean '{best}'?" if best else None,
                    )
                ]
            )
        for r in set_aside:
            out.write(f"企业 {uscc}：登记数据第 {r.row} 行有问题，未参与匹配：{r.reason}\n")
        return 0
    ledger = Ledger(args.ledger)
    try:
        history = ledger.history()
        # The same pool limits and 补发 a run on this ledger would apply.
        limits, due = pool_limits(ledger, policy_set, as_of), carried_due(ledger)
    finally:
        ledger.dispose()
    draft = draft_round(
        policy_set, registry, as_of, history, ledger=ledger.display, limits=limits, due=due
    )
    effects = round_effects(draft, uscc)
    record = to_record(registry.frame, int(rows[0]), policy_set.schema)
    out.write(
        f"企业 {uscc} {record.get('name') or ''}  截至 {as_of.isoformat()}  "
        f"台账 {ledger.display}（已记录 {len(history)} 笔）\n"
    )
    for policy in sorted(in_force, key=lambda p: p.id):
        if args.policy is not None and policy.id != args.policy:
            continue
        out.write("\n" + explain(policy, record, as_of, policy_set.schema).render())
        if policy.id in effects:
            out.write("兑现：\n" + "\n".join(effects[policy.id]) + "\n")
    skipped = len(policy_set.policies) - len(in_force)
    if skipped and args.policy is None:
        out.write(f"\n另有 {skipped} 项政策不在 {as_of.isoformat()} 的有效期内，未列出\n")
    return 0
