"""``python -m policymatch.backends.vectorized.warm`` (run by scripts/setup.sh) compiles every
loop a round needs, so that a user's first ``policymatch run`` compiles nothing (seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _cached(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_a_first_round_after_warming_compiles_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}

    def policymatch(*argv: str) -> None:
        command = [sys.executable, "-m", "policymatch.cli", *argv]
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr

    registry = str(tmp_path / "registry.csv")
    policies = str(ROOT / "policies")
    policymatch("sample-registry", "--rows", "300", "--seed", "2", "--policies", policies,
                "--out", registry)  # fmt: skip
    warmed = subprocess.run(
        [sys.executable, "-m", "policymatch.backends.vectorized.warm"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "cached" in warmed.stdout
    before = _cached(tmp_path / "numba")
    assert before  # the loops were written to this cache
    policymatch("run", "--registry", registry, "--policies", policies, "--as-of", "2024-03-01",
                "--out", str(tmp_path / "out"), "--ledger", str(tmp_path / "ledger.sqlite"))  # fmt: skip
    assert _cached(tmp_path / "numba") == before
