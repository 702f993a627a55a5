"""The lists of a draft round as tables: what ``grants.csv`` and its siblings and the workbook hold.

Every list is sorted by policy id, then USCC (the rejected rows: by row number), so that two runs
on the same inputs give identical files. Columns and their meaning are documented in
docs/rounds.md; the first columns of each file are those cli-and-outputs.md fixes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..rules import ir
from .allocate import REASON_TEXT, Candidate, Reason
from .draft import Draft
from .held import missing_text
from .masking import mask_account, mask_phone
from .outreach import near_miss_table
from .tables import Column, Kind, Table, make_table, rows_table

C = Column
USCC = C("uscc", "统一社会信用代码", width=22)
NAME = C("name", "企业名称", width=36)
POLICY_ID = C("policy_id", "政策编号", width=18)
TITLE = C("policy_title", "政策名称", width=30)
FUND = C("fund", "资金来源", width=22)
DEMAND = C("demand", "应兑现金额（元）", Kind.MONEY, width=16)
AMOUNT = C("amount", "兑现金额（元）", Kind.MONEY, width=16)

LEDGER_REASONS = (Reason.PAID_BEFORE, Reason.PAID_THIS_YEAR, Reason.GROUP_PAID)
BUDGET_REASONS = (Reason.POLICY_BUDGET, Reason.FUND_BUDGET)

GRANTS = (
    USCC, NAME, POLICY_ID, TITLE, FUND, DEMAND, AMOUNT,
    C("issuer", "责任单位", width=14),
    C("period", "兑现期间", width=10),
    C("bank_name", "开户银行", width=24),
    C("bank_account", "银行账号", width=24),
)  # fmt: skip
PUSH = (
    USCC, NAME, POLICY_ID, TITLE,
    C("mode", "兑现方式", width=10),
    C("amount", "测算金额（元）", Kind.MONEY, width=16),
    C("issuer", "责任单位", width=14),
    C("contact_phone", "联系电话", width=14),
)  # fmt: skip
MISSING = (
    USCC, NAME, POLICY_ID, TITLE,
    C("fields", "fields", width=24, for_people=False),
    C("field_labels", "缺少的数据", width=30),
)  # fmt: skip
REJECTED = (
    C("row", "行号", Kind.COUNT, width=8, summed=False),
    USCC,
    C("reason", "原因", width=60),
)
EXCLUDED = (
    USCC, NAME, POLICY_ID, TITLE, FUND, DEMAND,
    C("reason", "reason", width=14, for_people=False),
    C("detail", "未兑现原因", width=32),
    C("other", "相关政策或轮次", width=20),
)  # fmt: skip
SUMMARY = (
    POLICY_ID,
    FUND,
    C("eligible", "符合条件（户）", Kind.COUNT, width=12),
    C("demand", "应兑现金额（元）", Kind.MONEY, width=16),
    C("granted", "兑现金额（元）", Kind.MONEY, width=16),
    C("shortfall", "核减金额（元）", Kind.MONEY, width=16),
    TITLE,
    C("mode", "兑现方式", width=10),
    C("priority", "优先级", Kind.COUNT, width=8, summed=False),
    C("budget", "政策预算（元）", Kind.MONEY, width=16, summed=False),
    C("budget_use", "预算使用率", Kind.PERCENT, width=12),
    C("grants", "兑现（户）", Kind.COUNT, width=10),
    C("excluded_ledger", "已享受（户）", Kind.COUNT, width=10),
    C("excluded_stacking", "不重复享受（户）", Kind.COUNT, width=12),
    C("excluded_budget", "预算不足（户）", Kind.COUNT, width=12),
    C("unknown", "待补充数据（户）", Kind.COUNT, width=12),
    C("near_miss", "临界（户）", Kind.COUNT, width=10),
    # Push-list amounts apart from demand: they draw on no budget, so demand adds up to the funds.
    C("notify_amount", "推送测算金额（元）", Kind.MONEY, width=16),
)
#: Below the policies on the summary sheet, its first columns under theirs (eligible .. shortfall).
FUNDS = (
    C("fund_title", "资金来源", width=18),
    C("fund", "资金编号", width=30),
    C("eligible", "符合条件（户次）", Kind.COUNT, width=12),
    C("demand", "政策预算内应兑现（元）", Kind.MONEY, width=16),
    C("granted", "兑现金额（元）", Kind.MONEY, width=16),
    C("shortfall", "核减金额（元）", Kind.MONEY, width=16),
    C("budget", "预算（元）", Kind.MONEY, width=16, summed=False),
    C("remaining", "预算结余（元）", Kind.MONEY, width=16, summed=False),
    C("budget_use", "预算使用率", Kind.PERCENT, width=12),
    C("grants", "兑现（户次）", Kind.COUNT, width=10),
    C("scaled_level", "按比例核减的优先级", Kind.COUNT, width=14, summed=False),
)
HELD = (
    USCC, NAME, POLICY_ID, TITLE, FUND, DEMAND,
    C("issuer", "责任单位（补正联系）", width=16),
    C("missing", "missing", width=24),
    C("detail", "待补正内容", width=40),
)  # fmt: skip
PUBLICITY = (
    USCC, NAME, POLICY_ID, TITLE,
    C("issuer", "责任单位", width=14),
    AMOUNT,
    C("bank_name", "开户银行", width=24),
    C("bank_account", "银行账号", width=24),
    C("contact_phone", "联系电话", width=14),
)  # fmt: skip


@dataclass(frozen=True)
class RoundLists:
    grants: Table
    push: Table
    missing: Table
    near_miss: Table
    rejected: Table
    excluded: Table
    summary: Table
    funds: Table
    publicity: Table
    held: Table

    def csv_tables(self) -> tuple[Table, ...]:
        return (
            self.grants,
            self.push,
            self.missing,
            self.near_miss,
            self.rejected,
            self.excluded,
            self.summary,
            self.publicity,
            self.held,
        )

    def sheets(self) -> tuple[Table, ...]:
        """The workbook's sheets after the summary, in order."""
        return (
            self.grants,
            self.push,
            self.missing,
            self.rejected,
            self.excluded,
            self.held,
        )


