"""``policymatch run``: match the registry and write a draft round into a folder.

The folder holds the files for people (兑现清单.xlsx to review, 公示名单.xlsx to publish,
report.html), the same lists as CSV files for other systems, and manifest.json;
``policymatch commit`` records it in the ledger once reviewed. The summary printed says which
file to open.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError, simple
from ..money import parse_number
from ..moneytext import yuan
from ..rounds.chunking import CHUNK_ROWS
from ..rounds.files import FILES
from ..rounds.progress import Progress
from .arguments import add_ledger_argument, add_registry_arguments, iso_date

if TYPE_CHECKING:
    from ..rounds.round import RoundReport, RoundRequest
    from ..rules import PolicySet

#: ``--backend``'s choices, the keys of :data:`policymatch.engine.BACKENDS` (tests/cli): parsing
#: the command line does not import the engine, nor pandas and numba with it. The round's
#: modules are imported by :func:`run`, when it needs them.
BACKEND_NAMES = ("reference", "vectorized")


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
    p.add_argument(
        "--allow-missing",
        action="append",
        default=[],
        metavar="FIELD",
        help="run although no registry column gives FIELD, which the policies read: it is "
        "unknown for every enterprise (repeatable; without it such a field stops the run)",
    )
    p.add_argument("--backend", choices=BACKEND_NAMES, help="matching backend")
    p.add_argument(
        "--near-miss-margin",
        type=share,
        metavar="PERCENT",
        help="how close to a threshold a near miss is (default 20%%; a policy's own "
        "near_miss_margin: wins)",
    )
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
    p.add_argument(
        "--format", choices=("text", "json"), default="text", help="format of the summary"
    )
    p.set_defaults(handler=run)


def share(text: str) -> Decimal:
    """``15%`` or ``0.15``: a share from 0 to 1."""
    try:
        value = parse_number(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a share from 0 to 100%")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of rows >= 1")
    return value


def run(args: argparse.Namespace) -> int:
    from ..backends.nearmiss import with_margin
    from ..registry.intake import allowed_fields
    from ..rounds.round import STEPS, RoundRequest, run_round
    from ..rounds.stream import ChunkedMatcher
    from ..rules import compile_policy_set

    policy_set = compile_policy_set(args.policies)
    if args.near_miss_margin is not None:
        policies = with_margin(policy_set.policies, args.near_miss_margin)
        policy_set = dataclasses.replace(policy_set, policies=policies)
    request = RoundRequest(
        registry=args.registry,
        as_of=args.as_of,
        out_dir=args.out,
        ledger=args.ledger,
        table=args.table,
        query=args.query,
        backend=args.backend,
        allow_missing=tuple(allowed_fields(args.allow_missing, policy_set.schema)),
    )
    progress = Progress.for_terminal(STEPS)
    if args.dask is None:
        report = run_round(policy_set, request, progress, matcher=ChunkedMatcher(args.chunk_rows))
    else:
        report = _run_on_dask(args.dask, policy_set, request, progress)
    if args.format == "json":
        from ..rounds.summary_json import run_summary as summary_data

        files = [(f.name, f.what) for f in FILES]
        command = commit_command(report.out_dir, args.ledger, args.policies)
        data = summary_data(report, competing_demand(report), files, command)
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return 0
    sys.stdout.write(run_summary(report, args.ledger, args.policies))
    return 0


def competing_demand(report: RoundReport) -> int:
    """What competed for the budgets, in fen: the grants, and those the budgets cut to nothing."""
    from ..rounds.lists import BUDGET_REASONS

    alloc = report.draft.allocation
    return sum(g.candidate.demand_fen for g in alloc.grants) + sum(
        e.candidate.demand_fen for e in alloc.excluded if e.reason in BUDGET_REASONS
    )


def commit_command(folder: Path, ledger: str, policies: str) -> str:
    """The command that records this round, with the options it was run with."""
    return (
        f"policymatch commit {folder}"
        + ("" if Path(policies) == Path("policies") else f" --policies {policies}")
        + ("" if ledger == "ledger.sqlite" else f" --ledger {ledger}")
    )


def run_summary(report: RoundReport, ledger: str, policies: str = "policies") -> str:
    """What ``run`` prints: the round in figures, which file to open, what to do next."""
    from ..rounds.intake_notes import intake_notes
    from ..rounds.shortfall import shortfall_lines

    draft, alloc = report.draft, report.draft.allocation
    reg = draft.registry
    granted = sum(g.amount_fen for g in alloc.grants)
    demand = competing_demand(report)
    folder = report.out_dir
    lines = [
        f"轮次 {report.round_id[:12]}（基准日期 {draft.as_of}）：兑现 {len(alloc.grants):,} 笔，"
        f"共 {yuan(granted)}（应兑现 {yuan(demand)}）；推送 {len(alloc.push):,} 户次；"
        f"待补充数据 {len(draft.match.batch.unknown):,} 条",
        f"登记表：读入 {reg.rows_read:,} 行 = 参与匹配 {len(draft.frame):,} 行 "
        f"+ 数据问题 {len(reg.rejected):,} 行",
        *intake_notes(reg, draft.policy_set.schema),
        *shortfall_lines(alloc),
        *(
            [f"待补正 {len(alloc.held):,} 笔（缺企业名称或银行账号，未兑现、未公示）：held.csv"]
            if alloc.held
            else []
        ),
        "请打开（给人看，已设置好打印）：",
        *(f"  {folder / f.name}  {f.what}" for f in FILES if f.for_people),
        *(
            f"  {folder / name}  临界企业：一个部门的名单，最接近的在前（外联用）"
            for name in report.files
            if name.startswith("临界企业_")
        ),
        "供其他系统读取（不要用表格软件打开 CSV 核对账号：长代码会被显示成科学计数法）：",
        *(f"  {folder / f.name}  {f.what}" for f in FILES if not f.for_people),
        "审核清单、公示 公示名单.xlsx 后，记入台账：",
        f"  {commit_command(folder, ledger, policies)}",
    ]
    return "\n".join(lines) + "\n"


def _run_on_dask(
    spec: str, policy_set: PolicySet, request: RoundRequest, progress: Progress
) -> RoundReport:
    from ..distributed import DaskMatcher, connect
    from ..engine import DEFAULT_BACKEND
    from ..rounds.round import run_round

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
