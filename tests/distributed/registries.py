"""Generated registries with the problems a real export has, in CSV and Parquet, and a policy
set whose policy and fund budgets bind on them."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from policymatch.registry.generate import generate_frame
from policymatch.registry.writers import write_csv
from policymatch.rules import PolicySet, compile_policy_set
from policymatch.schema import STANDARD_SCHEMA

AS_OF = dt.date(2024, 3, 1)

POLICIES = """\
version: 1
funds:
  - {id: pool, title: 惠企政策资金池, budget: 5万}
  - {id: tech, title: 科技专项资金}
define:
  本地企业: region == "361126" and not credit_blacklisted
policies:
  - id: W
    title: 失业保险稳岗返还
    fund: pool
    priority: 1
    budget: 3万
    eligibility:
      all:
        - 本地企业
        - ui_paid > 0
        - layoff_rate <= 5.5%
    amount: ui_paid * 60%
  - id: Z1
    title: 专精特新奖励
    fund: pool
    priority: 2
    stacking_group: 专精特新
    eligibility: 本地企业 and "专精特新" in tags
    amount: 1万
  - id: Z2
    title: 专精特新小巨人奖励
    fund: pool
    priority: 2
    stacking_group: 专精特新
    eligibility: 本地企业 and "专精特新小巨人" in tags
    amount: 5万
  - id: H
    title: 吸纳就业奖励
    fund: pool
    priority: 3
    eligibility: 本地企业 and employees >= 10
    amount: 1000
  - id: R
    title: 研发投入奖励
    fund: tech
    budget: 20万
    eligibility: 本地企业 and rd_expense >= 50万 and employees >= 10
    amount: rd_expense * 5%
    cap: 5万
  - id: X
    title: 外贸出口奖励
    fund: pool
    mode: 即申即享
    eligibility: 本地企业 and export_value >= 100万
    amount: export_value * 0.5%
    cap: 3万
"""


def policy_set(folder: Path) -> PolicySet:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policies.yaml").write_text(POLICIES, encoding="utf-8")
    return compile_policy_set(folder)


def messy_csv(path: Path, rows: int, seed: int) -> Path:
    """A generated registry as CSV, with rows set aside for every reason, far apart (so in
    different partitions): exact and conflicting repeats of a code, a cell that does not type,
    a bad check digit, a row with a cell too many, and an empty line."""
    frame = generate_frame(rows, seed)
    write_csv(frame, path, STANDARD_SCHEMA)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header, body = lines[0], lines[1:]
    rng = random.Random(seed)
    picks = rng.sample(range(len(body)), 8)

    def cells(i: int) -> list[str]:
        return body[i].split(",")

    exact_repeat = body[picks[0]]
    conflicting = cells(picks[1])
    conflicting[1] += "分公司"
    bad_cell = cells(picks[2])
    bad_cell[6] = "十二人"
    bad_code = cells(picks[3])
    bad_code[0] = bad_code[0][:-1] + ("0" if bad_code[0][-1] != "0" else "1")
    broken = [*cells(picks[4]), "多出的一格"]
    body[picks[2]] = ",".join(bad_cell)
    body[picks[3]] = ",".join(bad_code)
    body[picks[4]] = ",".join(broken)
    body.insert(len(body) // 3, "")
    body.insert(len(body) // 2, ",".join(conflicting))
    body.append(exact_repeat)
    body.append(body[picks[5]])  # a second exact repeat, at the very end
    path.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    return path


def as_parquet(csv_path: Path, path: Path, row_group_size: int) -> Path:
    """The CSV's well-formed rows as a Parquet file of text columns, so that cells that do not
    type stay in it; small row groups make several partitions."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import csv as pacsv

    header = csv_path.read_text(encoding="utf-8").splitlines()[0].split(",")
    table = pacsv.read_csv(
        csv_path,
        parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string())),
    )
    pq.write_table(table, path, row_group_size=row_group_size)
    return path
