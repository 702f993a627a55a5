"""The derived ``size`` field: thresholds, null handling, industry mapping, frame agreement."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policymatch.registry.frame import conform, frame_from_records
from policymatch.registry.size import classify_size, derive_size, industry_categories
from policymatch.schema import SIZES, STANDARD_SCHEMA

WAN = 1_000_000  # fen per 万元
LARGE, MEDIUM, SMALL, MICRO = SIZES

# The spec's table, typed again here (not read from the module) so that a slip in either copy
# shows: a sample code of the category, then the thresholds of "SME if" (joined by or), 中型 and
# 小型 (each joined by and). Counts in persons, amounts in 万元.
SPEC: list[tuple[str, str, dict[str, int], dict[str, int], dict[str, int]]] = [
    ("农、林、牧、渔业", "A0111", {"revenue": 20000}, {"revenue": 500}, {"revenue": 50}),
    ("工业", "C3011",
     {"employees": 1000, "revenue": 40000}, {"employees": 300, "revenue": 2000}, {"employees": 20, "revenue": 300}),
    ("建筑业", "E4710",
     {"revenue": 80000, "assets": 80000}, {"revenue": 6000, "assets": 5000}, {"revenue": 300, "assets": 300}),
    ("批发业", "F5111",
     {"employees": 200, "revenue": 40000}, {"employees": 20, "revenue": 5000}, {"employees": 5, "revenue": 1000}),
    ("零售业", "F5211",
     {"employees": 300, "revenue": 20000}, {"employees": 50, "revenue": 500}, {"employees": 10, "revenue": 100}),
    ("交通运输业", "G5431",
     {"employees": 1000, "revenue": 30000}, {"employees": 300, "revenue": 3000}, {"employees": 20, "revenue": 200}),
    ("仓储业", "G5910",
     {"employees": 200, "revenue": 30000}, {"employees": 100, "revenue": 1000}, {"employees": 20, "revenue": 100}),
    ("邮政业", "G6010",
     {"employees": 1000, "revenue": 30000}, {"employees": 300, "revenue": 2000}, {"employees": 20, "revenue": 100}),
    ("住宿业", "H6110",
     {"employees": 300, "revenue": 10000}, {"employees": 100, "revenue": 2000}, {"employees": 10, "revenue": 100}),
    ("餐饮业", "H6210",
     {"employees": 300, "revenue": 10000}, {"employees": 100, "revenue": 2000}, {"employees": 10, "revenue": 100}),
    ("信息传输业", "I6311",
     {"employees": 2000, "revenue": 100000}, {"employees": 100, "revenue": 1000}, {"employees": 10, "revenue": 100}),
    ("软件和信息技术服务业", "I6510",
     {"employees": 300, "revenue": 10000}, {"employees": 100, "revenue": 1000}, {"employees": 10, "revenue": 50}),
    ("房地产开发经营", "K7010",
     {"revenue": 200000, "assets": 10000}, {"revenue": 1000, "assets": 5000}, {"revenue": 100, "assets": 2000}),
    ("物业管理", "K7020",
     {"employees": 1000, "revenue": 5000}, {"employees": 300, "revenue": 1000}, {"employees": 100, "revenue": 500}),
    ("租赁和商务服务业", "L7111",
     {"employees": 300, "assets": 120000}, {"employees": 100, "assets": 8000}, {"employees": 10, "assets": 100}),
    ("其他未列明行业", "M7320", {"employees": 300}, {"employees": 100}, {"employees": 10}),
]  # fmt: skip


def _in_units(thresholds: dict[str, int]) -> dict[str, int]:
    return {m: v * (1 if m == "employees" else WAN) for m, v in thresholds.items()}


def _threshold_cases() -> Iterator[Any]:
    """Both sides of every threshold of every category.

    Each case holds every other value of the test at its own threshold, so only the one value
    moves the result. The sizes follow from the table's shape: every 中型 threshold lies below
    the SME bound and above the 小型 threshold of the same value, so one unit under the SME
    bound lands in 中型, one unit under a 中型 threshold in 小型, and under a 小型 one in 微型.
    Values a category does not use stay null: they must not be needed.
    """
    for name, code, sme, medium, small in SPEC:
        for label, thresholds, at, below in (
            ("SME", sme, LARGE, MEDIUM),
            ("中型", medium, MEDIUM, SMALL),
            ("小型", small, SMALL, MICRO),
        ):
            base = _in_units(thresholds)
            for metric in base:
                unit = "person" if metric == "employees" else "fen"
                for side, delta, expected in (("at", 0, at), (f"1 {unit} below", 1, below)):
                    values = {**base, metric: base[metric] - delta}
                    yield pytest.param(
                        code,
                        values.get("employees"),
                        values.get("revenue"),
                        values.get("assets"),
                        expected,
                        id=f"{name}-{label}-{metric}-{side}",
                    )


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "assets", "expected"), list(_threshold_cases())
)
def test_both_sides_of_every_threshold(
    industry: str, employees: int | None, revenue: int | None, assets: int | None, expected: str
) -> None:
    assert classify_size(industry, employees, revenue, assets) == expected
    frame = _frame([(industry, employees, revenue, assets, None)])
    assert derive_size(frame).tolist() == [expected]


def test_every_category_has_its_threshold_cases() -> None:
    assert len(SPEC) == 16
    ids = {p.id.split("-")[0] for p in _threshold_cases()}
    assert ids == {row[0] for row in SPEC}
    for name, code, *_ in SPEC:
        assert industry_categories(code) == (name,)


# Worked by hand from the spec, independently of the boundary construction above.
@pytest.mark.parametrize(
    ("industry", "employees", "revenue_wan", "assets_wan", "expected"),
    [
        ("C3011", 1200, Decimal(50000), None, LARGE),
        ("C3011", 1200, Decimal(30000), None, MEDIUM),  # SME on revenue although 1200 employees
        ("C3011", 250, Decimal(50000), None, SMALL),  # SME on employees; under 300 for 中型
        ("C3011", 15, Decimal(50000), None, MICRO),
        ("E4710", None, Decimal(90000), Decimal(70000), MEDIUM),  # SME on assets
        ("F5111", 30, Decimal("4999.99"), None, SMALL),
        ("F5211", 60, Decimal("499.99"), None, SMALL),
        ("K7010", None, Decimal(300000), Decimal(9000), MEDIUM),
        ("K7010", None, Decimal(500), Decimal(1999), MICRO),
        ("L7111", 50, None, Decimal("99.99"), MICRO),
        ("P8321", 99, Decimal(10**9), Decimal(10**9), SMALL),  # 其他: employees only
        ("A0111", None, Decimal("49.99"), None, MICRO),
    ],
)
def test_worked_examples(
    industry: str,
    employees: int | None,
    revenue_wan: Decimal | None,
    assets_wan: Decimal | None,
    expected: str,
) -> None:
    def fen(wan: Decimal | None) -> int | None:
        return None if wan is None else int(wan * WAN)

    assert classify_size(industry, employees, fen(revenue_wan), fen(assets_wan)) == expected


# -- null inputs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "assets", "expected"),
    [
        # SME on known employees, and too few for 中型 or 小型 whatever the revenue.
        ("C3011", 10, None, None, MICRO),
        # SME on known revenue, and too little for 中型 or 小型 whatever the head count.
        ("C3011", None, 299 * WAN, None, MICRO),
        # SME on employees, but 中型 against 小型 turns on the missing revenue.
        ("C3011", 500, None, None, None),
        # 小型 against 微型 turns on the missing revenue.
        ("C3011", 50, None, None, None),
        # Neither SME test holds on what is known: 大型 or not turns on revenue.
        ("C3011", 1000, None, None, None),
        ("C3011", None, 40000 * WAN, None, None),
        ("C3011", None, None, None, None),
        # A value the category does not use may be null.
        ("C3011", 1000, 40000 * WAN, None, LARGE),
        ("L7111", 1000, None, 120000 * WAN, LARGE),
        ("M7320", 10, None, None, SMALL),
        ("A0111", None, 20000 * WAN, None, LARGE),
        # ... but a value it does use may not.
        ("L7111", 150, 10**12, None, None),
        ("E4710", None, 500 * WAN, None, None),
        ("E4710", None, 299 * WAN, None, MICRO),  # revenue alone fails 中型 and 小型
        ("M7320", None, 10**12, 10**12, None),
        ("A0111", 10**6, None, 10**12, None),
        # No industry, or not a GB/T 4754-2017 code: no category, so no size.
        (None, 10, 10 * WAN, 10 * WAN, None),
        ("", 10, 10 * WAN, 10 * WAN, None),
        ("   ", 10, 10 * WAN, 10 * WAN, None),
        ("3011", 10, 10 * WAN, 10 * WAN, None),
        ("Z3011", 10, 10 * WAN, 10 * WAN, None),
        ("C30111", 10, 10 * WAN, 10 * WAN, None),
        ("C-3011", 10, 10 * WAN, 10 * WAN, None),
    ],
)
def test_null_inputs(
    industry: str | None,
    employees: int | None,
    revenue: int | None,
    assets: int | None,
    expected: str | None,
) -> None:
    assert classify_size(industry, employees, revenue, assets) == expected
    assert derive_size(_frame([(industry, employees, revenue, assets, None)])).tolist() == [
        expected
    ]


def test_a_frame_without_a_size_column_has_every_size_derived() -> None:
    rows: list[Row] = [("C3011", 500, None, None, None), ("C3011", 10, None, None, None),
                       (None, 10, None, None, None), ("F5111", 3, 10**6, None, None)]  # fmt: skip
    frame = _frame(rows)
    derived = derive_size(frame.drop(columns="size"))
    assert derived.tolist() == derive_size(frame).tolist() == [None, MICRO, None, MICRO]
    assert derived.name == "size"
    assert derived.dtype == object


def test_pandas_na_is_null() -> None:
    assert classify_size("C3011", 500, pd.NA, pd.NA) is None
    assert classify_size("C3011", 10, pd.NA, pd.NA) == MICRO


# -- industry codes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "categories"),
    [
        ("A", ("农、林、牧、渔业",)),
        ("B0610", ("工业",)),
        ("C", ("工业",)),
        ("C3011", ("工业",)),
        ("D4411", ("工业",)),
        ("E", ("建筑业",)),
        ("F51", ("批发业",)),
        ("F5111", ("批发业",)),
        ("F52", ("零售业",)),
        ("F5299", ("零售业",)),
        ("G53", ("交通运输业",)),
        ("G5810", ("交通运输业",)),
        ("G59", ("仓储业",)),
        ("G5920", ("仓储业",)),
        ("G60", ("邮政业",)),
        ("G6020", ("邮政业",)),
        ("H61", ("住宿业",)),
        ("H62", ("餐饮业",)),
        ("I63", ("信息传输业",)),
        ("I6421", ("信息传输业",)),
        ("I65", ("软件和信息技术服务业",)),
        ("I6510", ("软件和信息技术服务业",)),
        ("K701", ("房地产开发经营",)),
        ("K7010", ("房地产开发经营",)),
        ("K702", ("物业管理",)),
        ("K7020", ("物业管理",)),
        ("K703", ("其他未列明行业",)),
        ("K7040", ("其他未列明行业",)),
        ("K7090", ("其他未列明行业",)),
        ("L", ("租赁和商务服务业",)),
        ("L7212", ("租赁和商务服务业",)),
        ("J6620", ("其他未列明行业",)),
        ("M", ("其他未列明行业",)),
        ("S9221", ("其他未列明行业",)),
        ("T9700", ("其他未列明行业",)),
        (" c3011 ", ("工业",)),
        # Coarser than the table: every category the code may stand for.
        ("F", ("批发业", "零售业")),
        ("G", ("交通运输业", "仓储业", "邮政业")),
        ("H", ("住宿业", "餐饮业")),
        ("I", ("信息传输业", "软件和信息技术服务业")),
        ("K", ("房地产开发经营", "物业管理", "其他未列明行业")),
        ("K70", ("房地产开发经营", "物业管理", "其他未列明行业")),
        # Not codes.
        ("", ()),
        ("U1234", ()),
        ("5211", ()),
        ("F5211X", ()),
        (None, ()),
    ],
)
def test_industry_categories(code: str | None, categories: tuple[str, ...]) -> None:
    assert industry_categories(code) == categories


@pytest.mark.parametrize(
    ("codes", "employees", "revenue", "assets", "sizes"),
    [
        # Same values, neighbouring codes, different rows of the table.
        (("F5111", "F5211"), 250, 45000 * WAN, None, (LARGE, MEDIUM)),
        (("G5431", "G5910", "G6010"), 350, 31000 * WAN, None, (MEDIUM, LARGE, MEDIUM)),
        (("I6311", "I6510"), 500, 20000 * WAN, None, (MEDIUM, LARGE)),
        (("K7010", "K7020", "K7030"), 500, 3000 * WAN, 6000 * WAN, (MEDIUM, MEDIUM, LARGE)),
        (("K7010", "K7020", "K7030"), 150, 300 * WAN, 3000 * WAN, (SMALL, MICRO, MEDIUM)),
    ],
)
def test_neighbouring_codes_classify_by_their_own_rows(
    codes: tuple[str, ...],
    employees: int,
    revenue: int,
    assets: int | None,
    sizes: tuple[str, ...],
) -> None:
    assert tuple(classify_size(c, employees, revenue, assets) for c in codes) == sizes


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "assets", "expected"),
    [
        # 批发 and 零售 agree: 中型 in both.
        ("F", 100, 6000 * WAN, None, MEDIUM),
        # They disagree (批发 needs 1000万 for 小型, 零售 100万): unknown.
        ("F", 10, 500 * WAN, None, None),
        # 住宿 and 餐饮 share their thresholds, so H decides wherever they do.
        ("H", 150, 2500 * WAN, None, MEDIUM),
        ("H", 150, None, None, None),
        # K may be 房地产开发经营, 物业管理 or 其他: decided only when all three agree.
        ("K", 5, 10 * WAN, 10 * WAN, MICRO),
        ("K70", 5000, 500000 * WAN, 500000 * WAN, LARGE),
        ("K70", 150, 300 * WAN, 3000 * WAN, None),
    ],
)
def test_coarse_codes_need_all_candidates_to_agree(
    industry: str, employees: int | None, revenue: int | None, assets: int | None, expected: str
) -> None:
    assert classify_size(industry, employees, revenue, assets) == expected
    assert derive_size(_frame([(industry, employees, revenue, assets, None)])).tolist() == [
        expected
    ]


# -- the frame -------------------------------------------------------------------------------


Row = tuple[str | None, int | None, int | None, int | None, str | None]


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(fen) / 100


def _frame(rows: list[Row]) -> pd.DataFrame:
    records = [
        {
            "industry": industry,
            "employees": employees,
            "revenue": _yuan(revenue),
            "total_assets": _yuan(assets),
            "size": size,
        }
        for industry, employees, revenue, assets, size in rows
    ]
    return frame_from_records(records, STANDARD_SCHEMA)


def test_given_sizes_are_kept_and_only_null_cells_derived() -> None:
    frame = _frame(
        [
            ("C3011", 10, 10 * WAN, None, LARGE),  # given: kept even though the rule says 微型
            ("C3011", 10, 10 * WAN, None, None),
            ("C3011", 500, None, None, SMALL),  # given: kept although the rule cannot decide
            ("C3011", 500, None, None, None),
        ]
    )
    frame.index = pd.Index([10, 11, 12, 13])
    result = derive_size(frame)
    assert result.tolist() == [LARGE, MICRO, SMALL, None]
    assert result.dtype == object
    assert result.index.equals(frame.index)
    assert result.iloc[3] is None


def test_empty_frame() -> None:
    result = derive_size(_frame([]))
    assert len(result) == 0
    assert result.dtype == object


def _boundaryish(thresholds: list[int]) -> st.SearchStrategy[int]:
    near = sorted({max(t + d, 0) for t in thresholds for d in (-1, 0, 1)})
    return st.one_of(st.sampled_from(near), st.integers(0, 3 * max(thresholds)))


_EMPLOYEE_BOUNDS = sorted(
    {v for row in SPEC for t in row[2:] for m, v in t.items() if m == "employees"}
)
_MONEY_BOUNDS = sorted(
    {v * WAN for row in SPEC for t in row[2:] for m, v in t.items() if m != "employees"}
)
_CODES = [row[1] for row in SPEC] + [
    "C", "F", "G", "H", "I", "K", "K70", "K703", "G5", "J6620", "c3011", "", "X1", "5211"
]  # fmt: skip

rows_strategy = st.tuples(
    st.one_of(st.none(), st.sampled_from(_CODES)),
    st.one_of(st.none(), _boundaryish(_EMPLOYEE_BOUNDS)),
    st.one_of(st.none(), _boundaryish(_MONEY_BOUNDS)),
    st.one_of(st.none(), _boundaryish(_MONEY_BOUNDS)),
    st.one_of(st.none(), st.none(), st.sampled_from(SIZES)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(rows_strategy, max_size=40))
def test_derive_size_agrees_with_classify_size(rows: list[Row]) -> None:
    result = derive_size(_frame(rows))
    expected = [
        size if size is not None else classify_size(industry, employees, revenue, assets)
        for industry, employees, revenue, assets, size in rows
    ]
    assert result.tolist() == expected


def test_derive_size_large_frame_agrees() -> None:
    # Many rows per category, so each vectorized branch sees a mix of outcomes at once.
    rng = np.random.default_rng(4754)
    n = 5_000
    codes = np.array([*_CODES, None], dtype=object)[rng.integers(0, len(_CODES) + 1, n)]

    def column(bounds: list[int]) -> pd.Series:
        values = rng.choice(np.array([b + d for b in bounds for d in (-1, 0)]), n)
        return pd.Series(pd.array(values, dtype="Int64")).mask(rng.random(n) < 0.1)

    frame = conform(
        pd.DataFrame(
            {
                "industry": pd.Series(codes, dtype=object),
                "employees": column(_EMPLOYEE_BOUNDS),
                "revenue": column(_MONEY_BOUNDS),
                "total_assets": column(_MONEY_BOUNDS),
            }
        ),
        STANDARD_SCHEMA,
    )
    result = derive_size(frame)
    expected = [
        classify_size(
            *(frame[c].iat[i] for c in ("industry", "employees", "revenue", "total_assets"))
        )
        for i in range(n)
    ]
    assert result.tolist() == expected
