"""The semantics of policy-format.md, case by case, checked on every batch backend.

Expected results are written out by hand here (not taken from the reference evaluator), so the
suite also holds the reference to the spec: Kleene logic, the missing fields of an unknown,
near misses, tiers, cap then half-up rounding, amounts of zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pandas as pd
import pytest

from policymatch.backends.base import NEAR_COLUMNS, BatchResult, sort_result
from policymatch.values import Value
from tests.backends.conftest import Compile, match

D = Decimal
T, F, U = True, False, None

FLAGS = """\
schema:
  fields:
    flag_a: {type: boolean, label: 标志A}
    flag_b: {type: boolean, label: 标志B}
policies:
  - {id: AND, title: 与, eligibility: flag_a and flag_b, amount: 100}
  - {id: OR, title: 或, eligibility: flag_a or flag_b, amount: 100}
  - {id: NOT, title: 非, eligibility: not flag_a, amount: 100}
  - id: ALL
    title: 全部
    eligibility: {all: [flag_a, flag_b]}
    amount: 100
  - id: ANY
    title: 任一
    eligibility: {any: [flag_a, flag_b]}
    amount: 100
"""

#: The nine rows: every pair of true / false / unknown.
PAIRS = [(a, b) for a in (T, F, U) for b in (T, F, U)]

KLEENE = {
    "AND": lambda a, b: F if F in (a, b) else U if U in (a, b) else T,
    "OR": lambda a, b: T if T in (a, b) else U if U in (a, b) else F,
    "NOT": lambda a, b: U if a is U else not a,
}


def frame(rows: Sequence[tuple[object, ...]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=columns)


def result(
    grants: Sequence[tuple[int, str, int, int | None]] = (),
    unknown: Sequence[tuple[int, str, str]] = (),
    near: Sequence[tuple[int, str, str, str, int, int, float]] = (),
    counts: Sequence[tuple[str, int, int, int, int]] = (),
) -> BatchResult:
    return sort_result(
        BatchResult(
            frame(grants, ["row", "policy_id", "amount_fen", "tier"]),
            frame(unknown, ["row", "policy_id", "fields"]),
            frame(near, list(NEAR_COLUMNS)),
            frame(counts, ["policy_id", "eligible", "unknown", "ineligible", "zero"]),
        )
    )


def assert_same(got: BatchResult, want: BatchResult, *parts: str) -> None:
    for name in parts or ("grants", "unknown", "near", "counts"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), obj=name)


@pytest.mark.parametrize("policy", ["AND", "OR", "NOT"])
def test_kleene_truth_tables(compile_yaml: Compile, backend_name: str, policy: str) -> None:
    ps = compile_yaml(FLAGS)
    got = match(ps, [{"flag_a": a, "flag_b": b} for a, b in PAIRS], backend_name)
    truth = [KLEENE[policy](a, b) for a, b in PAIRS]
    read = {"AND": ("flag_a", "flag_b"), "OR": ("flag_a", "flag_b"), "NOT": ("flag_a",)}[policy]

    def missing(a: object, b: object) -> str:
        return ",".join(
            f for f, v in zip(("flag_a", "flag_b"), (a, b), strict=True) if v is U and f in read
        )

    grants = [g for g in got.grants.itertuples(index=False) if g.policy_id == policy]
    unknown = [u for u in got.unknown.itertuples(index=False) if u.policy_id == policy]
    assert [g.row for g in grants] == [i for i, t in enumerate(truth) if t is T]
    assert [(u.row, u.fields) for u in unknown] == [
        (i, missing(*PAIRS[i])) for i, t in enumerate(truth) if t is U
    ]


def listed(got: BatchResult, part: str, policy: str) -> list[tuple[object, ...]]:
    """The rows of one policy in one frame, as plain tuples without the policy id."""
    df = getattr(got, part)
    df = df[df["policy_id"] == policy].drop(columns="policy_id")
    return [tuple(None if pd.isna(v) else v for v in r) for r in df.itertuples(index=False)]


def test_condition_trees_blame_leaves_and_name_near_misses(
    compile_yaml: Compile, backend_name: str
) -> None:
    ps = compile_yaml(FLAGS)
    got = match(ps, [{"flag_a": a, "flag_b": b} for a, b in PAIRS], backend_name)
    # ALL: a leaf per flag, so an unknown names only the unknown flag. Failing one flag is not
    # a near miss: a flag is not a threshold anyone can be close to (test_near_misses.py).
    assert listed(got, "grants", "ALL") == [(0, 10000, None)]
    assert listed(got, "unknown", "ALL") == [(2, "flag_b"), (6, "flag_a"), (8, "flag_a,flag_b")]
    assert listed(got, "near", "ALL") == []
    # ANY: one top-level condition (the any group), so never a near miss.
    assert listed(got, "grants", "ANY") == [(i, 10000, None) for i in (0, 1, 2, 3, 6)]
    assert listed(got, "unknown", "ANY") == [(5, "flag_b"), (7, "flag_a"), (8, "flag_a,flag_b")]
    assert listed(got, "near", "ANY") == []


BLAME = """\
policies:
  - id: BLAME
    title: 缺数据
    eligibility:
      all:
        - label: 规模
          when: revenue >= 1万 and employees >= 10
        - label: 年限
          when: age_years >= 3
    amount: 1000
  - id: DIV
    title: 除法
    eligibility: revenue / employees >= 100
    amount: 1
