"""Golden files: one helper and one switch for every test that compares with a file.

``UPDATE_GOLDEN=1 pytest ...`` rewrites the golden files from what the code does now; review
the diff (``git diff tests/``) before committing it, since a golden file is the expectation.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The environment variable that rewrites golden files instead of comparing with them.
UPDATE = "UPDATE_GOLDEN"


def assert_golden(path: Path, actual: str | bytes) -> None:
    """``actual`` equals the golden file at ``path`` (UTF-8 text, or bytes compared as bytes)."""
    if os.environ.get(UPDATE):
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(actual, bytes):
            path.write_bytes(actual)
        else:
            path.write_text(actual, encoding="utf-8")
    expected: str | bytes = (
        path.read_bytes() if isinstance(actual, bytes) else path.read_text(encoding="utf-8")
    )
    assert actual == expected, f"differs from the golden file {path} (UPDATE_GOLDEN=1 rewrites it)"
