"""``check --format json`` and ``run --format json``: the documented forms (docs/json-schema.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policymatch.cli import main


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert err == ""
    data: dict[str, object] = json.loads(out)
    return status, data


def test_check_json_ok_and_failing(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, data = _json(capsys, "check", "policies", "--format", "json")
    assert status == 0
    assert data["kind"] == "policymatch/check"
    assert data["version"] == 1
    assert data["ok"] is True
    assert data["policies"] == 6
    assert data["diagnostics"] == []
    (county / "bad").mkdir()
    (county / "bad" / "p.yaml").write_text("version: 1\npolicies:\n  - id: A\n    titel: x\n")
    status, data = _json(capsys, "check", "bad", "--format", "json")
    assert status == 1
    assert data["ok"] is False
    diagnostics = data["diagnostics"]
    assert isinstance(diagnostics, list)
    first = diagnostics[0]
    assert set(first) == {"code", "severity", "message", "file", "line", "col", "hint"}
    assert "PM101" in {d["code"] for d in diagnostics}


def test_run_json_summary_agrees_with_the_manifest(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("run", "--registry", "registry.csv", "--as-of", "2024-03-01", "--out", "r1")
    status, data = _json(capsys, *argv, "--format", "json")
    assert status == 0
    manifest = json.loads((county / "r1" / "manifest.json").read_text("utf-8"))
    assert data["kind"] == "policymatch/run-summary"
    assert data["grants"] == manifest["counts"]["grants"] == 11
    assert data["granted_yuan"] == manifest["totals"]["granted"]
    assert data["granted_fen"] == round(float(manifest["totals"]["granted"]) * 100)
    registry = data["registry"]
    assert isinstance(registry, dict)
    assert registry["rows_read"] == registry["rows_matched"] + registry["rows_set_aside"]
    assert data["next"] == "policymatch commit r1"
