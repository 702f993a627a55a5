"""``policymatch explain``: why an enterprise does or does not qualify, policy by policy.

For each policy in force on the as-of date (or the one ``--policy`` names): every labelled
condition with the values it saw and the amount's derivation (:mod:`policymatch.explain`), then
what a round on this registry and ledger would do with it: already paid, not enjoyed twice,
scaled to a budget (with the computation), or paid in full (:mod:`policymatch.rounds.effects`).
The headline gives both 应兑现 (computed) and 本轮兑现 (after ledger, stacking and budget).

``--round DIR`` explains a round as it was made: the as-of date, registry, policy set and ledger
come from its manifest (each can still be given explicitly), and a committed round is explained
without its own ledger entries, so that it shows what the round paid rather than "already
paid". ``--format json`` prints the explanations as data (docs/json-schema.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RegistryError, UsageError, simple, suggest
from ..explain import JSON_VERSION, explain
from ..registry.frame import to_record
from ..registry.load import read_registry
from ..rounds.effects import effect_of
from ..rounds.ledger import Ledger
from ..rounds.ledger_reads import LedgerReads
from ..rules import compile_policy_set
from .arguments import add_ledger_argument, add_registry_arguments, iso_date

DEFAULT_POLICIES = "policies"
DEFAULT_LEDGER = "ledger.sqlite"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "explain",
        help="why an enterprise does or does not qualify",
        description="Explain, policy by policy, why an enterprise qualifies or not: each "
        "condition with its values, the amount's derivation, and the ledger, stacking and "
        "budget steps of a round on this registry.",
    )
    add_registry_arguments(p, required=False)
    p.add_argument("--uscc", required=True, metavar="CODE", help="unified social credit code")
    p.add_argument("--policy", metavar="ID", help="only this policy")
    p.add_argument(
        "--as-of", type=iso_date, metavar="DATE", help="YYYY-MM-DD (default: the round's, or today)"
    )
    p.add_argument("--policies", help="policy folder or file (default: the round's, or policies/)")
    add_ledger_argument(p)
    p.add_argument(
        "--round",
        type=Path,
        metavar="DIR",
        help="a round folder: as-of date, registry, policies and ledger from its manifest",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.set_defaults(handler=run, ledger=None)


@dataclass(frozen=True)
class Inputs:
    as_of: dt.date
    registry: str
    table: str | None
    query: str | None
    policies: str
    ledger: str
    #: The round explained, and its policy set digest (None without ``--round``).
    round_id: str | None = None
    digest: str | None = None


def _refuse(folder: Path, message: str) -> UsageError:
    return UsageError([simple("PM614", message, file=str(folder))])


def _existing(text: str, folder: Path) -> str:
    """A path from a manifest: as written (relative to here), else next to the round folder."""
    if Path(text).exists():
        return text
    beside = folder.parent / text
    return str(beside) if beside.exists() else text


def _from_round(args: argparse.Namespace) -> Inputs:
    from ..rounds.manifest import round_id
    from ..rounds.manifest_model import MANIFEST

    folder: Path = args.round
    path = folder / MANIFEST
    if not path.is_file():
        raise _refuse(
            folder, f"no {MANIFEST} here: not a round folder written by 'policymatch run'"
        )
    data = path.read_bytes()
    try:
        manifest = json.loads(data.decode("utf-8"))
        as_of = dt.date.fromisoformat(manifest["as_of"])
        registry = manifest["registry"]
        files = list(manifest["policy_set"]["files"])
        ledger = manifest["ledger"]["url"]
        digest = manifest["policy_set"]["sha256"]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _refuse(folder, f"{MANIFEST} cannot be read: {exc}") from None
    folders = {str(Path(f).parent) for f in files}
    policies = folders.pop() if len(folders) == 1 else DEFAULT_POLICIES
    return Inputs(
        as_of=args.as_of or as_of,
        registry=args.registry or _existing(str(registry["source"]), folder),
        table=args.table if args.registry else registry.get("table"),
        query=args.query if args.registry else registry.get("query"),
        policies=args.policies or _existing(policies, folder),
        ledger=args.ledger or ledger or DEFAULT_LEDGER,
        round_id=round_id(data),
        digest=digest,
    )


def _inputs(args: argparse.Namespace) -> Inputs:
    if args.round is not None:
        return _from_round(args)
    if args.registry is None:
        raise UsageError([simple("PM615", "give --registry, or --round with a round folder")])
    return Inputs(
        as_of=args.as_of or dt.date.today(),
        registry=args.registry,
        table=args.table,
        query=args.query,
        policies=args.policies or DEFAULT_POLICIES,
        ledger=args.ledger or DEFAULT_LEDGER,
    )


def run(args: argparse.Namespace) -> int:
    inputs = _inputs(args)
    as_of = inputs.as_of
    policy_set = compile_policy_set(inputs.policies)
    if inputs.digest is not None and policy_set.digest != inputs.digest and not args.policies:
        raise _refuse(
            args.round,
            f"the policies in '{inputs.policies}' are not the ones the round was made with "
            "(their SHA-256 differs from the manifest's)",
        )
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
    registry = read_registry(
        inputs.registry, policy_set.schema, table=inputs.table, query=inputs.query
    )
    out = sys.stdout
    uscc = args.uscc.strip().upper()
    rows = registry.frame.index[registry.frame["uscc"] == uscc]
    as_json = args.format == "json"
    report: dict[str, Any] = {
        "kind": "policymatch/explain-report",
        "version": JSON_VERSION,
        "uscc": uscc,
        "as_of": as_of.isoformat(),
        "round_id": inputs.round_id,
    }
    if len(rows) == 0:
        set_aside = [r for r in registry.rejected if (r.uscc or "").upper() == uscc]
        if not set_aside:
            best = suggest(uscc, registry.frame["uscc"].astype(str).tolist())
            raise RegistryError(
                [
                    simple(
                        "PM601",
                        f"no enterprise with USCC '{uscc}' in the registry",
                        file=registry.source,
                        hint=f"did you mean '{best}'?" if best else None,
                    )
                ]
            )
        if as_json:
            report["set_aside"] = [{"row": r.row, "reason": r.reason} for r in set_aside]
            out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
            return 0
        for r in set_aside:
            out.write(f"企业 {uscc}：登记数据第 {r.row} 行有问题，未参与匹配：{r.reason}\n")
        return 0
    ledger = Ledger(inputs.ledger)
    try:
        reads = LedgerReads.of(ledger)
        committed = None
        if inputs.round_id is not None:
            committed = ledger.committed(inputs.round_id)
            reads = reads.before_round(inputs.round_id, ledger.commit_times())
    finally:
        ledger.dispose()
    draft = reads.draft(policy_set, registry, as_of)
    record = to_record(registry.frame, int(rows[0]), policy_set.schema)
    chosen = [
        explain(
            policy,
            record,
            as_of,
            policy_set.schema,
            effect_of(draft, uscc, policy.id, committed=committed is not None),
            with_round=True,
        )
        for policy in sorted(in_force, key=lambda p: p.id)
        if args.policy is None or policy.id == args.policy
    ]
    skipped = len(policy_set.policies) - len(in_force) if args.policy is None else 0
    if as_json:
        report["ledger"] = {"url": ledger.display, "grants_seen": len(reads.history)}
        report["committed_at"] = None if committed is None else committed.isoformat()
        report["explanations"] = [e.to_dict() for e in chosen]
        report["not_in_force"] = skipped
        out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        return 0
    out.write(
        f"企业 {uscc} {record.get('name') or ''}  截至 {as_of.isoformat()}  "
        f"台账 {ledger.display}（已记录 {len(reads.history)} 笔）"
        + (f"  轮次 {inputs.round_id[:12]}" if inputs.round_id else "")
        + (f"（已于 {committed:%Y-%m-%d %H:%M} UTC 记入台账）" if committed else "")
        + "\n"
    )
    for e in chosen:
        out.write("\n" + e.render())
    if skipped:
        out.write(f"\n另有 {skipped} 项政策不在 {as_of.isoformat()} 的有效期内，未列出\n")
    return 0
