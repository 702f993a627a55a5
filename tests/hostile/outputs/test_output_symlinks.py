"""Links planted in the round folder: a run refuses a folder holding them (PM725) and never
writes through them; a link planted while the round is written is replaced, not written
through, as every output is written to a new file renamed into place (nor is a half-written
file left behind)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from policymatch import load
from policymatch.cli import main
from policymatch.errors import LedgerError
from policymatch.registry.writers import write_csv as write_registry
from policymatch.rounds.outputs import replacing
from policymatch.rounds.tables import Column, Kind, make_table
from policymatch.rounds.workbook import write_workbook
from tests.hostile.outputs.conftest import WriteRound
from tests.rounds.helpers import GOLDEN_RECORDS, registry, write_policies

OUTPUTS = (
    "grants.csv", "push.csv", "missing.csv", "near_miss.csv", "rejected.csv", "excluded.csv",
    "held.csv", "summary.csv", "公示名单.csv", "兑现清单.xlsx", "公示名单.xlsx", "manifest.json",
    "report.html", "临界企业_县税务局.xlsx",
)  # fmt: skip


def test_the_golden_round_writes_every_output(write_round: WriteRound, tmp_path: Path) -> None:
    """OUTPUTS is what a round writes (the near-miss workbook of the golden round's T too)."""
    out = write_round(["正常企业"], tmp_path / "out")
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)


def test_a_run_never_writes_through_planted_links(write_round: WriteRound, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name in OUTPUTS:
        (elsewhere / name).write_text("victim", "utf-8")
        (out / name).symlink_to(elsewhere / name)
    with pytest.raises(LedgerError) as refused:
        write_round(["正常企业"], out)
    assert "[PM725]" in str(refused.value)
    assert f"symbolic links ({', '.join(sorted(OUTPUTS))})" in str(refused.value)
    for name in OUTPUTS:
        assert (elsewhere / name).read_text("utf-8") == "victim", name
        assert (out / name).is_symlink(), name  # left as they were: nothing written
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)  # no temporary file left


@pytest.mark.parametrize("name", ["held.csv", "临界企业_县税务局.xlsx"])
def test_a_link_planted_while_writing_is_replaced(tmp_path: Path, name: str) -> None:
    """The CSV files and the department workbooks (write_workbook) are renamed into place."""
    victim = tmp_path / "victim"
    victim.write_text("victim", "utf-8")
    path = tmp_path / name
    path.symlink_to(victim)
    if name.endswith(".csv"):
        with replacing(path) as f:
            f.write(b"uscc\n")
    else:
        table = make_table(
            "t.csv", "临界企业", (Column("uscc", "统一社会信用代码", Kind.TEXT),), [["x"]]
        )
        write_workbook(path, as_of=dt.date(2024, 3, 1), sheets=[table])
    assert victim.read_text("utf-8") == "victim"
    assert not path.is_symlink()
    assert path.stat().st_size > 0


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "grants.csv"
    path.write_text("old", "utf-8")

    def write_half() -> None:
        with replacing(path) as f:
            f.write(b"half a fi")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_half()
    assert path.read_text("utf-8") == "old"
    assert os.listdir(tmp_path) == ["grants.csv"]


def test_written_files_are_readable_by_others(tmp_path: Path) -> None:
    with replacing(tmp_path / "a.csv") as f:
        f.write(b"x")
    assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o644


def test_a_folder_in_the_way_is_a_coded_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Something at an output's name that cannot be replaced: PM712 naming the file, no
    traceback, nothing left behind."""
    out = tmp_path / "out"
    (out / "grants.csv").mkdir(parents=True)
    (out / "grants.csv" / "keep").write_text("x", "utf-8")
    status = main(["run", "--registry", str(registry_csv(tmp_path)), "--as-of", "2024-03-01",
                   "--policies", str(write_policies(tmp_path / "policies")), "--out", str(out),
                   "--ledger", f"sqlite:///{tmp_path / 'l.sqlite'}"])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2
    assert "PM712" in err
    assert "cannot write grants.csv into the round folder" in err
    assert "Traceback" not in err
    assert not [p.name for p in out.iterdir() if p.name.endswith(".part")]


def registry_csv(root: Path) -> Path:
    policy_set = load(str(write_policies(root / "policies")))
    path = root / "registry.csv"
    write_registry(registry(GOLDEN_RECORDS, policy_set).frame, path, policy_set.schema)
    return path
