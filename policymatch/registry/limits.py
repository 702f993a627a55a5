"""Bounds on what reading a registry file may cost, whatever the file says about itself.

A registry comes from outside; a small file must not make the reader use gigabytes (an .xlsx is
a zip: one deflated shared string of 1 GB is a few megabytes on disk). The defaults fit any real
registry (Excel itself stops at 1,048,576 rows and 16,384 columns); tests lower them through
:func:`reading_limits` to stay fast. Documented in ``docs/registry.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Limits:
    #: Decompressed size of all the parts of an .xlsx workbook together.
    xlsx_bytes: int = 4 << 30
    #: Decompressed size of its shared strings, which openpyxl holds in memory all at once.
    xlsx_shared_strings: int = 512 << 20
    #: Cells of the first worksheet (rows x columns up to the last header column).
    xlsx_cells: int = 60_000_000
    #: Columns of one worksheet row (Excel's own limit).
    xlsx_columns: int = 16_384
    #: Bytes pyarrow parses at a time; a CSV record (or header) longer than this is refused.
    csv_block: int = 16 << 20


_current = Limits()


def limits() -> Limits:
    """The limits in force."""
    return _current


@contextmanager
def reading_limits(**changes: Any) -> Iterator[Limits]:
    """Read with some limits changed (tests: a 1 MB CSV block instead of 16 MB)."""
    global _current
    before = _current
    _current = replace(before, **changes)
    try:
        yield _current
    finally:
        _current = before
