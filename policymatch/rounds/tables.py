"""The lists of a round as plain tables, written both as CSV (for systems) and as sheets (for people).

A :class:`Table` holds rows of Python values; money is integer fen. Writers only format: the CSV
writer prints money as plain decimals with two places (``1234.50``), the workbook writes numbers
with a money format. Headers: the English column name in CSV files (the stable contract of
cli-and-outputs.md), the Chinese label in the workbook and in files meant for the public.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    TEXT = "text"
    MONEY = "money"
    COUNT = "count"
    PERCENT = "percent"


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: Kind = Kind.TEXT
    #: Width in the workbook, in characters (a CJK character counts two).
    width: int = 12


@dataclass(frozen=True)
class Table:
    """One list of the round: a CSV file and/or a workbook sheet."""

    file: str | None
    sheet: str | None
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    #: Files for people (公示名单) carry the Chinese labels as headers.
    chinese_headers: bool = False


def fen_text(fen: int) -> str:
    """Integer fen as a plain decimal with two places: ``123450`` -> ``1234.50``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
