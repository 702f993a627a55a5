"""A disbursement round end to end: read the registry, match, allocate, write the draft folder.

::

    from policymatch.rounds.round import RoundRequest, run_round
    report = run_round(policy_set, RoundRequest("registry.csv", as_of, Path("out")))
    report.round_id, report.timings

:func:`write_draft` writes every list of a :class:`~policymatch.rounds.draft.Draft` (CSV files,
the workbook, 公示名单) and then the manifest, last: a folder whose run was interrupted has no
manifest and cannot be committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..backends.base import Backend
from ..collector import collector_paused
from ..errors import UsageError, simple
from ..rules import PolicySet, ir
from .draft import Draft, RegistryInput
from .folder import refuse_committed_folder, refuse_links
from .intake_notes import intake_notes
from .ledger_reads import LedgerReads
from .lists import build_lists
from .manifest import build_manifest, manifest_bytes, round_id
from .manifest_model import MANIFEST
from .outputs import sha256_file, write_bytes, write_csv
from .outreach import PREFIX as OUTREACH_PREFIX
from .outreach import write_department_files
from .progress import Progress
from .report import REPORT, page, write_report
from .workbook import write_workbook
from .xlsx import MAX_ROWS

if TYPE_CHECKING:
    from ..engine import MatchResult

WORKBOOK = "兑现清单.xlsx"
PUBLICITY_BOOK = "公示名单.xlsx"
STEPS = 5  # read, match, allocate, lists, write


@dataclass(frozen=True)
class RoundRequest:
    """What ``policymatch run`` is asked to do."""

    registry: str
    as_of: dt.date
    out_dir: Path
    ledger: str = "ledger.sqlite"
    table: str | None = None
    query: str | None = None
    backend: str | Backend | None = None
    #: Fields the policies read that the registry may lack (``--allow-missing``): unknown for
    #: every enterprise instead of a stop (PM521).
    allow_missing: tuple[str, ...] = ()


@dataclass
class RoundReport:
    draft: Draft
    out_dir: Path
    round_id: str
    files: list[str]
    timings: dict[str, float] = field(default_factory=dict)


def write_draft(
    draft: Draft,
    out_dir: Path,
    *,
    progress: Progress | None = None,
    rows_per_sheet: int = MAX_ROWS - 1,
    registry_options: Mapping[str, str] | None = None,
) -> tuple[str, list[str]]:
    """Write the round folder; returns the round id and the files written.

    ``registry_options`` (the ``table`` or ``query`` a database registry was read with) go into
    the manifest with the registry's source."""
    progress = progress or Progress()
    _prepare(out_dir)
    with progress.step("lists", "整理清单"):
        lists = build_lists(draft)
    lid = list_id(draft, registry_options)
    footer = f"基准日期 {draft.as_of.isoformat()} · 清单编号 {lid[:12]}"
    # The CSV files and the two workbooks are written side by side: they spend their time in
    # Arrow kernels and zlib, which release the GIL, so both cores work; the review workbook,
    # the longest, no longer waits for the publication list.
    with progress.step("write", "写出清单和工作簿"), ThreadPoolExecutor(max_workers=2) as pool:
        book = pool.submit(
            write_workbook,
            out_dir / WORKBOOK,
            as_of=draft.as_of,
            summary=lists.summary,
            funds=lists.funds,
            sheets=lists.sheets(),
            notes=[
                *_notes(draft),
                f"清单编号：{lid[:12]}（即各页页脚的编号；轮次编号见 report.html）",
            ],
            footer=footer,
            rows_per_sheet=rows_per_sheet,
        )
        public = pool.submit(
            write_workbook,
            out_dir / PUBLICITY_BOOK,
            as_of=draft.as_of,
            sheets=[lists.publicity],
            footer=footer,
            rows_per_sheet=rows_per_sheet,
        )
        hashes = {t.file: write_csv(t, out_dir) for t in lists.csv_tables() if t.file}
        for path in write_department_files(lists.near_miss, out_dir, draft.as_of, footer):
            hashes[path.name] = sha256_file(path)
        report = page(draft, lists, lid)  # while the workbooks are being written
        hashes[WORKBOOK] = sha256_file(book.result())
        hashes[PUBLICITY_BOOK] = sha256_file(public.result())
    data = manifest_bytes(build_manifest(draft, hashes, registry_options))
    write_bytes(out_dir / MANIFEST, data)
    rid = round_id(data)
    # After the manifest, so that it can name the round: a view of the lists, not one of them.
    write_report(out_dir, report, rid)
    return rid, [*sorted(hashes), MANIFEST, REPORT]


