"""Hostile ``--base-rev`` values: an option for git, a revision that does not exist, a folder
outside the repository. Each is PM902 (exit 2); git never sees an option from the user."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from policymatch import cli

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    shutil.copytree(ROOT / "policies", tmp_path / "repo" / "policies")
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t",
                                                "commit", "-qm", "x"]):  # fmt: skip
        subprocess.run(["git", *args], cwd=tmp_path / "repo", check=True, capture_output=True)
    return tmp_path / "repo"


@pytest.mark.parametrize(
    "rev", ["--output=PWNED", "-o PWNED", "HEAD; touch PWNED", "no-such-branch", "HEAD:../x"]
)
def test_a_hostile_revision_is_refused_and_runs_nothing(
    repo: Path, rev: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["preview", "--policies", str(repo / "policies"), f"--base-rev={rev}"]
    argv += ["--registry", str(tmp_path / "none.csv"), "--as-of", "2024-03-01"]
    argv += ["--out", str(tmp_path / "out")]
    assert cli.main(argv) == 2
    assert "[PM902]" in capsys.readouterr().err
    assert not list(repo.rglob("PWNED"))
    assert not list(Path.cwd().glob("PWNED*"))
    assert not (tmp_path / "out").exists()


def test_a_folder_outside_the_repository_is_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "elsewhere"
    shutil.copytree(repo / "policies", outside)
    argv = ["preview", "--policies", str(outside), "--base-rev", "HEAD", "--registry", "x.csv"]
    argv += ["--as-of", "2024-03-01", "--out", str(tmp_path / "out")]
    assert cli.main(argv) == 2
    assert "[PM902]" in capsys.readouterr().err
