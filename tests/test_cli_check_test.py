"""``policymatch check`` and ``policymatch test``: output and exit codes (README, docs/rounds.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policymatch.cli import main

GOOD = """
version: 1
funds: [{id: f, title: 资金池}]
policies:
  - id: P
    title: 稳岗
    fund: f
    eligibility:
      all:
        - label: 人数
          when: employees >= 5
        - region == "361126"
    amount: min(employees * 1000, 5万)
    examples:
      - {name: 五人, as_of: 2024-03-01, enterprise: {employees: 5, region: "361126"}, eligible: true, amount: 5000}
      - {name: 四人, as_of: 2024-03-01, enterprise: {employees: 4, region: "361126"}, eligible: false, fails: [人数]}
      - {name: 人数不详, as_of: 2024-03-01, enterprise: {region: "361126"}, eligible: unknown}
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.yaml").write_text(GOOD, encoding="utf-8")
    code, out, _ = run(capsys, "check", str(tmp_path))
    assert code == 0
    assert out == "ok: 1 policies, 1 funds, 3 examples in 1 files\n"


def test_check_errors_exit_1_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text(
        GOOD.replace("employees >= 5", "employes >= 5"), encoding="utf-8"
    )
    code, _out, err = run(capsys, "check", str(tmp_path))
    assert code == 1
    assert "unknown name 'employes' (did you mean 'employees'?) [PM201]" in err
    assert "Traceback" not in err


def test_test_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.yaml").write_text(GOOD, encoding="utf-8")
    code, out, _ = run(capsys, "test", str(tmp_path))
    assert (code, out) == (0, "examples: 3 passed, 0 failed\n")


def test_test_reports_a_failing_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.yaml").write_text(
        GOOD.replace("amount: 5000}", "amount: 5001}"), encoding="utf-8"
    )
    code, out, _ = run(capsys, "test", str(tmp_path))
    assert code == 1
    assert "FAIL P / 五人" in out
    assert "expected amount 5001, got 5000.00" in out
    assert out.endswith("examples: 2 passed, 1 failed\n")


def test_example_outside_the_effective_period_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.replace(
        "    fund: f\n", "    fund: f\n    effective: {from: 2025-01-01, to: null}\n"
    )
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "test", str(tmp_path))
    assert code == 1
    assert "outside the policy's effective period 2025-01-01 to …" in out


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_no_matching_tier_is_not_eligible_in_examples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.replace(
        "    amount: min(employees * 1000, 5万)\n",
        "    amount:\n      tiers:\n        - {when: employees >= 100, value: 5万}\n",
    ).replace("eligible: true, amount: 5000}", "eligible: false}")
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "test", "-v", str(tmp_path))
    assert code == 0, out
    text = text.replace(
        '五人, as_of: 2024-03-01, enterprise: {employees: 5, region: "361126"}, eligible: false}',
        '五人, as_of: 2024-03-01, enterprise: {employees: 5, region: "361126"}, eligible: true}',
    )
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "test", str(tmp_path))
    assert code == 1
    assert "expected eligible, got not granted: the conditions hold but the amount is 0.00" in out


def test_a_closed_pipe_is_not_a_traceback() -> None:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "policymatch.cli", "test", "-v", "policies"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).parent.parent,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader goes away before the first line, as `| head -0` would
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141
    assert b"Traceback" not in err


OVERLAP = Path(__file__).parent / "rules" / "fixtures" / "warnings" / "overlap.yaml"


def test_check_prints_warnings_and_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text(OVERLAP.read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = run(capsys, "check", "--lang", "en", str(tmp_path))
    assert code == 0
    assert out == "ok: 4 policies, 1 funds, 0 examples in 1 files, 2 warnings\n"
    assert err.count("warning:") == 2
    assert "[PM351]" in err


def test_strict_turns_warnings_into_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text(OVERLAP.read_text(encoding="utf-8"), encoding="utf-8")
    for command in ("check", "test"):
        code, out, err = run(capsys, command, "--strict", "--lang", "en", str(tmp_path))
        assert code == 1
        assert out == ""
        assert err.count("error:") == 2
        assert "warning:" not in err


def test_false_is_not_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.yaml").write_text(
        GOOD.replace("eligible: unknown}", "eligible: false}"), encoding="utf-8"
    )
    code, out, _ = run(capsys, "test", "--lang", "en", str(tmp_path))
    assert code == 1
    assert "FAIL P / 人数不详" in out
    assert "expected not eligible, got unknown (missing: employees)" in out
    assert "missing data makes the result unknown, not 'not eligible'" in out


SHARED = """
version: 1
funds: [{id: f, title: 资金池}]
define:
  本地: region == "361126"
"""
OTHER = GOOD.replace("funds: [{id: f, title: 资金池}]\n", "").replace("id: P\n", "id: Q\n")


def test_test_takes_one_file_of_a_folder_and_several_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "funds.yaml").write_text(SHARED, encoding="utf-8")
    (folder / "q.yaml").write_text(OTHER.replace('region == "361126"', "本地"), encoding="utf-8")
    (folder / "r.yaml").write_text(OTHER.replace("id: Q\n", "id: R\n"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "test", "-v", "policies/q.yaml")
    assert code == 0, out
    assert "Q / 五人" in out
    assert "R / " not in out
    assert out.endswith("examples: 3 passed, 0 failed\n")
    code, out, _ = run(capsys, "test", "policies/q.yaml", "policies/r.yaml")
    assert (code, out) == (0, "examples: 6 passed, 0 failed\n")
    code, out, _ = run(capsys, "test", "policies/q.yaml", "policies")
    assert (code, out) == (0, "examples: 6 passed, 0 failed\n")


def test_language_follows_the_flag_then_the_locale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "p.yaml").write_text(
        GOOD.replace("employees >= 5", "employes >= 5"), encoding="utf-8"
    )
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    _, _, err = run(capsys, "check", str(tmp_path))
    assert "错误: 未知的名称 'employes'（是不是 'employees'？） [PM201]" in err
    _, _, err = run(capsys, "check", "--lang", "en", str(tmp_path))
    assert "error: unknown name 'employes' (did you mean 'employees'?) [PM201]" in err
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    _, _, err = run(capsys, "check", str(tmp_path))
    assert "[PM201]" in err
    assert "error: unknown name" in err


def test_test_speaks_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.yaml").write_text(
        GOOD.replace("eligible: unknown}", "eligible: false}"), encoding="utf-8"
    )
    code, out, _ = run(capsys, "test", "--lang", "zh", str(tmp_path))
    assert code == 1
    assert "缺数据时结果是“未知”，不是“不符合”" in out
    assert "“未知”（缺少：employees）" in out
    assert out.endswith("示例：2 个通过，1 个失败\n")


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "C", "LC_MESSAGES": "zh_TW.UTF-8"}, "zh"),
        ({"LC_ALL": "", "LANG": "zh_CN.GB18030"}, "zh"),
    ],
)
def test_locale_language(environ: dict[str, str], lang: str) -> None:
    from policymatch.commands.language import locale_language

    assert locale_language(environ) == lang
