"""The unified social credit code (统一社会信用代码), GB 32100-2015."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_char(first17: str) -> str:
    """The 18th character for a 17-character body."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return f"统一社会信用代码 '{code}' 有 {len(code)} 个字符，应为 18 个"
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return f"统一社会信用代码 '{code}' 含有 GB 32100-2015 以外的字符：{''.join(bad)}"
    expected = check_char(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码 '{code}' 校验码不对（末位应为 '{expected}'）"
    return None


def make_uscc(body17: str) -> str:
    """A valid code from a 17-character body (used by generators and tests)."""
    return body17 + check_char(body17)
