"""The derived ``size`` field (企业划型): the 2011 SME standard applied to a registry row.

The rule and its thresholds are those of ``sme-size-standard.md`` (《中小企业划型标准规定》,
工信部联企业〔2011〕300号, with the industry ranges of the 2017 statistics method on
GB/T 4754-2017 codes). :data:`_TABLE` below is that table, row for row, in its own words, so that
it can be checked against the spec by eye; the code only reads it.

Missing values: never guess
---------------------------
Each test of a row ("SME if", 中型, 小型) is evaluated in three-valued (Kleene) logic: a
comparison on a null value is unknown; ``a or b`` is true when either side is true, false when
both are false, else unknown; ``a and b`` is false when either side is false, true when both are
true, else unknown. Classification walks the row as the spec reads it (SME test, then 中型, then
小型) and gives null as soon as the test it needs is unknown. Because every test compares each
value at most once, a test is unknown exactly when the missing values could still make it true or
false, so the result is non-null exactly when every possible filling-in of the missing values
gives the same size. For instance, an industrial firm with 10 employees and no revenue is 微型 (it
fails the 中型 and 小型 tests on employees alone), but one with 500 employees and no revenue is
null (中型 or 小型 depends on revenue).

Industry codes
--------------
A code is a GB/T 4754-2017 section letter (A to T) and up to four digits; surrounding spaces and
a lower-case letter are tolerated. It falls in the category whose listed prefix it starts with,
else in 其他未列明行业 (so K703 is 其他未列明行业, as is every code of J, M, N, ...). A code less
specific than the table (``F``, ``G``, ``K70``) could belong to several categories; the same
never-guess rule applies: the size is the one that all those categories give, else null. Only
sections F, G, H and I are wholly split among listed categories; ``K`` and ``K70`` also admit
其他未列明行业 (K703 to K709). Anything else in the industry cell (empty, null, not a code) gives
null.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..schema import SIZES
from .frame import arrow_text_series, replaced

Metric = Literal["employees", "revenue", "assets"]
BoolArray = npt.NDArray[np.bool_]

#: The spec's table: category, GB/T 4754-2017 code prefixes, "SME if", 中型, 小型. Counts in
#: persons, amounts in 万元, exactly as written there. An empty code list means "all other codes".
_TABLE: Final = (
    ("农、林、牧、渔业", "A", "revenue < 20000", "revenue >= 500", "revenue >= 50"),
    ("工业", "B C D", "employees < 1000 or revenue < 40000", "employees >= 300 and revenue >= 2000", "employees >= 20 and revenue >= 300"),
    ("建筑业", "E", "revenue < 80000 or assets < 80000", "revenue >= 6000 and assets >= 5000", "revenue >= 300 and assets >= 300"),
    ("批发业", "F51", "employees < 200 or revenue < 40000", "employees >= 20 and revenue >= 5000", "employees >= 5 and revenue >= 1000"),
    ("零售业", "F52", "employees < 300 or revenue < 20000", "employees >= 50 and revenue >= 500", "employees >= 10 and revenue >= 100"),
    ("交通运输业", "G53 G54 G55 G56 G57 G58", "employees < 1000 or revenue < 30000", "employees >= 300 and revenue >= 3000", "employees >= 20 and revenue >= 200"),
    ("仓储业", "G59", "employees < 200 or revenue < 30000", "employees >= 100 and revenue >= 1000", "employees >= 20 and revenue >= 100"),
    ("邮政业", "G60", "employees < 1000 or revenue < 30000", "employees >= 300 and revenue >= 2000", "employees >= 20 and revenue >= 100"),
    ("住宿业", "H61", "employees < 300 or revenue < 10000", "employees >= 100 and revenue >= 2000", "employees >= 10 and revenue >= 100"),
    ("餐饮业", "H62", "employees < 300 or revenue < 10000", "employees >= 100 and revenue >= 2000", "employees >= 10 and revenue >= 100"),
    ("信息传输业", "I63 I64", "employees < 2000 or revenue < 100000", "employees >= 100 and revenue >= 1000", "employees >= 10 and revenue >= 100"),
    ("软件和信息技术服务业", "I65", "employees < 300 or revenue < 10000", "employees >= 100 and revenue >= 1000", "employees >= 10 and revenue >= 50"),
    ("房地产开发经营", "K701", "revenue < 200000 or assets < 10000", "revenue >= 1000 and assets >= 5000", "revenue >= 100 and assets >= 2000"),
    ("物业管理", "K702", "employees < 1000 or revenue < 5000", "employees >= 300 and revenue >= 1000", "employees >= 100 and revenue >= 500"),
    ("租赁和商务服务业", "L", "employees < 300 or assets < 120000", "employees >= 100 and assets >= 8000", "employees >= 10 and assets >= 100"),
    ("其他未列明行业", "", "employees < 300", "employees >= 100", "employees >= 10"),
)  # fmt: skip

#: Codes whose every sub-code (GB/T 4754-2017 divisions F51-52, G53-60, H61-62, I63-65) is
#: listed, so a code this coarse cannot be 其他未列明行业. K is not: K70 has K703 to K709.
_FULLY_LISTED: Final = frozenset({"F", "G", "H", "I"})

#: Frame units per spec unit: money columns are in fen and the spec's amounts in 万元.
_UNIT: Final[dict[Metric, int]] = {"employees": 1, "revenue": 1_000_000, "assets": 1_000_000}
#: Typed-frame column of each metric.
_COLUMN: Final[dict[Metric, str]] = {
    "employees": "employees",
    "revenue": "revenue",
    "assets": "total_assets",
}

_CODE = re.compile(r"[A-T]\d{0,4}")
_TERM = re.compile(r"(employees|revenue|assets) (<|>=) (\d+)")


@dataclass(frozen=True)
class Bound:
    """One comparison: ``metric >= threshold`` (``at_least``) or ``metric < threshold``."""

    metric: Metric
    at_least: bool
    threshold: int  # in frame units: persons or fen


@dataclass(frozen=True)
class Test:
    """Bounds joined by ``or`` (``any_of``) or ``and``."""

    any_of: bool
    bounds: tuple[Bound, ...]


@dataclass(frozen=True)
class Category:
    name: str
    codes: tuple[str, ...]
    sme: Test
    medium: Test
    small: Test


def _parse_test(text: str) -> Test:
    any_of = " or " in text
    if any_of and " and " in text:
        raise ValueError(f"size table: mixed and/or in {text!r}")
    bounds = []
    for term in text.split(" or " if any_of else " and "):
        m = _TERM.fullmatch(term)
        if m is None:
            raise ValueError(f"size table: cannot read {term!r}")
        metric: Metric = m[1]  # type: ignore[assignment]  # the regex admits only Metric names
        bounds.append(Bound(metric, m[2] == ">=", int(m[3]) * _UNIT[metric]))
    return Test(any_of, tuple(bounds))


CATEGORIES: Final = tuple(
    Category(name, tuple(codes.split()), _parse_test(sme), _parse_test(mid), _parse_test(small))
    for name, codes, sme, mid, small in _TABLE
)
_OTHER: Final = next(i for i, c in enumerate(CATEGORIES) if not c.codes)

# Size codes used by the vectorized path: indexes into SIZES, and two that stand for null.
_UNKNOWN: Final = -1  # some needed value is null, or candidate categories disagree
_UNSET: Final = -2  # no candidate category seen yet (and, at the end, not an industry code)


@lru_cache(maxsize=8192)
def _categories_of_code(code: str) -> tuple[int, ...]:
    for i, cat in enumerate(CATEGORIES):
        if any(code.startswith(prefix) for prefix in cat.codes):
            return (i,)
    finer = tuple(
        i for i, cat in enumerate(CATEGORIES) if any(p.startswith(code) for p in cat.codes)
    )
    if not finer:
        return (_OTHER,)
    return finer if code in _FULLY_LISTED else (*finer, _OTHER)


def _categories_of(industry: object) -> tuple[int, ...]:
    if not isinstance(industry, str):
        return ()
    code = industry.strip().upper()
    if _CODE.fullmatch(code) is None:
        return ()
    return _categories_of_code(code)


def industry_categories(industry: str | None) -> tuple[str, ...]:
    """The categories an industry code may fall in: one for a code the table resolves, several
    for a coarser code (``"F"``), none when it is not a GB/T 4754-2017 code."""
    return tuple(CATEGORIES[i].name for i in _categories_of(industry))


# -- the scalar rule ---------------------------------------------------------------------------


def _holds(test: Test, values: Mapping[Metric, int | None]) -> bool | None:
    results = []
    for b in test.bounds:
        v = values[b.metric]
        results.append(None if v is None else (v >= b.threshold) == b.at_least)
    if test.any_of:
        return True if True in results else (None if None in results else False)
    return False if False in results else (None if None in results else True)


def _size_in(cat: Category, values: Mapping[Metric, int | None]) -> str | None:
    sme = _holds(cat.sme, values)
    if sme is not True:
        return None if sme is None else SIZES[0]
    for test, size in ((cat.medium, SIZES[1]), (cat.small, SIZES[2])):
        holds = _holds(test, values)
        if holds is not False:
            return None if holds is None else size
    return SIZES[3]


def _known(value: object) -> int | None:
    # Cells read from a frame with .iat are pd.NA, not None, when null.
    return None if value is None or value is pd.NA else int(value)  # type: ignore[call-overload]


def classify_size(
    industry: str | None,
    employees: int | None,
    revenue_fen: int | None,
    assets_fen: int | None,
) -> str | None:
    """大型, 中型, 小型 or 微型 for one entity, or None when its inputs do not decide it.

    ``revenue_fen`` and ``assets_fen`` are in fen (0.01 CNY), as in a typed frame.
    """
    values: dict[Metric, int | None] = {
        "employees": _known(employees),
        "revenue": _known(revenue_fen),
        "assets": _known(assets_fen),
    }
    sizes = {_size_in(CATEGORIES[i], values) for i in _categories_of(industry)}
    return sizes.pop() if len(sizes) == 1 else None


def classify_record(record: Mapping[str, object]) -> str | None:
    """:func:`classify_size` of a record of Python values (money in yuan, as Decimal)."""

    def fen(name: str) -> int | None:
        value = record.get(name)
        return None if value is None else int(Decimal(value) * 100)  # type: ignore[arg-type]

    return classify_size(
        record.get("industry"),  # type: ignore[arg-type]
        record.get("employees"),  # type: ignore[arg-type]
        fen("revenue"),
        fen("total_assets"),
    )


# -- the vectorized rule -----------------------------------------------------------------------


def _holds_rows(
    test: Test, columns: Mapping[Metric, tuple[npt.NDArray[np.int64], BoolArray]]
) -> tuple[BoolArray, BoolArray]:
    """(known true, known false) per row: Kleene logic as two masks."""
    trues, falses = [], []
    for b in test.bounds:
        values, known = columns[b.metric]
        met = values >= b.threshold if b.at_least else values < b.threshold
        trues.append(known & met)
        falses.append(known & ~met)
    if test.any_of:
        return np.logical_or.reduce(trues), np.logical_and.reduce(falses)
    return np.logical_and.reduce(trues), np.logical_or.reduce(falses)


def _size_rows(
    cat: Category, columns: Mapping[Metric, tuple[npt.NDArray[np.int64], BoolArray]], n: int
) -> npt.NDArray[np.int8]:
    sme, not_sme = _holds_rows(cat.sme, columns)
    medium, not_medium = _holds_rows(cat.medium, columns)
    small, not_small = _holds_rows(cat.small, columns)
    out = np.full(n, _UNKNOWN, dtype=np.int8)
    out[not_sme] = 0
    out[sme & medium] = 1
    out[sme & not_medium & small] = 2
    out[sme & not_medium & not_small] = 3
    return out


def _column(column: pd.Series) -> tuple[npt.NDArray[np.int64], BoolArray]:
    known = column.notna().to_numpy()
    return column.to_numpy(dtype=np.int64, na_value=0), known


def derive_size(frame: pd.DataFrame) -> pd.Series:
    """The ``size`` column of a typed registry frame: given cells kept, null cells derived.

    Agrees with :func:`classify_size` row by row; the result is a Series of size strings or
    None, on the frame's index: ``object``, or ``str`` (Arrow) where the frame's is.
    """
    given = frame["size"] if "size" in frame.columns else pd.Series(None, frame.index, object)
    missing = np.flatnonzero(given.isna().to_numpy())
    if len(missing):  # only the rows without a size are derived (a registry gives most)
        # The rows of the four columns the rule reads, column by column: a frame of them (or
        # the rows of the whole frame) costs more than the rule itself.
        whole = len(missing) == len(frame)
        derived = _derived(
            *(
                frame[name] if whole else frame[name].iloc[missing]
                for name in ("industry", *_COLUMN.values())
            )
        )
    if given.dtype != object:  # Arrow text: the given cells stay Arrow
        if len(missing):
            given = arrow_text_series(replaced(given, missing, derived), index=frame.index)
        return given.rename("size")
    out = given.to_numpy(dtype=object, copy=True)
    if len(missing):
        out[missing] = derived
    return pd.Series(out, index=frame.index, name="size", dtype=object)


def _derived(industry: pd.Series, *metrics: pd.Series) -> npt.NDArray[np.object_]:
    """The size each row's industry and metrics (in the order of :data:`_COLUMN`) give (None
    where they do not decide it)."""
    n = len(industry)
    codes, uniques = pd.factorize(industry.to_numpy(dtype=object), use_na_sentinel=True)
    # Industry codes repeat heavily, so categories are looked up once per distinct code. The
    # trailing 0 is the mask of the null code, which factorize numbers -1.
    masks = np.array(
        [sum(1 << i for i in _categories_of(u)) for u in uniques] + [0], dtype=np.int64
    )
    row_masks = masks[codes]

    columns = {metric: _column(column) for metric, column in zip(_COLUMN, metrics, strict=True)}
    result = np.full(n, _UNSET, dtype=np.int8)
    for i, cat in enumerate(CATEGORIES):
        rows = np.flatnonzero(row_masks & (1 << i))
        if rows.size == 0:
            continue
        subset = {m: (values[rows], known[rows]) for m, (values, known) in columns.items()}
        sizes = _size_rows(cat, subset, rows.size)
        seen = result[rows]
        # A row with several candidate categories keeps a size only while they all agree.
        result[rows] = np.where(seen == _UNSET, sizes, np.where(seen == sizes, seen, _UNKNOWN))

    labels = np.array([*SIZES, None], dtype=object)
    derived: npt.NDArray[np.object_] = labels[np.where(result >= 0, result, len(SIZES))]
    return derived
