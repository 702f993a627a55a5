"""Masking of sensitive fields in anything published (公示名单).

A bank account keeps its first 4 and last 4 characters (``6222********1234``), a phone number
its first 3 and last 4 (``138****5678``); every character in between becomes ``*``, so the
length still shows. Spaces and dashes that people type into account numbers are dropped first.
A value too short to keep both ends and hide at least one character is masked entirely: a
short value would otherwise be published whole.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-]")


def mask(value: str | None, keep_head: int, keep_tail: int) -> str:
    """``value`` with all but its first ``keep_head`` and last ``keep_tail`` characters hidden."""
    if value is None:
        return ""
    text = _SEPARATORS.sub("", value)
    hidden = len(text) - keep_head - keep_tail
    if hidden < 1:
        return "*" * len(text)
    return text[:keep_head] + "*" * hidden + text[len(text) - keep_tail :]


def mask_account(value: str | None) -> str:
    """``6222021234561234`` -> ``6222********1234``."""
    return mask(value, 4, 4)


def mask_phone(value: str | None) -> str:
    """``13812345678`` -> ``138****5678``."""
    return mask(value, 3, 4)