def list_id(draft: Draft, registry_options: Mapping[str, str] | None = None) -> str:
    """清单编号: the SHA-256 of the manifest without its ``outputs``, i.e. of everything the round
    was made from, its counts and totals. The workbooks print it in their footers: they cannot
    print the round id, which is the hash of a manifest that holds their own hash."""
    content = build_manifest(draft, {}, registry_options)
    del content["outputs"]
    return round_id(manifest_bytes(content))


def _prepare(out_dir: Path) -> None:
    refuse_links(out_dir)
    refuse_committed_folder(out_dir)  # what the folder itself says, whoever calls write_draft
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / MANIFEST).unlink(missing_ok=True)
        (out_dir / REPORT).unlink(missing_ok=True)
        for stale in out_dir.glob(f"{OUTREACH_PREFIX}*.xlsx"):
            stale.unlink()
    except OSError as exc:
        raise UsageError(
            [simple("PM712", f"cannot write the round into '{out_dir}': {exc}")]
        ) from exc


def _notes(draft: Draft) -> list[str]:
    reg = draft.registry
    return [
        f"基准日期：{draft.as_of.isoformat()}",
        f"登记表：{reg.source}（读入 {reg.rows_read} 行，参与匹配 {len(draft.frame)} 行，"
        f"数据问题 {len(reg.rejected)} 行）",
        *intake_notes(reg, draft.policy_set.schema),
        f"政策集 SHA-256：{draft.policy_set.digest}",
        f"台账：{draft.ledger}（已记录 {draft.ledger_grants} 笔）",
        f"policymatch {__version__}",
    ]


#: Reads the registry and matches it in one go: chunk by chunk in this process
#: (:class:`policymatch.rounds.stream.ChunkedMatcher`) or on a Dask cluster
#: (:class:`policymatch.distributed.DaskMatcher`). Its optional ``label`` names step "read".
Matcher = Callable[[PolicySet, RoundRequest, Progress], tuple[RegistryInput, "MatchResult"]]


def run_round(
    policy_set: PolicySet,
    request: RoundRequest,
    progress: Progress | None = None,
    *,
    matcher: Matcher | None = None,
) -> RoundReport:
    """``policymatch run``: read, match, allocate, write; with step timings.

    With a ``matcher``, its step "read" is reading and matching (step "match" then takes no time).
    """
    from ..registry.load import read_registry

    progress = progress or Progress()
    reads = LedgerReads.read(
        request.ledger, check=lambda ledger: refuse_committed_folder(request.out_dir, ledger)
    )
    match: MatchResult | None = None
    if matcher is None:
        with progress.step("read", "读取登记表"):
            registry: RegistryInput = read_registry(
                request.registry,
                policy_set.schema,
                table=request.table,
                query=request.query,
                require=ir.registry_fields(policy_set.in_force(request.as_of)),
                allow_missing=request.allow_missing,
            )
    else:
        with progress.step("read", getattr(matcher, "label", "读取登记表并匹配")):
            registry, match = matcher(policy_set, request, progress)
    with collector_paused():
        draft = reads.draft(
            policy_set,
            registry,
            request.as_of,
            backend=request.backend,
            progress=progress,
            match=match,
        )
        options = {k: v for k, v in (("table", request.table), ("query", request.query)) if v}
        rid, files = write_draft(
            draft, request.out_dir, progress=progress, registry_options=options
        )
    return RoundReport(draft, request.out_dir, rid, files, dict(progress.timings))
