"""临界企业: the near misses of a round as outreach lists, one workbook per issuing department.

A near miss is one threshold short, within the policy's margin (``backends/nearmiss.py``,
docs/rounds.md). Each department gets ``临界企业_<责任单位>.xlsx`` with its policies' near
misses, closest first, each with a sentence a clerk can read out
(``上年纳税额 4,620,000.00 元，差 380,000.00 元（7.6%）``); ``near_miss.csv`` holds them all for
systems. They are not part of the review workbook: nobody is paid from them.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..backends.nearmiss import sentence, shown_values
from ..schema import FieldType, Schema
from .draft import Draft, values_at
from .tables import Column, Kind, Table, make_table
from .workbook import write_workbook

C = Column
NEAR = (
    C("uscc", "统一社会信用代码", width=22),
    C("name", "企业名称", width=36),
    C("policy_id", "政策编号", width=18),
    C("policy_title", "政策名称", width=30),
    C("issuer", "责任单位", width=14),
    C("condition", "未满足的条件", width=30),
    C("field", "field", width=16),
    C("value", "当前值", width=18),
    C("gap", "差距", width=18),
    C("ratio", "差距比例", Kind.PERCENT, width=10),
    C("note", "说明", width=48),
    C("contact_phone", "联系电话", width=14),
)
#: What a department's workbook shows (the machine column ``field`` stays in the CSV).
SHEET = tuple(c for c in NEAR if c.name != "field")
SHEET_NAME = "临界企业"
NO_ISSUER = "未注明责任单位"
#: The department files' names start so (a new run removes the last run's: departments change).
PREFIX = "临界企业_"


def near_miss_table(draft: Draft) -> Table:
    """``near_miss.csv``: every near miss, by department, closest first, then policy and USCC."""
    near = draft.match.batch.near
    schema = draft.policy_set.schema
    policies = {p.id: p for p in draft.policy_set.policies}
    rows = near["row"].to_numpy()
    ids = near["policy_id"].to_numpy(dtype=object)
    issuer = np.array([policies[i].issuer or NO_ISSUER for i in ids], dtype=object)
    uscc = values_at(draft.frame["uscc"], rows)
    ratio = near["ratio"].to_numpy()
    order = np.lexsort((uscc, ids, ratio, issuer)) if len(rows) else np.empty(0, np.int64)
    fields = near["field"].to_numpy(dtype=object)
    values = near["value"].to_numpy()
    gaps = near["gap"].to_numpy()
    shown = [
        shown_values(_type(schema, f), int(v), int(g))
        for f, v, g in zip(fields, values, gaps, strict=True)
    ]
    notes = [
        sentence(_label(schema, f), v, g, float(r))
        for f, (v, g), r in zip(fields, shown, ratio, strict=True)
    ]
    phone = draft.frame.get("contact_phone", None)
    columns = [
        uscc,
        values_at(draft.frame["name"], rows),
        ids,
        [policies[i].title for i in ids],
        issuer,
        near["condition"].to_numpy(dtype=object),
        fields,
        [v for v, _ in shown],
        [g for _, g in shown],
        # Ten-thousandths, rounded half-up like the percentages people read.
        np.floor(ratio * 10_000 + 0.5).astype(np.int64),
        notes,
        pd.Series([None] * len(rows), dtype=object) if phone is None else values_at(phone, rows),
    ]
    ordered = [np.asarray(c, dtype=object)[order] if len(rows) else c for c in columns]
    return make_table("near_miss.csv", None, NEAR, ordered)


def _label(schema: Schema, name: str) -> str:
    return schema[name].display if name in schema else name


def _type(schema: Schema, name: str) -> FieldType:
    return schema[name].type if name in schema else FieldType.INTEGER


def department_files(table: Table) -> dict[str, Table]:
    """The near misses of ``table`` split by department: file name -> its rows (in order)."""
    issuers = table.data.column("issuer").to_pylist()
    out: dict[str, Table] = {}
    for issuer in dict.fromkeys(issuers):
        at = [i for i, x in enumerate(issuers) if x == issuer]
        part = table.data.take(at).select([c.name for c in SHEET])
        name = f"{PREFIX}{_file_part(str(issuer))}.xlsx"
        out[name] = Table(name, SHEET_NAME, SHEET, part)
    return out


def _file_part(text: str) -> str:
    """A department's name as part of a file name (no path separators or reserved characters)."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("._") or NO_ISSUER


def write_department_files(
    table: Table, folder: Path, as_of: dt.date, footer: str = ""
) -> list[Path]:
    """One workbook per department, printed and protected like the round's other workbooks."""
    return [
        write_workbook(folder / name, as_of=as_of, sheets=[part], footer=footer)
        for name, part in department_files(table).items()
    ]
