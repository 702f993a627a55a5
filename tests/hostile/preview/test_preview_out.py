"""Where a preview may not write: a file, or the folder of a round (its manifest.json). Both
are PM903 (exit 2) before any work, and nothing in the way is touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from policymatch import cli

ROOT = Path(__file__).resolve().parents[3]


def _preview(out: Path, tmp_path: Path) -> int:
    policies = str(ROOT / "policies")
    return cli.main(
        ["preview", "--policies", policies, "--base", policies, "--registry",
         str(tmp_path / "none.csv"), "--as-of", "2024-03-01", "--out", str(out)]
    )  # fmt: skip


def test_out_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.write_text("keep me", encoding="utf-8")
    assert _preview(out, tmp_path) == 2
    assert "[PM903]" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "keep me"


def test_out_is_a_round_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "round"
    out.mkdir()
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    assert _preview(out, tmp_path) == 2
    assert "[PM903]" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]


def test_fields_of_a_missing_policy_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["fields", "--policies", str(tmp_path / "nope")]) == 1
    assert "[PM005]" in capsys.readouterr().err
