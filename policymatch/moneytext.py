"""Money as text, in one place: plain decimals for files, grouped digits for people.

Files carry ``1234.50`` (no separators: systems parse them); people read ``1,234.50 元``.
Amounts are integer fen or exact Decimals, never floats.
"""

from __future__ import annotations

from decimal import Decimal

from .money import to_fen


def fen_text(fen: int, *, grouped: bool = False) -> str:
    """Integer fen as a decimal with two places: ``123450`` -> ``1234.50`` (``1,234.50`` grouped)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}" if grouped else f"{sign}{whole}.{cents:02d}"


def format_money(value: Decimal) -> str:
    """Plain decimal with two places, half-up, as the output files carry money: ``1234.50``."""
    return f"{to_fen(value):.2f}"


def money(value: Decimal) -> str:
    """An amount for people: half-up to the fen, grouped, with its unit: ``1,234.50 元``."""
    return f"{to_fen(value):,.2f} 元"


def yuan(fen: int) -> str:
    """Integer fen for people: ``123450`` -> ``1,234.50 元``."""
    return f"{fen_text(fen, grouped=True)} 元"
