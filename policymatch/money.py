"""Exact money: decimal arithmetic, half-up rounding to the fen, and the 万/亿 suffixes."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation

#: Multipliers of the number suffixes that policy authors and office exports use.
SUFFIXES: dict[str, Decimal] = {
    "万": Decimal(10_000),
    "亿": Decimal(100_000_000),
    "%": Decimal("0.01"),
}

_NUMBER = re.compile(r"^[+-]?(\d[\d_]*)?(\.\d+)?$")
#: Digits with thousands separators: 1,234 and 1,234,567.89, never 1,,000 or 12,34.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _quantize(value: Decimal, places: int, rounding: str) -> Decimal:
    # The default context holds 28 digits, and quantize raises InvalidOperation when the
    # result needs more: give it as many as this value has, so a huge amount is still a number.
    context = Context(prec=max(28, value.adjusted() + places + 2), rounding=rounding)
    return value.quantize(Decimal(1).scaleb(-places), context=context)


def round_half_up(value: Decimal, places: int = 2) -> Decimal:
    """Round half away from zero to ``places`` decimals (the spec's "half-up")."""
    return _quantize(value, places, ROUND_HALF_UP)


def to_fen(value: Decimal) -> Decimal:
    """A payable amount: half-up to 0.01 CNY."""
    return round_half_up(value, 2)


#: The most one grant may be: 100 亿元, more than a county pays out in a year. An amount beyond
#: it is a formula's mistake (a unit: 万 for 元, a rate of 5 for 5%), refused (PM311) rather than
#: paid; and it keeps every total of a round (up to 92 million such grants) exact in int64 fen.
MAX_GRANT = Decimal(10_000_000_000)
MAX_GRANT_FEN = 1_000_000_000_000


def floor_to_fen(value: Decimal) -> Decimal:
    """Round towards zero to 0.01 CNY: pro-rata scaling never rounds a grant up past a budget."""
    return _quantize(value, 2, ROUND_DOWN)


def parse_number(text: str) -> Decimal:
    """``1_000_000``, ``50万``, ``1.5亿``, ``5.5%`` (also ``1,234.50`` and a trailing ``元``).

    At most one of 万, 亿 and %: ``1万万``, ``5.5%%`` and ``5%万`` are refused, not multiplied
    out (a clerk who writes them means something no one can tell). Thousands separators
    (``,`` or ``，``) only between groups of three digits: ``1,,000`` is refused. Raises
    ValueError with a message fit for a user (in Chinese) when the text is not a number.
    """
    s = text.strip()
    if s.endswith("元"):
        s = s[:-1].strip()
    factor = Decimal(1)
    if s and s[-1] in SUFFIXES:
        factor = SUFFIXES[s[-1]]
        s = s[:-1].strip()
    if s and s[-1] in SUFFIXES:
        raise ValueError(f"'{text}' 不是数字：万、亿、% 只能写一个")
    plain = s.replace(",", "").replace("，", "")
    if not plain or not _NUMBER.match(plain) or plain in ("+", "-", "."):
        raise ValueError(f"'{text}' 不是数字")
    if plain != s and not _GROUPED.match(s.replace("，", ",")):
        raise ValueError(f"'{text}' 不是数字：千位分隔符的位置不对（写作 1,234,567.89）")
    try:
        return Decimal(plain.replace("_", "")) * factor
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise ValueError(f"'{text}' 不是数字") from exc
