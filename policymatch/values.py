"""Typing one value by its schema field: the rules of registry-schema.md, "Types".

Registry cells and the ``enterprise:`` records of policy examples go through the same parsers,
so an example says exactly what a registry row would. Each parser takes what a file or YAML
gives (text, or an already-typed scalar) and returns the Python value the reference evaluator
works on, or raises :class:`ValueError` with a message fit for a user.

Python values by type: code/string/enum -> str; integer -> int; money/rate -> Decimal;
date -> datetime.date; boolean -> bool; tags -> frozenset[str]. ``None`` is null.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from .money import parse_number
from .schema import Field, FieldType

Value = str | int | Decimal | dt.date | bool | frozenset[str] | None

TAG_SEPARATORS = re.compile(r"[,，;；、|]")
_TRUE = {"true", "是", "y", "yes", "1", "t"}
_FALSE = {"false", "否", "n", "no", "0", "f"}
_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def is_blank(raw: object) -> bool:
    """An empty cell: None, NaN/NaT, or only white space."""
    if raw is None:
        return True
    if isinstance(raw, float) and raw != raw:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    # What YAML and Python give (a policy's examples): no need to import pandas to know.
    if isinstance(raw, (int, Decimal)) or type(raw) is dt.date:
        return raw != raw  # only a NaN differs from itself (bool is an int)
    try:
        import pandas as pd

        return bool(pd.isna(raw)) if not isinstance(raw, (frozenset, set, list, tuple)) else False
    except (TypeError, ValueError):
        return False


#: Significant digits a spreadsheet keeps of a number cell (Excel: 15).
SPREADSHEET_DIGITS = 15


def _text(raw: object) -> str:
    if isinstance(raw, bool):
        raise ValueError(f"应为文本，却是 {raw!r}")
    if isinstance(raw, float) and raw.is_integer():
        if abs(raw) >= 10**SPREADSHEET_DIGITS:
            # An 18-digit code or a bank account typed into a number cell comes back with its
            # last digits gone (9.13611E+17): the true value cannot be recovered, only refused.
            raise ValueError(
                f"{raw:.0f} 以数字格式保存，已丢失末尾的数字（电子表格只保留 "
                f"{SPREADSHEET_DIGITS} 位有效数字）：请把这一列设为文本格式"
            )
        # An office export may hand a code such as 361126 as a float: keep it a code.
        return str(int(raw))
    return str(raw).strip()


def _finite(raw: object) -> None:
    if isinstance(raw, float) and (raw != raw or raw in (float("inf"), float("-inf"))):
        raise ValueError(f"'{raw}' 不是数字")


def parse_code(raw: object) -> str:
    return _text(raw)


def parse_string(raw: object) -> str:
    return _text(raw)


def parse_integer(raw: object) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"应为整数，却是 {raw!r}")
    if isinstance(raw, int):
        return raw
    _finite(raw)
    number = raw if isinstance(raw, Decimal) else parse_number(str(raw))
    if isinstance(raw, float):
        number = Decimal(repr(raw))
    if number != number.to_integral_value():
        raise ValueError(f"'{raw}' 不是整数")
    return int(number)


def _decimal(raw: object, what: str) -> Decimal:
    """A number cell as an exact decimal (text may carry separators, 元, 万, 亿 or %)."""
    if isinstance(raw, bool):
        raise ValueError(f"应为{what}，却是 {raw!r}")
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        _finite(raw)
        # repr() is the shortest text that round-trips: 1234.5 stays 1234.5, not 1234.4999...
        return Decimal(repr(raw))
    return parse_number(str(raw))


def parse_money(raw: object) -> Decimal:
    value = _decimal(raw, "金额")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"'{raw}' 的小数超过两位（金额精确到分）")
    return value


def parse_rate(raw: object) -> Decimal:
    value = _decimal(raw, "比率")
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueError(f"比率 '{raw}' 不在 0 到 1 之间（写作 3.2% 或 0.032）")
    if value != value.quantize(Decimal("0.000001")):
        raise ValueError(f"比率 '{raw}' 的精度超过百万分之一")
    return value


def parse_date(raw: object) -> dt.date:
    if isinstance(raw, dt.datetime):  # also a pandas Timestamp
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = _text(raw)
    text = text.split(" ")[0].split("T")[0] if re.match(r"^\d{4}-\d{2}-\d{2}[ T]", text) else text
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mo, d)
            except ValueError:
                raise ValueError(f"'{raw}' 不是存在的日期") from None
    raise ValueError(f"'{raw}' 不是日期（写作 2023-01-05、2023/1/5 或 2023年1月5日）")


def parse_boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    text = _text(raw).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"'{raw}' 不是是/否值（写作 是/否、true/false、Y/N 或 1/0）")


def _enum(field: Field) -> Callable[[object], str]:
    def parse(raw: object) -> str:
        text = _text(raw)
        if text not in field.values:
            raise ValueError(f"'{text}' 不是{field.display}的取值之一：{'、'.join(field.values)}")
        return text

    return parse


def _tags(field: Field) -> Callable[[object], frozenset[str]]:
    def parse(raw: object) -> frozenset[str]:
        if isinstance(raw, (set, frozenset, list, tuple)):
            items: Iterable[str] = (_text(x) for x in raw)
        else:
            items = TAG_SEPARATORS.split(_text(raw))
        tags = frozenset(t.strip() for t in items if t.strip())
        unknown = sorted(tags - set(field.values))
        if unknown:
            raise ValueError(f"未知的{field.display}：{'、'.join(unknown)}")
        return tags

    return parse


_PARSERS: dict[FieldType, Callable[[object], Any]] = {
    FieldType.CODE: parse_code,
    FieldType.STRING: parse_string,
    FieldType.INTEGER: parse_integer,
    FieldType.MONEY: parse_money,
    FieldType.RATE: parse_rate,
    FieldType.DATE: parse_date,
    FieldType.BOOLEAN: parse_boolean,
}


def parser_for(field: Field) -> Callable[[object], Value]:
    """The cell parser of a field; blank cells are handled by :func:`parse_value`."""
    if field.type is FieldType.ENUM:
        return _enum(field)
    if field.type is FieldType.TAGS:
        return _tags(field)
    return _PARSERS[field.type]


#: What a database or Parquet column of a nested or binary type gives for one cell.
_COMPOUND: dict[type, str] = {
    dict: "结构（键值对）",
    list: "列表",
    tuple: "列表",
    set: "集合",
    frozenset: "集合",
    bytes: "二进制数据",
    bytearray: "二进制数据",
}


def _single(field: Field, raw: object) -> None:
    # A struct, list, map or binary cell is never read as its Python repr (that would pay
    # "{'a': 1}" as a bank account); a tags field alone takes a list of values.
    kind = _COMPOUND.get(type(raw))
    if kind is None or (field.type is FieldType.TAGS and kind in ("列表", "集合")):
        return
    shown = repr(raw)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    raise ValueError(f"不是单个值，而是{kind} {shown}（来源里这一列是嵌套或二进制类型）")


def parse_value(field: Field, raw: object) -> Value:
    """Type one value of ``field``; blank is null, except for tags (the empty set)."""
    if is_blank(raw):
        return frozenset() if field.type is FieldType.TAGS else None
    _single(field, raw)
    value = parser_for(field)(raw)
    if field.name == "employees" and isinstance(value, int) and value < 0:
        raise ValueError(f"{field.display}不能为负数：{raw}")
    if (
        field.type is FieldType.MONEY
        and field.name != "tax_paid"
        and isinstance(value, Decimal)
        and value < 0
    ):
        # Revenue, assets and spending can be corrected but not below zero; tax may be refunded.
        raise ValueError(f"{field.display}不能为负数：{raw}")
    return value
