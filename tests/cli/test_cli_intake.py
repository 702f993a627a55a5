"""``policymatch run`` with a renamed registry column: a stop, or ``--allow-missing`` said aloud.

Issue 13: renaming a header gave a round of "missing data", exit 0, no word about the column.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from policymatch import load
from policymatch.cli import main
from policymatch.registry.writers import write_csv
from policymatch.rounds.report import REPORT
from policymatch.rounds.round import WORKBOOK
from tests.rounds.helpers import GOLDEN_RECORDS, registry, write_policies
from tests.rounds.test_report import figures

RUN = ("run", "--registry", "registry.csv", "--as-of", "2024-03-01")
IGNORED = "登记表中未读取的列：上年纳税金额"
MISSING = "登记表缺少的字段（--allow-missing，对所有企业按未知处理）：上年纳税额（tax_paid）"


def summary_notes(folder: Path) -> list[str]:
    """The texts of the review workbook's 汇总 sheet."""
    sheet = openpyxl.load_workbook(folder / WORKBOOK, read_only=True)["汇总"]
    return [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]


@pytest.fixture
def renamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """policies/ and registry.csv whose 上年纳税额 column (tax_paid, read by the policies) is
    headed 上年纳税金额."""
    monkeypatch.chdir(tmp_path)
    policy_set = load(str(write_policies(tmp_path / "policies")))
    path = tmp_path / "registry.csv"
    write_csv(registry(GOLDEN_RECORDS, policy_set).frame, path, policy_set.schema)
    text = path.read_text("utf-8-sig")
    path.write_text(text.replace("上年纳税额", "上年纳税金额", 1), "utf-8-sig")
    return tmp_path


def test_a_renamed_column_stops_the_run(renamed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main([*RUN, "--out", "r1"])
    out, err = capsys.readouterr()
    assert status == 1
    assert out == ""
    assert "no column gives 上年纳税额 (tax_paid), which the policies in force read" in err
    assert "columns ignored: '上年纳税金额'" in err
    assert "did you mean 上年纳税金额?" in err
    assert "--allow-missing tax_paid" in err
    assert "[PM521]" in err
    assert not (renamed / "r1").exists()


def test_allow_missing_runs_and_says_so(renamed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main([*RUN, "--out", "r1", "--allow-missing", "tax_paid"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert f"{IGNORED}\n" in out
    assert f"{MISSING}\n" in out
    manifest = json.loads((renamed / "r1" / "manifest.json").read_text("utf-8"))
    assert manifest["registry"]["ignored_columns"] == ["上年纳税金额"]
    assert manifest["registry"]["missing_fields"] == ["tax_paid"]
    notes = summary_notes(renamed / "r1")
    assert IGNORED in notes
    assert MISSING in notes
    html = (renamed / "r1" / REPORT).read_text("utf-8")
    assert '<div class="warn"><b>注意：</b><span data-figure="registry/missing_fields">' in html
    shown = figures(html).figures
    assert shown["registry/missing_fields"] == MISSING
    assert shown["registry/ignored_columns"] == IGNORED


def test_allow_missing_of_no_field_is_a_usage_error(
    renamed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main([*RUN, "--out", "r1", "--allow-missing", "tax"])
    _, err = capsys.readouterr()
    assert status == 2
    assert "'tax' is not a registry field" in err
    assert (
        "help: give a field name or its Chinese header to allow missing, e.g. --allow-missing "
        in err
    )
    assert "[PM523]" in err


def test_a_full_registry_lists_nothing(renamed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = renamed / "registry.csv"
    path.write_text(path.read_text("utf-8-sig").replace("上年纳税金额", "上年纳税额"), "utf-8-sig")
    assert main([*RUN, "--out", "r1"]) == 0
    out = capsys.readouterr().out
    assert "登记表中未读取的列" not in out
    assert "登记表缺少的字段" not in out
    manifest = json.loads((renamed / "r1" / "manifest.json").read_text("utf-8"))
    assert manifest["registry"]["missing_fields"] == []
    assert not any(n.startswith("登记表中未读取的列") for n in summary_notes(renamed / "r1"))
    assert not any(n.startswith("登记表缺少的字段") for n in summary_notes(renamed / "r1"))
    html = (renamed / "r1" / REPORT).read_text("utf-8")
    assert 'class="warn"' not in html
    assert "registry/ignored_columns" not in figures(html).figures
