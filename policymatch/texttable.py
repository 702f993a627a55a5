"""Plain-text tables for the terminal, aligned by display width (a Chinese character is two
columns wide), so that Chinese labels line up in a console."""

from __future__ import annotations

from collections.abc import Sequence

from .errors import display_width


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns separated by two spaces; the last column is not padded."""
    widths = [max(display_width(r[i]) for r in (headers, *rows)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            c + " " * (w - display_width(c)) for c, w in zip(cells[:-1], widths, strict=False)
        ]
        return "  ".join([*padded, cells[-1]]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)]) + "\n"
