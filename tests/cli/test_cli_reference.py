"""``policymatch fields`` and ``policymatch functions``: golden output.

Run with ``UPDATE_GOLDEN=1`` to rewrite the golden files after an intended change, then review
the diff like any other change to user-facing text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policymatch import cli
from policymatch.functions import FUNCTION_HELP
from policymatch.rules import ir
from tests.golden import assert_golden

GOLDEN = Path(__file__).parent / "golden"

EXTENSION = """\
version: 1
schema:
  fields:
    revenue_prev: {type: money, label: 前年营业收入, aliases: [前年营收]}
    hte_grade: {type: enum, label: 高企评价等级, values: [A, B, C]}
    tags: {values: [绿色工厂]}
    legal_phone: {type: string, label: 法人电话, sensitive: true}
"""


def _output(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def _golden(name: str, text: str) -> None:
    assert_golden(GOLDEN / name, text)


def test_fields_lists_the_standard_schema(capsys: pytest.CaptureFixture[str]) -> None:
    out = _output(["fields"], capsys)
    _golden("fields.txt", out)
    assert "revenue             上年营业收入" in out
    assert "共 22 个字段（标准字段）" in out


def test_fields_includes_the_policy_sets_extensions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "common.yaml").write_text(EXTENSION, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = _output(["fields", "--policies", "set"], capsys)
    _golden("fields-extended.txt", out)
    lines = {line.split()[0]: line for line in out.splitlines() if line}
    assert "前年营收" in lines["revenue_prev"]
    assert "扩展" in lines["revenue_prev"]
    assert "标准+扩展" in lines["tags"]
    assert lines["tags"].endswith("瞪羚企业、绿色工厂")
    assert "敏感" in lines["legal_phone"]
    assert "A、B、C" in lines["hte_grade"]


def test_fields_on_a_broken_policy_set_reports_the_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text(
        "version: 1\nschema:\n  fields:\n    employees: {type: money}\n", encoding="utf-8"
    )
    assert cli.main(["fields", "--policies", str(tmp_path)]) == 1
    assert "[PM308]" in capsys.readouterr().err


def test_functions_lists_every_function(capsys: pytest.CaptureFixture[str]) -> None:
    out = _output(["functions"], capsys)
    _golden("functions.txt", out)
    for f in ir.FUNCTIONS:
        assert f"\n{f}(" in out


def test_the_function_help_describes_exactly_the_compilers_functions() -> None:
    assert tuple(f.name for f in FUNCTION_HELP) == ir.FUNCTIONS
    assert all(f.signature.startswith(f"{f.name}(") for f in FUNCTION_HELP)


def test_every_command_is_in_the_readme_command_table() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = {
        line.split("`")[1].split()[1]
        for line in readme.splitlines()
        if line.startswith("| `policymatch ")
    }
    assert set(cli.COMMANDS) <= table
