"""Exact money: half-up to the fen, floor for pro-rata, and the number forms authors write."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policymatch.money import floor_to_fen, parse_number, round_half_up, to_fen
from policymatch.moneytext import fen_text, format_money, money, yuan

D = Decimal


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("0.005", "0.01"),
        ("0.004999", "0.00"),
        ("-0.005", "-0.01"),
        ("37037.025", "37037.03"),
        ("2.675", "2.68"),
    ],
)
def test_to_fen_is_half_up(value: str, fen: str) -> None:
    assert to_fen(D(value)) == D(fen)


def test_floor_never_rounds_up() -> None:
    assert floor_to_fen(D("12345.6799999")) == D("12345.67")
    assert floor_to_fen(D("0.009")) == D("0.00")


def test_huge_amounts_still_round() -> None:
    # Past the default 28-digit context quantize would raise; an absurd amount is still a number.
    big = D("123456789012345678901234567890.125")
    assert to_fen(big) == D("123456789012345678901234567890.13")
    assert floor_to_fen(big) == D("123456789012345678901234567890.12")
    assert round_half_up(D("1e40"), 0) == D("1e40")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("50万", "500000"),
        ("1.5亿", "150000000"),
        ("5.5%", "0.055"),
        ("1_000_000", "1000000"),
        ("1,234.50元", "1234.50"),
        ("-3", "-3"),
    ],
)
def test_parse_number(text: str, value: str) -> None:
    assert parse_number(text) == D(value)


@pytest.mark.parametrize("text", ["", "万", "1.2.3", "abc", "1万万x", "."])
def test_parse_number_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="不是数字") as info:
        parse_number(text)
    assert str(info.value) == f"'{text}' 不是数字"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("5.5%%", "万、亿、% 只能写一个"),
        ("1万万", "万、亿、% 只能写一个"),
        ("5%万", "万、亿、% 只能写一个"),
        ("2亿万元", "万、亿、% 只能写一个"),
        ("1,,000", "千位分隔符的位置不对（写作 1,234,567.89）"),
        ("1,0000", "千位分隔符的位置不对（写作 1,234,567.89）"),
        (",100", "千位分隔符的位置不对（写作 1,234,567.89）"),
        ("100，", "千位分隔符的位置不对（写作 1,234,567.89）"),
    ],
)
def test_parse_number_refuses_doubled_units_and_stray_separators(text: str, why: str) -> None:
    """Issue 11 item 11: these were read as 0.00055, 1e8, 1000 and 500."""
    with pytest.raises(ValueError, match="不是数字") as info:
        parse_number(text)
    assert str(info.value) == f"'{text}' 不是数字：{why}"


@pytest.mark.parametrize(
    ("text", "value"), [("1，234", "1234"), ("-1,234,567.5", "-1234567.5"), ("3.2 %", "0.032")]
)
def test_parse_number_separators(text: str, value: str) -> None:
    assert parse_number(text) == D(value)


def test_format_money_has_two_places() -> None:
    assert format_money(D("1234.5")) == "1234.50"
    assert format_money(D("0.005")) == "0.01"


@pytest.mark.parametrize(
    ("fen", "plain", "grouped"),
    [
        (0, "0.00", "0.00"),
        (5, "0.05", "0.05"),
        (-5, "-0.05", "-0.05"),
        (123450, "1234.50", "1,234.50"),
        (-123456789, "-1234567.89", "-1,234,567.89"),
        (10**17, "1000000000000000.00", "1,000,000,000,000,000.00"),
    ],
)
def test_fen_text(fen: int, plain: str, grouped: str) -> None:
    assert fen_text(fen) == plain
    assert fen_text(fen, grouped=True) == grouped
    assert yuan(fen) == f"{grouped} 元"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_money_texts_agree(fen: int) -> None:
    """The Decimal and the integer-fen renderings are one rule."""
    value = D(fen) / 100
    assert format_money(value) == fen_text(fen)
    assert money(value) == yuan(fen)
    assert D(fen_text(fen, grouped=True).replace(",", "")) == value
