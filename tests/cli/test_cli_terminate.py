"""A run stopped by SIGTERM (``kill``, a service manager) cleans up as on Ctrl-C.

A GB18030 registry is read through a UTF-8 copy of the whole file in the temporary folder (bank
accounts included); the stop must not leave it there, nor print a traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from policymatch import load
from policymatch.registry.generate import generate_frame
from policymatch.registry.writers import write_csv

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def test_sigterm_mid_read_removes_the_registry_copy(tmp_path: Path) -> None:
    schema = load(str(POLICIES)).schema
    registry = tmp_path / "registry.csv"
    write_csv(generate_frame(200_000, seed=3, schema=schema), registry, schema, encoding="gb18030")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    argv = [sys.executable, "-m", "policymatch.cli", "run", "--registry", str(registry)]
    argv += ["--policies", str(POLICIES), "--as-of", "2024-03-01"]
    argv += ["--out", str(tmp_path / "out"), "--ledger", str(tmp_path / "ledger.sqlite")]
    env = {**os.environ, "TMPDIR": str(temporary)}
    with subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True) as run:
        deadline = time.monotonic() + 120
        while not list(temporary.glob("policymatch-*.csv")):
            assert run.poll() is None, "the run ended before its registry copy was seen"
            assert time.monotonic() < deadline, "no registry copy after two minutes"
            time.sleep(0.005)
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=120)
    assert run.returncode == 143, err
    assert err.endswith("terminated\n")
    assert "Traceback" not in err
    assert list(temporary.iterdir()) == []
    assert not (tmp_path / "ledger.sqlite").exists()
