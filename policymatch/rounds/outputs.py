"""CSV files of a round: UTF-8 with a BOM (so that Excel shows the Chinese), comma-separated, one
header row, ``\\n`` line ends, money as plain decimals with two places, empty cells for nulls.
A cell is quoted only when it holds a comma, a quote or a line break (quotes doubled), as
Python's csv module does.

Nothing time- or machine-dependent goes into a file, so two runs on the same inputs write the
same bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .tables import Table, joined

ENCODING = "utf-8-sig"
BOM = "\ufeff".encode()
#: Rows rendered at a time (bounds memory, and Arrow's 2 GB string arrays).
CHUNK = 100_000


def csv_field(values: pa.Array) -> pa.Array:
    """Cells as CSV fields: quoted when needed, empty for null."""
    needs = pc.match_substring_regex(values, '[",\r\n]')
    if pc.any(needs).as_py():
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
        values = pc.if_else(needs, quoted, values)
    return values.fill_null("") if values.null_count else values


def _lines(fields: list[pa.Array]) -> memoryview:
    parts: list[pa.Array | str] = []
    for i, f in enumerate(fields):
        parts += [","] if i else []
        parts.append(f)
    return joined([*parts, "\n"])


def write_csv(table: Table, folder: Path) -> str:
    """Write ``table`` into ``folder``; returns the SHA-256 of what was written."""
    assert table.file is not None
    headers = [c.label if table.chinese_headers else c.name for c in table.columns]
    digest = hashlib.sha256()
    with (folder / table.file).open("wb") as out:

        def put(data: bytes | memoryview) -> None:
            out.write(data)
            digest.update(data)

        put(BOM)
        put(_lines([csv_field(pa.array([h])) for h in headers]))
        for start in range(0, table.num_rows, CHUNK):
            put(_lines([csv_field(t) for t in table.texts(start, start + CHUNK)]))
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
