"""The pool statement as files: ``pool_statement.csv``, ``replenish_due.csv`` (回补清单) and
``资金池对账单.xlsx``, written with the round's CSV and workbook writers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .outputs import write_csv
from .pool import KIND_TEXT, Statement
from .tables import Column, Kind, Table, rows_table
from .workbook import write_workbook

C = Column
WORKBOOK = "资金池对账单.xlsx"
LINES = (
    C("fund", "资金", width=16),
    C("date", "日期", width=12),
    C("kind", "类别", width=10),
    C("detail", "摘要", width=14),
    C("round", "轮次", width=14),
    C("department", "单位", width=16),
    C("source", "来源", width=8),
    C("ref", "文号", width=20),
    C("policy_id", "政策编号", width=14),
    C("uscc", "统一社会信用代码", width=22),
    C("reason", "原因", width=24),
    C("grants", "笔数", Kind.COUNT, width=8),
    C("amount", "金额（元）", Kind.MONEY, width=16),
    C("balance", "余额（元）", Kind.MONEY, width=16),
)
DUE = (
    C("fund", "资金", width=16),
    C("department", "单位", width=18),
    C("advanced", "垫付兑现（元）", Kind.MONEY, width=16),
    C("returned", "退票退回（元）", Kind.MONEY, width=16),
    C("recovered", "追回（元）", Kind.MONEY, width=16),
    C("replenished", "已回补（元）", Kind.MONEY, width=16),
    C("owed", "应回补（元）", Kind.MONEY, width=16),
)


def line_rows(statements: Sequence[Statement]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for st in statements:
        for ln in st.lines:
            rows.append(
                (
                    st.fund, ln.on_date.isoformat(), ln.kind.value, KIND_TEXT[ln.kind],
                    (ln.round_id or "")[:12] or None, ln.department, ln.source, ln.ref,
                    ln.policy_id, ln.uscc, ln.reason, ln.grants, ln.amount_fen, ln.balance_fen,
                )
            )  # fmt: skip
    return rows


def due_rows(statements: Sequence[Statement]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for st in statements:
        owed = st.owed
        for dept in sorted(st.by_department):
            rows.append((st.fund, dept, *st.by_department[dept], owed[dept]))
    return rows


def tables(statements: Sequence[Statement]) -> tuple[Table, Table]:
    return (
        rows_table("pool_statement.csv", "资金池对账单", LINES, line_rows(statements)),
        rows_table("replenish_due.csv", "回补清单", DUE, due_rows(statements)),
    )


def write_statement(
    statements: Sequence[Statement], out_dir: Path, as_of: dt.date, notes: Sequence[str]
) -> list[Path]:
    """The two CSV files and the workbook (the statement, then the 回补清单 below it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lines, due = tables(statements)
    for t in (lines, due):
        write_csv(t, out_dir)
    write_workbook(
        out_dir / WORKBOOK, as_of=as_of, summary=lines, funds=due, sheets=(), notes=notes
    )
    return [out_dir / "pool_statement.csv", out_dir / "replenish_due.csv", out_dir / WORKBOOK]