"""


def test_missing_fields_are_the_null_fields_of_the_unknown_parts(
    compile_yaml: Compile, backend_name: str
) -> None:
    ps = compile_yaml(BLAME)
    old = dt.date(2020, 1, 1)
    rows: list[dict[str, Value]] = [
        {"revenue": None, "employees": 20, "registered_on": old},  # 规模 unknown
        {"revenue": D(20000), "employees": None, "registered_on": None},  # both unknown
        {"revenue": None, "employees": 5, "registered_on": old},  # 规模 false: not unknown
        {"revenue": D(100), "employees": 0, "registered_on": old},  # division by zero
        {"revenue": D(20000), "employees": 20, "registered_on": None},  # age_years unknown
        {"revenue": D(20000), "employees": 20, "registered_on": old},
    ]
    got = match(ps, rows, backend_name)
    want = result(
        grants=[(5, "BLAME", 100000, None), (4, "DIV", 100, None), (5, "DIV", 100, None)],
        unknown=[
            (0, "BLAME", "revenue"),
            (1, "BLAME", "employees,registered_on"),
            (4, "BLAME", "registered_on"),
            (0, "DIV", "revenue"),
            (1, "DIV", "employees"),
            (2, "DIV", "revenue"),
            (3, "DIV", "employees,revenue"),  # nothing null: every field the division reads
        ],
        # 规模 is false on rows 2 and 3 (on row 2 although revenue is missing: employees >= 10
        # already fails), but it is two comparisons, not one threshold: no near miss.
        counts=[("BLAME", 1, 3, 2, 0), ("DIV", 2, 4, 0, 0)],
    )
    assert_same(got, want)


AMOUNTS = """\
policies:
  - id: RATE60
    title: 六成
    eligibility: ui_paid > 0
    amount: ui_paid * 60%
    cap: 1万
  - id: RATE30
    title: 三成
    eligibility: ui_paid > 0
    amount: ui_paid * 30%
  - id: TIERS
    title: 分档
    eligibility: ui_paid > 0
    amount:
      tiers:
        - when: revenue >= 1亿
          value: 10万
        - when: employees >= 10
          value: 1万
  - id: TAX
    title: 退税
    eligibility: ui_paid > 0
    amount: tax_paid * 1%
