"""Small CSV files people prepare for the ledger (withheld grants, bank returns): read whole,
checked for their columns, every bad cell reported with its line; any problem refuses the
whole file (exit 1, like a refused commit) and nothing is recorded."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from ..errors import Diagnostic, LedgerError, simple
from ..money import parse_number

T = TypeVar("T")
#: Excel saves CSV as UTF-8 with a BOM or, on a Chinese Windows, as GB18030.
ENCODINGS = ("utf-8-sig", "gb18030")


def _text(path: Path, code: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LedgerError([simple(code, f"无法读取文件：{exc.strerror}", file=str(path))]) from exc
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise LedgerError([simple(code, "文件不是 UTF-8 或 GB18030 编码的 CSV", file=str(path))])


def read_rows(
    path: Path,
    required: Sequence[str],
    parse: Callable[[dict[str, str], str], T],
    code: str,
    hint: str,
) -> list[T]:
    """Each data row parsed by ``parse(row, where)`` (a ValueError is the row's problem).
    All problems are collected; any problem refuses the whole file."""
    rows = list(csv.DictReader(_text(path, code).splitlines()))
    header = [] if not rows else list(rows[0])
    missing = [c for c in required if c not in header]
    if not rows or missing:
        what = "文件没有数据行" if not rows else "缺少列：" + "、".join(missing)
        raise LedgerError([simple(code, what, file=str(path), hint=hint)])
    out: list[T] = []
    problems: list[Diagnostic] = []
    for n, row in enumerate(rows, start=2):
        where = f"{path}:{n}"
        clean = {k: (v or "").strip() for k, v in row.items() if k is not None}
        try:
            out.append(parse(clean, where))
        except ValueError as exc:
            problems.append(simple(code, str(exc), file=where, hint=hint))
    if problems:
        raise LedgerError(problems)
    return out


def required_cell(row: dict[str, str], column: str) -> str:
    value = row.get(column, "")
    if not value:
        raise ValueError(f"'{column}' 为空")
    return value


def positive_fen(text: str) -> int:
    """A positive amount exact to the fen (``300万``, ``1234.50``) in fen; ValueError if not."""
    try:
        value = parse_number(text) * 100
    except ValueError:
        raise ValueError(f"'{text}' 不是金额") from None
    if value <= 0 or value != value.to_integral_value():
        raise ValueError(f"'{text}' 不是正的、精确到分的金额")
    return int(value)
