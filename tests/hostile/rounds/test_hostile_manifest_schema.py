"""Damaged or forged manifest.json: refused with PM704 and what is wrong, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_rounds import RUN, run


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set the key at ``path`` (keys joined by '|')."""
    *parents, last = path.split("|")

    def edit(m: dict[str, Any]) -> None:
        for key in parents:
            m = m[key]
        m[last] = value

    return edit


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda m: m.pop(key)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_drop("counts"), "counts: missing"),
        (_drop("totals"), "totals: missing"),
        (_drop("registry"), "registry: missing"),
        (_set("outputs", ["grants.csv"]), "outputs: Input should be a valid dictionary"),
        (_set("outputs", "grants.csv"), "outputs: Input should be a valid dictionary"),
        (_set("counts|grants", "11"), "counts.grants: Input should be a valid integer"),
        (_set("counts|grants", -1), "counts.grants: Input should be greater than or equal to 0"),
        (_set("totals|granted", 1149.98), "totals.granted: Input should be a valid string"),
        (_set("as_of", 1709251200), "as_of: Value error, a date is written YYYY-MM-DD"),
        (_set("as_of", "2024-02-30"), "as_of: Value error, day is out of range for month"),
        (_set("policies|Z2|frequency", "twice"), "policies.Z2.frequency: Input should be 'once'"),
        (_set("outputs|../ledger.sqlite", "0" * 64), "is not the name of a file of the round"),
        (_set("outputs|grants.csv", "not a hash"), "outputs.grants.csv: String should match"),
        (_set("format", "policymatch-round/2"), "format: Input should be 'policymatch-round/1'"),
        (_set("surprise", 1), "surprise: not a key of a round manifest"),
        (lambda m: m.clear(), "counts: missing"),
    ],
)
def test_a_manifest_that_is_not_one_is_refused(
    county: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[dict[str, Any]], None],
    message: str,
) -> None:
    assert run(capsys, *RUN, "--out", "r1")[0] == 0
    path = county / "r1" / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    edit(manifest)
    path.write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    status, out, err = run(capsys, "commit", "r1")
    assert (status, out) == (1, "")
    assert "r1: error: manifest.json is not a round manifest:" in err
    assert message in err
    assert "[PM704]" in err
    assert "Traceback" not in err
    assert not (county / "ledger.sqlite").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"format": "policymatch-round/1", "format": "x"}', "the key 'format' is given twice"),
        (b'{"counts": NaN}', "NaN is not a value a manifest holds"),
        (b'{"counts": ', "cannot be read: Expecting value"),
        (b"\xff\xfe{}", "cannot be read: 'utf-8' codec can't decode"),
        (b"[" * 100_000 + b"]" * 100_000, "cannot be read"),
        (b"[]", "(top): Input should be a valid dictionary"),
    ],
)
def test_a_manifest_that_is_not_json_is_refused(
    county: Path, capsys: pytest.CaptureFixture[str], text: bytes, message: str
) -> None:
    assert run(capsys, *RUN, "--out", "r1")[0] == 0
    (county / "r1" / "manifest.json").write_bytes(text)
    status, out, err = run(capsys, "commit", "r1")
    assert (status, out) == (1, "")
    assert message in err
    assert "[PM704]" in err
    assert "Traceback" not in err
