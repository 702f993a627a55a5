"""The built-in functions of the expression language, described for policy authors.

The compiler knows the functions by name (``rules.ir.FUNCTIONS``) and checks their arguments;
this table is what ``policymatch functions`` and docs/policy-format.md show people. A test
checks that both name the same functions.
"""

from __future__ import annotations

from typing import NamedTuple


class FunctionHelp(NamedTuple):
    name: str
    signature: str
    description: str
    example: str


FUNCTION_HELP: tuple[FunctionHelp, ...] = (
    FunctionHelp(
        "min", "min(a, b, ...)", "最小值（数字或日期，至少两个）", "min(rd_expense * 5%, 50万)"
    ),
    FunctionHelp("max", "max(a, b, ...)", "最大值（数字或日期，至少两个）", "max(revenue, 0)"),
    FunctionHelp("abs", "abs(x)", "绝对值", "abs(revenue - revenue_prev)"),
    FunctionHelp(
        "round",
        "round(x, n)",
        "四舍五入（half-up）到 n 位小数，n 为 0 到 10，省略为 0",
        "round(employees * 1.5)",
    ),
    FunctionHelp("year", "year(d)", "日期的年份（数字）", "year(registered_on) == 2023"),
    FunctionHelp(
        "years_between",
        "years_between(d1, d2)",
        "从 d1 到 d2 的整年数，按周年计（2022-03-16 到 2024-03-15 是 1）",
        "years_between(registered_on, as_of) < 3",
    ),
    FunctionHelp(
        "is_null",
        "is_null(x)",
        "x 是否为空（缺失）；结果只有真或假，不会是未知",
        "not is_null(above_scale_since)",
    ),
    FunctionHelp(
        "coalesce",
        "coalesce(x, y, ...)",
        "第一个不为空的值（至少两个，类型相同）",
        "coalesce(employees, 0) <= 30",
    ),
    FunctionHelp(
        "date",
        'date("YYYY-MM-DD")',
        "一个固定日期；不存在的日期报 PM104",
        'registered_on >= date("2020-01-01")',
    ),
)
