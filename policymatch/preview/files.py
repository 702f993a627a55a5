"""The preview's CSV files (UTF-8 with BOM, money with two places, like a round's lists)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from ..errors import UsageError, simple
from ..moneytext import fen_text
from ..rounds.manifest_model import MANIFEST
from ..rounds.outputs import write_csv
from ..rounds.tables import Column, Kind, rows_table
from .compare import EnterpriseRow, GroupRow, PolicyRow, Preview

C = Column
MONEY, COUNT, PERCENT = Kind.MONEY, Kind.COUNT, Kind.PERCENT

ENTERPRISES = (
    C("uscc", "统一社会信用代码"),
    C("name", "企业名称"),
    C("region", "行政区划代码"),
    C("industry_section", "行业门类"),
    C("before", "现行兑现金额（元）", MONEY),
    C("after", "拟议兑现金额（元）", MONEY),
    C("delta", "变化（元）", MONEY),
    C("changes", "各政策变化"),
)


def _sides(*columns: tuple[str, str, Kind]) -> tuple[Column, ...]:
    """Each figure twice: ``<name>_before`` (现行) then ``<name>_after`` (拟议)."""
    return tuple(
        C(f"{name}_{side}", f"{label}（{side_label}）", kind)
        for name, label, kind in columns
        for side, side_label in (("before", "现行"), ("after", "拟议"))
    )


POLICIES = (
    C("policy_id", "政策编号"),
    C("policy_title", "政策名称"),
    C("status", "状态"),
    C("fund", "资金来源"),
    C("mode", "兑现方式"),
    *_sides(
        ("eligible", "符合条件（户）", COUNT),
        ("grants", "兑现（户）", COUNT),
        ("demand", "应兑现金额（元）", MONEY),
        ("granted", "兑现金额（元）", MONEY),
        ("unknown", "待补充数据（户）", COUNT),
    ),
    C("granted_delta", "兑现金额变化（元）", MONEY),
)
FUNDS = (
    C("fund", "资金来源"),
    C("fund_title", "资金名称"),
    C("budget", "预算（元）", MONEY),
    *_sides(
        ("demand", "应兑现金额", MONEY),
        ("granted", "兑现金额", MONEY),
        ("shortfall", "资金缺口", MONEY),
        ("rate", "核减比例", PERCENT),
    ),
)
GROUPS = (
    C("key", "分组"),
    C("enterprises", "企业（户）", COUNT),
    C("gainers", "多得（户）", COUNT),
    C("losers", "少得（户）", COUNT),
    *_sides(("granted", "兑现金额", MONEY)),
    C("delta", "变化（元）", MONEY),
)


def changes_text(e: EnterpriseRow) -> str:
    return "; ".join(f"{pid}: {fen_text(x)} -> {fen_text(y)}" for pid, x, y in e.changes)


def _ten_thousandths(rate: Fraction) -> int:
    return rate.numerator * 10_000 // rate.denominator


def _enterprises(rows: Sequence[EnterpriseRow]) -> list[tuple[object, ...]]:
    return [
        (e.uscc, e.name, e.region, e.section, e.granted.before, e.granted.after,
         e.granted.delta, changes_text(e))
        for e in rows
    ]  # fmt: skip


def _groups(rows: Sequence[GroupRow]) -> list[tuple[object, ...]]:
    return [
        (g.key, g.enterprises, g.gainers, g.losers, g.granted.before, g.granted.after,
         g.granted.delta)
        for g in rows
    ]  # fmt: skip


def check_out(out_dir: Path) -> None:
    """Refuse, before any work, a folder the preview cannot or must not write (PM903): a file,
    a folder without write permission, or a round's folder (its manifest.json)."""
    problem = None
    if (out_dir / MANIFEST).exists():
        problem = f"'{out_dir}' holds a round ({MANIFEST}): a preview is not part of a round"
    else:
        existing = next(p for p in (out_dir, *out_dir.absolute().parents) if p.exists())
        if not existing.is_dir():
            problem = f"cannot write the preview into '{out_dir}': '{existing}' is a file"
        elif not os.access(existing, os.W_OK):
            problem = f"cannot write the preview into '{out_dir}': no permission"
    if problem:
        raise UsageError(
            [simple("PM903", problem, hint="give the preview a folder of its own (--out)")]
        )


def _demand(p: PolicyRow) -> tuple[int | None, int | None]:
    shown = p.round_demand
    return (None, None) if shown is None else (shown.before, shown.after)


def write_files(pv: Preview, out_dir: Path) -> list[str]:
    """Write the CSV files into ``out_dir``; returns their names."""
    policies = [
        (p.id, p.title, p.status, p.fund, p.mode,
         p.eligible.before, p.eligible.after, p.grants.before, p.grants.after,
         *_demand(p), p.granted.before, p.granted.after,
         p.unknown.before, p.unknown.after, p.granted.delta)
        for p in pv.policies
    ]  # fmt: skip
    funds = [
        (f.id, f.title, f.budget[1], f.demand.before, f.demand.after, f.granted.before,
         f.granted.after, f.shortfall.before, f.shortfall.after, _ten_thousandths(f.rate[0]),
         _ten_thousandths(f.rate[1]))
        for f in pv.funds
    ]  # fmt: skip
    tables = (
        rows_table("gainers.csv", None, ENTERPRISES, _enterprises(pv.gainers)),
        rows_table("losers.csv", None, ENTERPRISES, _enterprises(pv.losers)),
        rows_table("policies.csv", None, POLICIES, policies),
        rows_table("funds.csv", None, FUNDS, funds),
        rows_table("regions.csv", None, GROUPS, _groups(pv.regions)),
        rows_table("industries.csv", None, GROUPS, _groups(pv.sections)),
    )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for t in tables:
            write_csv(t, out_dir)
    except OSError as exc:
        raise UsageError(
            [simple("PM903", f"cannot write the preview into '{out_dir}': {exc}")]
        ) from exc
    return [t.file for t in tables if t.file]
