"""Round folders tampered with on disk: a committed round overwritten through another ledger or
after its manifest was removed, and symbolic links planted to send a list out of the folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli_rounds import RUN, run


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def committed(county: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert run(capsys, *RUN, "--out", "r1")[0] == 0
    assert run(capsys, "commit", "r1")[0] == 0
    return county / "r1"


def overwrite_refused(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    status, out, err = run(capsys, *RUN, "--out", "r1", *extra)
    assert (status, out) == (1, ""), err
    assert "[PM713]" in err
    assert "Traceback" not in err
    return err


def test_commit_marks_the_folder_and_makes_it_read_only(committed: Path) -> None:
    marker = json.loads((committed / "COMMITTED.json").read_text("utf-8"))
    assert set(marker) == {"round_id", "ledger", "committed_at"}
    manifest = json.loads((committed / "manifest.json").read_text("utf-8"))
    # report.html is written after the manifest (it names the round): a view, not an output
    assert set(manifest["outputs"]) | {"manifest.json", "COMMITTED.json", "report.html"} == {
        p.name for p in committed.iterdir()
    }
    assert all(not p.stat().st_mode & 0o222 for p in committed.iterdir())


def test_another_ledger_does_not_open_a_committed_folder(
    committed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 11: run --out on a committed round's folder without its --ledger overwrote it."""
    before = snapshot(committed)
    err = overwrite_refused(capsys, "--ledger", "other.sqlite")
    assert "this folder holds round" in err
    assert "(COMMITTED.json)" in err
    assert snapshot(committed) == before


def test_a_committed_folder_without_its_manifest_is_not_overwritten(
    committed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (committed / "manifest.json").unlink()
    before = snapshot(committed)
    overwrite_refused(capsys, "--ledger", "other.sqlite")  # the marker says so
    (committed / "COMMITTED.json").unlink()
    err = overwrite_refused(capsys)  # the ledger recorded a round from this folder
    assert "the ledger recorded round" in err
    assert "whose manifest.json is gone" in err
    err = overwrite_refused(capsys, "--ledger", "other.sqlite")  # the lists are read-only
    assert "it looks like a committed round whose manifest.json was removed" in err
    del before["COMMITTED.json"]
    assert snapshot(committed) == before


def test_a_round_cannot_be_committed_to_a_second_ledger(
    committed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "commit", "r1", "--ledger", "other.sqlite")
    assert (status, out) == (1, "")
    assert "was committed to" in err
    assert "[PM726]" in err
    assert not (committed.parent / "other.sqlite").exists()


def test_an_interrupted_run_is_overwritten(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No manifest and writable lists: a run that did not finish, not a committed round."""
    assert run(capsys, *RUN, "--out", "r1")[0] == 0
    (county / "r1" / "manifest.json").unlink()
    (county / "r1" / "grants.csv").write_text("half", "utf-8")
    assert run(capsys, *RUN, "--out", "r1")[0] == 0
    assert (county / "r1" / "grants.csv").read_text("utf-8-sig").startswith("uscc,")


@pytest.mark.parametrize("name", ["grants.csv", "manifest.json", "兑现清单.xlsx", "other"])
def test_run_does_not_write_through_a_planted_link(
    county: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    elsewhere = county / "elsewhere.txt"
    elsewhere.write_text("not yours", "utf-8")
    (county / "r1").mkdir()
    (county / "r1" / name).symlink_to(elsewhere)
    status, out, err = run(capsys, *RUN, "--out", "r1")
    assert (status, out) == (1, "")
    assert f"the round folder holds symbolic links ({name})" in err
    assert "[PM725]" in err
    assert elsewhere.read_text("utf-8") == "not yours"


def test_commit_does_not_read_through_a_planted_link(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, *RUN, "--out", "r1")[0] == 0
    lists = county / "r1"
    (county / "copy.xlsx").write_bytes((lists / "兑现清单.xlsx").read_bytes())
    (lists / "兑现清单.xlsx").unlink()
    (lists / "兑现清单.xlsx").symlink_to(county / "copy.xlsx")  # same bytes, but outside
    status, _, err = run(capsys, "commit", "r1")
    assert status == 1
    assert "[PM725]" in err
    assert not (county / "ledger.sqlite").exists()
