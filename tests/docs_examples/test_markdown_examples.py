"""Every ```python block of README.md and docs/*.md runs, as the documentation says it does.

A block runs in a fresh namespace from a folder holding the shipped ``policies/`` and a seeded
500-row ``registry.csv``. A block that shows a fragment (names defined elsewhere, a cluster) is
fenced ```python no-run and skipped; the convention is documented in README.md ("As a
library") and docs/api.md.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from policymatch.registry.generate import generate_frame
from policymatch.registry.writers import write_csv
from policymatch.schema import STANDARD_SCHEMA

ROOT = Path(__file__).parents[2]
FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, str, str]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text("utf-8")
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", m.group(1).strip(), m.group(2)))
    return found


BLOCKS = _blocks()


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("county")
    shutil.copytree(ROOT / "policies", folder / "policies")
    frame = generate_frame(500, 1, null_rate=0.02, schema=STANDARD_SCHEMA)
    write_csv(frame, folder / "registry.csv", STANDARD_SCHEMA)
    return folder


def test_the_documentation_has_runnable_examples() -> None:
    assert any("no-run" not in info for _, info, _ in BLOCKS)


@pytest.mark.parametrize(("where", "info", "code"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_markdown_python_block_runs(
    where: str,
    info: str,
    code: str,
    county: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if "no-run" in info.split():
        pytest.skip(f"{where} is marked no-run")
    shutil.copytree(county, tmp_path / "county")
    monkeypatch.chdir(tmp_path / "county")
    # The block must run to its end: any exception fails the test with the block's place.
    exec(compile(code, where, "exec"), {"__name__": "__doc_example__"})
