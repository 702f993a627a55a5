"""``policymatch run``: match the registry and write a draft round into a folder.

The folder holds the lists for review (兑现清单.xlsx and the CSV files), 公示名单.csv for
publication, and manifest.json; ``policymatch commit`` records it in the ledger once reviewed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from ..engine import BACKENDS, DEFAULT_BACKEND
from ..errors import UsageError, simple
from ..rounds.lists import BUDGET_REASONS
from ..rounds.progress import Progress
from ..rounds.round import STEPS, WORKBOOK, RoundReport, RoundRequest, run_round
from ..rounds.stream import CHUNK_ROWS, ChunkedMatcher
from ..rounds.tables import fen_text
from ..rules import PolicySet, compile_policy_set


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def add_registry_arguments(p: Any) -> None:
    """``--registry`` with ``--table``/``--query``: shared with ``policymatch explain``."""
    p.add_argument(
        "--registry",
        required=True,
        metavar="PATH_OR_URL",
        help="registry file (.csv, .xlsx, .parquet) or SQLAlchemy URL",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--table", help="table to read when --registry is a database URL")
    src.add_argument(
        "--query", metavar="SQL", help="query to run when --registry is a database URL"
    )


def add_ledger_argument(p: Any) -> None:
    p.add_argument(
        "--ledger",
        default="ledger.sqlite",
        metavar="URL",
        help="ledger: SQLite file or SQLAlchemy URL (default: ledger.sqlite here)",
    )


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="match the registry and write a draft round (lists for review, manifest)",
        description="Match the registry against the policies in force on the as-of date, apply "
        "the ledger, stacking and budgets, and write the draft round into --out.",
    )
    add_registry_arguments(p)
    p.add_argument("--as-of", required=True, type=iso_date, metavar="DATE", help="YYYY-MM-DD")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for the round")
    p.add_argument(
        "--policies", default="policies", help="policy folder or file (default: policies/)"
    )
    add_ledger_argument(p)
    p.add_argument("--backend", choices=sorted(BACKENDS), help="matching backend")
    p.add_argument(
        "--dask",
        metavar="local|tcp://HOST:PORT",
        help="read and match the registry on a Dask cluster: 'local' starts one worker per "
        "core here, tcp://HOST:PORT joins a running scheduler (needs policymatch[dask])",
    )
    p.add_argument(
        "--chunk-rows",
        type=positive_int,
        default=CHUNK_ROWS,
        metavar="N",
        help=f"read and match the registry N rows at a time, in bounded memory "
        f"(default: {CHUNK_ROWS:,})",
    )
    p.set_defaults(handler=run)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of rows >= 1")
    return value


def run(args: argparse.Namespace) -> int:
    policy_set = compile_policy_set(args.policies)
    request = RoundRequest(
        registry=args.registry,
        as_of=args.as_of,
        out_dir=args.out,
        ledger=args.ledger,
        table=args.table,
        query=args.query,
        backend=args.backend,
    )
    progress = Progress.for_terminal(STEPS)
    if args.dask is None:
        report = run_round(policy_set, request, progress, matcher=ChunkedMatcher(args.chunk_rows))
    else:
        report = _run_on_dask(args.dask, policy_set, request, progress)
    draft, alloc = report.draft, report.draft.allocation
    reg = draft.registry
    granted = sum(g.amount_fen for g in alloc.grants)
    # What competed for the budgets: the grants, and those the budgets cut to nothing.
    demand = sum(g.candidate.demand_fen for g in alloc.grants) + sum(
        e.candidate.demand_fen for e in alloc.excluded if e.reason in BUDGET_REASONS
    )
    out = sys.stdout
    out.write(
        f"round {report.round_id[:12]} as of {draft.as_of}: "
        f"{len(alloc.grants)} grants, {fen_text(granted)} yuan "
        f"(demand {fen_text(demand)}); {len(alloc.push)} to notify; "
        f"{len(draft.match.batch.unknown)} missing data; "
        f"registry rows read {reg.rows_read} = matched {len(draft.frame)} "
        f"+ set aside {len(reg.rejected)}\n"
    )
    out.write(f"lists in {report.out_dir}/:\n")
    for name, what in _DESCRIPTIONS:
        out.write(f"  {report.out_dir / name}  {what}\n")
    out.write(
        "review the lists, publish 公示名单.csv, then record the round in the ledger:\n"
        f"  policymatch commit {report.out_dir}"
        + ("" if args.ledger == "ledger.sqlite" else f" --ledger {args.ledger}")
        + "\n"
    )
    return 0


def _run_on_dask(
    spec: str, policy_set: PolicySet, request: RoundRequest, progress: Progress
) -> RoundReport:
    from ..distributed import DaskMatcher, connect

    if request.backend not in (None, DEFAULT_BACKEND):
        raise UsageError(
            [
                simple(
                    "PM802",
                    f"--dask runs the batch core ({DEFAULT_BACKEND}), not --backend {request.backend}",
                )
            ]
        )
    with connect(spec) as client:
        return run_round(policy_set, request, progress, matcher=DaskMatcher(client))


_DESCRIPTIONS = (
    (WORKBOOK, "workbook for review: summary and one sheet per list"),
    ("grants.csv", "兑现清单: what this round pays"),
    ("push.csv", "推送清单: 即申即享 / 承诺兑现 enterprises to notify"),
    ("missing.csv", "待补充数据: results unknown for lack of data"),
    ("near_miss.csv", "临界企业: one condition short"),
    ("excluded.csv", "未兑现: eligible but not paid (ledger, stacking, budget)"),
    ("rejected.csv", "数据问题: registry rows set aside"),
    ("summary.csv", "汇总: per policy"),
    ("公示名单.csv", "for publication (bank account and phone masked)"),
    ("manifest.json", "inputs, hashes and counts of the round"),
)