class _Lookup:
    """Registry columns by frame row and policy attributes by id, as Arrow arrays."""

    def __init__(self, draft: Draft) -> None:
        self.frame = {
            name: _strings(draft.frame[name])
            for name in ("uscc", "name", "bank_name", "bank_account", "contact_phone")
        }
        policies = draft.policy_set.policies
        self.ids = pa.array([p.id for p in policies], pa.string())
        self.attrs: dict[str, pa.Array] = {
            "title": pa.array([p.title for p in policies], pa.string()),
            "issuer": pa.array([p.issuer or None for p in policies], pa.string()),
            "fund": pa.array([p.fund for p in policies], pa.string()),
            "mode": pa.array([p.mode.value for p in policies], pa.string()),
            "period": pa.array([draft.terms[p.id].period(draft.as_of) for p in policies]),
        }

    def by_policy_and_uscc(self, frame: pd.DataFrame) -> pd.DataFrame:
        """An engine list (sorted by policy id, then row) in policy id, then USCC order (then
        row, as a stable sort of the rows' USCCs would have it)."""
        rows = frame["row"].to_numpy()
        keys = pa.table(
            {
                "policy": pd.factorize(frame["policy_id"], sort=True)[0],
                "uscc": self.frame["uscc"].take(pa.array(rows, pa.int64())),
                "row": rows,
            }
        )
        order = pc.sort_indices(
            keys, [("policy", "ascending"), ("uscc", "ascending"), ("row", "ascending")]
        )
        return frame.iloc[order.to_numpy()]

    def at(self, name: str, rows: Any) -> pa.Array:
        """Column ``name`` of frame ``rows``, by reference (the lists decode it when written)."""
        return pa.DictionaryArray.from_arrays(pa.array(rows, pa.int64()), self.frame[name])

    def policy(self, attr: str, ids: pa.Array) -> pa.Array:
        """Attribute ``attr`` of the policies ``ids``, by reference like :meth:`at`."""
        if pa.types.is_dictionary(ids.type):  # an engine list's ids: look each id up once
            where = pc.take(pc.index_in(ids.dictionary, value_set=self.ids), ids.indices)
        else:
            where = pc.index_in(ids, value_set=self.ids)
        return pa.DictionaryArray.from_arrays(where, self.attrs[attr])


def _policy_ids(found: pd.DataFrame) -> pa.Array:
    """The policy ids of an engine list, as a dictionary array (an index a row, not the text)."""
    ids = pa.array(found["policy_id"].astype("category").array)
    return ids.cast(pa.dictionary(ids.type.index_type, pa.string()))


