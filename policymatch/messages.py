"""The Chinese text of every diagnostic: one catalogue, keyed by PM code."""

from __future__ import annotations


def translate(code: str, text: str) -> str:
    return text
