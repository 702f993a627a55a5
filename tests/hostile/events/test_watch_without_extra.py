"""``watch`` without the events extra: one error with the install hint, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.backends.durable.helpers import write_policies

# Hide durable-rules from the import system, as on an installation without the extra.
PROGRAM = """
import sys
sys.modules["durable"] = None
sys.modules["durable_rules_engine"] = None
from policymatch.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_watch_without_durable_rules_says_how_to_install_it(tmp_path: Path) -> None:
    write_policies(tmp_path / "policies")
    (tmp_path / "events.jsonl").write_text("", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, "watch", "--events", "events.jsonl"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(Path(__file__).parents[3]), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "<input>: error: watch needs the events extra (durable-rules), which is not installed:"
        " pip install 'policymatch[events]' [PM405]\n"
    )
