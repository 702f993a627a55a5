"""Golden files: each invalid policy set beside the exact report an author sees.

Run with ``UPDATE_GOLDEN=1`` to rewrite the ``.err`` files after an intended change, then
review the diff like any other change to user-facing text.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from policymatch.errors import PolicyError
from policymatch.messages import lookup
from policymatch.rules import compile_policy_set
from tests.golden import assert_golden

FIXTURES = Path(__file__).parent / "fixtures" / "invalid"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.suffix == ".yaml" or p.is_dir())


def render(case: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(FIXTURES)
    with pytest.raises(PolicyError) as info:
        compile_policy_set(case)
    return info.value.render() + "\n"


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("case", CASES)
def test_error_report_matches_golden(case: str, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    with pytest.raises(PolicyError) as info:
        compile_policy_set(case)
    report = "\n\n".join(d.render(lang) for d in info.value.diagnostics) + "\n"
    golden = FIXTURES / (Path(case).stem + (".zh.err" if lang == "zh" else ".err"))
    assert_golden(golden, report)


def test_every_case_has_a_golden_file() -> None:
    errs = {p.name.split(".")[0] for p in FIXTURES.glob("*.err")}
    assert errs == {Path(c).stem for c in CASES}


def test_injection_never_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    marker = Path("/tmp/pwned")
    marker.unlink(missing_ok=True)
    report = render("no_code_execution.yaml", monkeypatch)
    assert not marker.exists()
    assert "[PM206]" in report
    assert "unknown function 'eval'" in report


def test_alias_bomb_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    # A billion-element expansion; the point is that it stops early, not how early exactly,
    # so the bound is generous enough for a loaded CI machine.
    start = time.perf_counter()
    report = render("alias_bomb.yaml", monkeypatch)
    assert time.perf_counter() - start < 5
    assert "[PM004]" in report


def test_not_utf8_is_reported_with_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "gbk.yaml").write_bytes("version: 1\n# 惠企政策\n".encode("gbk"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PolicyError) as info:
        compile_policy_set("gbk.yaml")
    (diag,) = info.value.diagnostics
    assert diag.code == "PM001"
    assert diag.span is not None
    assert diag.span.line == 2
    assert "UTF-8" in (diag.hint or "")


def test_deep_nesting_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "deep.yaml").write_text("version: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PolicyError) as info:
        compile_policy_set("deep.yaml")
    assert [d.code for d in info.value.diagnostics] == ["PM004"]


def test_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "big.yaml").write_text("version: 1\n" + "# padding\n" * 200_000)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PolicyError) as info:
        compile_policy_set("big.yaml")
    assert info.value.diagnostics[0].code == "PM004"


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        compile_policy_set(tmp_path / "nope")
    assert info.value.diagnostics[0].code == "PM005"


@pytest.mark.parametrize("case", CASES)
def test_every_diagnostic_says_what_to_write(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    with pytest.raises(PolicyError) as info:
        compile_policy_set(case)
    assert [d for d in info.value.diagnostics if not d.hint] == []


def test_a_wrong_default_is_reported_once_where_it_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(FIXTURES)
    with pytest.raises(PolicyError) as info:
        compile_policy_set("defaults_cascade")
    found = [(d.file, d.span.line if d.span else 0, d.code) for d in info.value.diagnostics]
    # Two policies in each file, and not one report about a policy.
    assert found == [
        ("defaults_cascade/bad_date.yaml", 5, "PM104"),
        ("defaults_cascade/bad_date.yaml", 6, "PM103"),
        ("defaults_cascade/bad_fund.yaml", 3, "PM303"),
        ("defaults_cascade/bad_fund.yaml", 4, "PM307"),
    ]


@pytest.mark.parametrize("case", ["schema_field_cascade.yaml", "define_type_cascade.yaml"])
def test_one_wrong_type_is_one_error(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    with pytest.raises(PolicyError) as info:
        compile_policy_set(case)
    assert len(info.value.diagnostics) == 1


@pytest.mark.parametrize("case", CASES)
def test_every_diagnostic_has_its_chinese(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    with pytest.raises(PolicyError) as info:
        compile_policy_set(case)
    for d in info.value.diagnostics:
        assert lookup(d.code, d.message) is not None, d.message
        assert d.hint is None or lookup(d.code, d.hint, hint=True) is not None, d.hint
