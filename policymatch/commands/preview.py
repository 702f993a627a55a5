"""``policymatch preview``: 政策沙盘, a proposed policy set against the one in force.

Both sets are matched and allocated in memory on one registry read (docs/preview.md); the
ledger is read for history only when ``--ledger`` is given, and never written.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..registry.load import read_registry
from ..rounds.ledger_reads import LedgerReads
from ..rules import compile_policy_set
from .arguments import add_registry_arguments, iso_date


def register(sub: Any) -> None:
    p = sub.add_parser(
        "preview",
        help="政策沙盘: compare a proposed policy set with the one in force (nothing recorded)",
        description="Match the registry with the policy set in force (--base or --base-rev) and "
        "with the proposed one (--policies), and show what changes: per policy and fund, who "
        "gains and loses, by township and industry, budget sufficiency. The ledger is only read.",
    )
    p.add_argument(
        "--policies", default="policies", help="the proposed policy folder (default: policies/)"
    )
    base = p.add_mutually_exclusive_group(required=True)
    base.add_argument("--base", metavar="DIR", help="the policy folder in force")
    base.add_argument(
        "--base-rev",
        metavar="GITREV",
        help="the policy set in force is --policies as it was at this git revision (e.g. main)",
    )
    add_registry_arguments(p)
    p.add_argument("--as-of", required=True, type=iso_date, metavar="DATE", help="YYYY-MM-DD")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for the files")
    p.add_argument(
        "--ledger",
        metavar="URL",
        help="read this ledger for who was paid before (default: none, as a first round)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..preview.compare import preview
    from ..preview.files import check_out, write_files
    from ..preview.page import write_page
    from ..preview.sources import policies_at_revision, shared_schema
    from ..preview.terminal import summary_text

    check_out(args.out)
    proposed = compile_policy_set(args.policies)
    with tempfile.TemporaryDirectory(prefix="policymatch-base-") as tmp:
        if args.base_rev is not None:
            base_dir = policies_at_revision(Path(args.policies), args.base_rev, Path(tmp))
            base_label = f"{args.base_rev} 版"
        else:
            base_dir, base_label = Path(args.base), "现行"
        base = compile_policy_set(base_dir)
    schema = shared_schema(proposed, base)
    registry = read_registry(args.registry, schema, table=args.table, query=args.query)
    pv = preview(
        proposed,
        base,
        registry,
        args.as_of,
        None if args.ledger is None else LedgerReads.read(args.ledger),
        labels=(base_label, "拟议"),
    )
    files = [*write_files(pv, args.out), write_page(pv, args.out)]
    sys.stdout.write(summary_text(pv, [str(args.out / f) for f in files]))
    return 0