def _strings(column: pd.Series) -> pa.Array:
    """A frame column as one Arrow string array (without a Python object per row when the frame
    holds Arrow strings already, as a chunked round's does)."""
    values = pa.array(column.array, from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values if values.type == pa.string() else values.cast(pa.string())


def _columns(cands: Sequence[Candidate]) -> tuple[list[int], pa.Array, pa.Array, list[int]]:
    """Rows, USCCs, policy ids and demands of candidates (in their order)."""
    if not cands:
        return [], pa.array([], pa.string()), pa.array([], pa.string()), []
    rows, usccs, ids, demands = zip(*cands, strict=True)
    return list(rows), pa.array(usccs, pa.string()), pa.array(ids, pa.string()), list(demands)


def _period_text(period: str) -> str:
    return "一次性" if period == "once" else f"{period} 年度"


def build_lists(draft: Draft) -> RoundLists:
    look = _Lookup(draft)
    alloc = draft.allocation
    funds = {"fund": {f.id: f.title for f in draft.policy_set.funds.values() if f.title}}
    periods = {t.period(draft.as_of) for t in draft.terms.values()}
    shown = {**funds, "period": {p: _period_text(p) for p in periods}}
    rows, usccs, ids, demands = _columns([g.candidate for g in alloc.grants])
    amounts = [g.amount_fen for g in alloc.grants]
    accounts = look.at("bank_account", rows)
    phones = look.at("contact_phone", rows)
    grants = make_table(
        "grants.csv",
        "兑现清单",
        GRANTS,
        [
            usccs, look.at("name", rows), ids, look.policy("title", ids),
            look.policy("fund", ids), demands, amounts, look.policy("issuer", ids),
            look.policy("period", ids), look.at("bank_name", rows), accounts,
        ],
        shown=shown,
    )  # fmt: skip
    publicity = make_table(
        "公示名单.csv",
        "公示名单",
        PUBLICITY,
        [
            usccs, look.at("name", rows), ids, look.policy("title", ids),
            look.policy("issuer", ids), amounts, look.at("bank_name", rows),
            mask_account(accounts.dictionary_decode()),
            mask_phone(phones.dictionary_decode()),
        ],
        chinese_headers=True,
    )  # fmt: skip
    rows, usccs, ids, demands = _columns(alloc.push)
    push = make_table(
        "push.csv",
        "推送清单",
        PUSH,
        [
            usccs, look.at("name", rows), ids, look.policy("title", ids),
            look.policy("mode", ids), demands, look.policy("issuer", ids),
            look.at("contact_phone", rows),
        ],
    )  # fmt: skip
    rows, usccs, ids, demands = _columns([e.candidate for e in alloc.excluded])
    excluded = make_table(
        "excluded.csv",
        "未兑现",
        EXCLUDED,
        [
            usccs, look.at("name", rows), ids, look.policy("title", ids),
            look.policy("fund", ids), demands, [e.reason.value for e in alloc.excluded],
            [REASON_TEXT[e.reason] for e in alloc.excluded], [e.other or None for e in alloc.excluded],
        ],
        shown=funds,
    )  # fmt: skip
    unknown = look.by_policy_and_uscc(draft.match.batch.unknown)
    rows = unknown["row"].to_numpy()
    ids = _policy_ids(unknown)
    fields = unknown["fields"].astype(object)
    schema = draft.policy_set.schema
    labels = {
        f: "、".join(schema[n].display if n in schema else n for n in str(f).split(","))
        for f in fields.unique()
    }
    missing = make_table(
        "missing.csv",
        "待补充数据",
        MISSING,
        [
            look.at("uscc", rows), look.at("name", rows), ids, look.policy("title", ids),
            fields.to_numpy(), fields.map(labels).to_numpy(),
        ],
    )  # fmt: skip
    rows, usccs, ids, demands = _columns([h.candidate for h in alloc.held])
    held = make_table(
        "held.csv",
        "待补正",
        HELD,
        [
            usccs, look.at("name", rows), ids, look.policy("title", ids),
            look.policy("fund", ids), demands, look.policy("issuer", ids),
            [h.missing for h in alloc.held], [missing_text(h.missing) for h in alloc.held],
        ],
    )  # fmt: skip
    rejected = sorted(draft.registry.rejected, key=lambda r: r.row)
    return RoundLists(
        grants=grants,
        push=push,
        missing=missing,
        near_miss=near_miss_table(draft),
        rejected=make_table(
            "rejected.csv",
            "数据问题",
            REJECTED,
            [[r.row for r in rejected], [r.uscc for r in rejected], [r.reason for r in rejected]],
        ),
        excluded=excluded,
        summary=rows_table(
            "summary.csv", "汇总", SUMMARY, _summary(draft), shown=funds, unit="项政策"
        ),
        funds=rows_table(None, "汇总", FUNDS, _funds(draft), unit="个资金来源"),
        publicity=publicity,
        held=held,
    )


def _share(part: int, whole: int | None) -> int | None:
    """``part / whole`` in ten-thousandths, rounded down (the PERCENT kind); None without a whole."""
    return None if not whole else part * 10_000 // whole


def _summary(draft: Draft) -> list[tuple[Any, ...]]:
    alloc = draft.allocation
    counts = draft.match.batch.counts.set_index("policy_id")
    near = draft.match.batch.near["policy_id"].value_counts()
    eligible = draft.match.batch.grants["policy_id"].value_counts()
    granted: dict[str, int] = defaultdict(int)
    demand: dict[str, int] = defaultdict(int)
    n_grants: Counter[str] = Counter()
    for g in alloc.grants:
        granted[g.candidate.policy_id] += g.amount_fen
        demand[g.candidate.policy_id] += g.candidate.demand_fen
        n_grants[g.candidate.policy_id] += 1
    _add(demand, (c for c in alloc.push))
    _add(demand, (e.candidate for e in alloc.excluded if e.reason in BUDGET_REASONS))
    by_reason: dict[Reason, Counter[str]] = defaultdict(Counter)
    for e in alloc.excluded:
        by_reason[e.reason][e.candidate.policy_id] += 1
    rows: list[tuple[Any, ...]] = []
    for p in sorted(draft.match.policies, key=lambda p: p.id):
        pays = p.mode is ir.Mode.AUTOMATIC
        t = draft.terms[p.id]
        rows.append(
            (
                p.id,
                p.fund,
                int(eligible.get(p.id, 0)),
                demand[p.id] if pays else None,
                granted[p.id] if pays else None,
                demand[p.id] - granted[p.id] if pays else None,
                p.title,
                p.mode.value,
                p.priority,
                t.budget_fen,
                _share(granted[p.id], t.budget_fen) if pays else None,
                n_grants[p.id],
                sum(by_reason[r][p.id] for r in LEDGER_REASONS),
                by_reason[Reason.GROUP_IN_ROUND][p.id],
                sum(by_reason[r][p.id] for r in BUDGET_REASONS),
                int(counts.at[p.id, "unknown"]) if p.id in counts.index else 0,
                int(near.get(p.id, 0)),
                None if pays else demand[p.id],
            )
        )
    return rows


def _add(totals: dict[str, int], candidates: Iterable[Candidate]) -> None:
    for c in candidates:
        totals[c.policy_id] += c.demand_fen


def _funds(draft: Draft) -> list[tuple[Any, ...]]:
    """One row per fund: what its 免申即享 policies asked of it and what it paid."""
    paying = {pid for pid, t in draft.terms.items() if t.draws_on_budget}
    fund_of = {pid: t.fund for pid, t in draft.terms.items()}
    eligible: Counter[str] = Counter()
    for pid, n in draft.match.batch.grants["policy_id"].value_counts().items():
        if pid in paying:  # counted by policy first: one step a policy, not one an enterprise
            eligible[fund_of[pid]] += int(n)
    grants = Counter(fund_of[g.candidate.policy_id] for g in draft.allocation.grants)
    rows: list[tuple[Any, ...]] = []
    for use in draft.allocation.fund_budgets:
        fund = draft.policy_set.funds.get(use.id)
        remaining = None if use.budget_fen is None else use.budget_fen - use.granted_fen
        rows.append(
            (
                fund.title if fund and fund.title else use.id,
                use.id,
                eligible[use.id],
                use.demand_fen,
                use.granted_fen,
                use.demand_fen - use.granted_fen,
                use.budget_fen,
                remaining,
                _share(use.granted_fen, use.budget_fen),
                grants[use.id],
                use.scaled_level,
            )
        )
    return rows


#: The rows of summary.csv (columns :data:`SUMMARY`) and of the funds table (:data:`FUNDS`),
#: for comparisons made in memory (``policymatch preview``).
summary_rows = _summary
fund_rows = _funds
