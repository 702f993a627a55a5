"""Masking of the sensitive fields published in 公示名单."""

from __future__ import annotations

import pytest

from policymatch.rounds.masking import mask, mask_account, mask_phone


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("6222021234561234", "6222********1234"),
        ("6222 0212 3456 1234", "6222********1234"),  # spaces people type are dropped
        ("6217000000000000017", "6217***********0017"),
        ("123456789", "1234*6789"),
        ("12345678", "********"),  # nothing would be hidden: hide it all
        ("", ""),
        (None, None),
    ],
)
def test_bank_account(raw: str | None, masked: str | None) -> None:
    assert mask_account([raw]).to_pylist() == [masked]


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("0793-5821234", "079****1234"),
        ("5821234", "*******"),
    ],
)
def test_phone(raw: str, masked: str) -> None:
    assert mask_phone([raw]).to_pylist() == [masked]


def test_length_shows_but_not_the_middle() -> None:
    assert mask(["ABCDEFGHIJ", "弋阳县人民政府办公室"], 2, 3).to_pylist() == [
        "AB*****HIJ",
        "弋阳*****办公室",
    ]