"""


def test_amounts_cap_round_half_up_tiers_and_zero(compile_yaml: Compile, backend_name: str) -> None:
    ps = compile_yaml(AMOUNTS)
    rows = [
        {"ui_paid": D("12345.67"), "revenue": D("2e8"), "employees": 5, "tax_paid": D("100")},
        {"ui_paid": D("0.05"), "revenue": None, "employees": 20, "tax_paid": D("-100")},
        {
            "ui_paid": D("123456.75"),
            "revenue": D("10000"),
            "employees": None,
            "tax_paid": D("0.49"),
        },
        {"ui_paid": D("20000"), "revenue": D("10000"), "employees": 20, "tax_paid": D("0.5")},
        {"ui_paid": D("1.01"), "revenue": D("10000"), "employees": 5, "tax_paid": None},
    ]
    got = match(ps, rows, backend_name)
    want = result(
        grants=[
            # 12345.67 × 60% = 7407.402; 0.05 × 60% = 0.03; 123456.75 × 60% = 74074.05 > cap
            (0, "RATE60", 740740, None),
            (1, "RATE60", 3, None),
            (2, "RATE60", 1000000, None),
            (3, "RATE60", 1000000, None),
            (4, "RATE60", 61, None),  # 1.01 × 60% = 0.606
            # 0.05 × 30% = 0.015 -> 0.02 (half-up, not the banker's 0.02/0.01 by parity)
            (0, "RATE30", 370370, None),  # 3703.701
            (1, "RATE30", 2, None),
            (2, "RATE30", 3703703, None),  # 37037.025 -> 37037.03
            (3, "RATE30", 600000, None),
            (4, "RATE30", 30, None),  # 0.303
            (0, "TIERS", 10000000, 0),
            (3, "TIERS", 1000000, 1),
            (0, "TAX", 100, None),
            (3, "TAX", 1, None),  # 0.005 -> 0.01
        ],
        unknown=[
            (1, "TIERS", "revenue"),  # the first tier cannot be decided
            (2, "TIERS", "employees"),  # the first fails, the second cannot be decided
            (4, "TAX", "tax_paid"),
        ],
        counts=[
            ("RATE30", 5, 0, 0, 0),
            ("RATE60", 5, 0, 0, 0),
            ("TAX", 2, 1, 0, 2),  # -1.00 and 0.0049 -> 0.00: eligible, but nothing to pay
            ("TIERS", 2, 2, 0, 1),  # row 4 matches no tier: an amount of zero
        ],
    )
    assert_same(got, want)


def test_empty_registry_gives_empty_frames_of_the_contract(
    compile_yaml: Compile, backend_name: str
) -> None:
    ps = compile_yaml(AMOUNTS)
    got = match(ps, [], backend_name)
    want = result(counts=[(p, 0, 0, 0, 0) for p in ("RATE30", "RATE60", "TAX", "TIERS")])
    assert_same(got, want)


def _wide(conditions: int, tiers: int) -> str:
    """A policy with many conditions (the last reads revenue, the others employees) and one with
    many tiers (the last one's value reads tax_paid)."""
    items = "".join(f"        - employees >= {i}\n" for i in range(conditions - 1))
    steps = "".join(
        f"        - when: employees >= {1000 - i}\n          value: {i + 1}\n"
        for i in range(tiers - 1)
    )
    return f"""\
policies:
  - id: WIDE
    title: 条件最多
    eligibility:
      all:
{items}        - revenue >= 1
    amount: 1
  - id: STEPS
    title: 多档
    eligibility: employees >= 0
    amount:
      tiers:
{steps}        - when: employees >= 0
          value: tax_paid * 1%
"""


def test_many_conditions_and_many_tiers_name_their_missing_fields(
    compile_yaml: Compile, backend_name: str
) -> None:
    # More than 64 of each: nothing about them is kept in a 64-bit word.
    ps = compile_yaml(_wide(100, 70))
    rows: list[dict[str, Value]] = [
        {"employees": 100, "revenue": None, "tax_paid": D(500)},  # the last condition unknown
        {"employees": None, "revenue": D(5), "tax_paid": D(500)},  # all but the last unknown
        {"employees": 5, "revenue": D(5), "tax_paid": None},  # the last tier's value unknown
        {"employees": 999, "revenue": D(5), "tax_paid": None},  # the 2nd tier matches
        {"employees": 97, "revenue": D(5), "tax_paid": D(100)},  # fails employees >= 98 only
    ]
    got = match(ps, rows, backend_name)
    assert listed(got, "unknown", "WIDE") == [(0, "revenue"), (1, "employees")]
    assert listed(got, "unknown", "STEPS") == [(1, "employees"), (2, "tax_paid")]
    assert listed(got, "grants", "STEPS") == [(0, 500, 69), (3, 200, 1), (4, 100, 69)]
    assert listed(got, "near", "WIDE") == [(4, "employees >= 98", "employees", 97, 1, 1 / 98)]
