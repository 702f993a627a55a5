"""Golden files for the warnings (PM35x): each set compiles, and reports exactly these warnings.

``<case>.warn`` is the English report, ``<case>.zh.warn`` the Chinese one; ``UPDATE_GOLDEN=1``
rewrites both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policymatch.errors import PolicyError
from policymatch.rules import compile_policy_set
from tests.golden import assert_golden

FIXTURES = Path(__file__).parent / "fixtures" / "warnings"
CASES = sorted(p.name for p in FIXTURES.glob("*.yaml"))
CODES = {
    "once_repeat.yaml": {"PM350"},
    "overlap.yaml": {"PM351"},
    "never_holds.yaml": {"PM352"},
    "no_enterprise.yaml": {"PM353"},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("case", CASES)
def test_warnings_match_golden(case: str, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    policy_set = compile_policy_set(case)
    assert {w.code for w in policy_set.warnings} == CODES[case]
    assert all(w.severity == "warning" for w in policy_set.warnings)
    report = "\n\n".join(w.render(lang) for w in policy_set.warnings) + "\n"
    golden = FIXTURES / (Path(case).stem + (".zh.warn" if lang == "zh" else ".warn"))
    assert_golden(golden, report)


def test_every_case_has_expected_codes() -> None:
    assert set(CODES) == set(CASES)


def test_the_shipped_set_has_no_warnings() -> None:
    policies = Path(__file__).resolve().parents[2] / "policies"
    assert compile_policy_set(policies).warnings == ()


def test_a_stacking_group_silences_the_overlap(tmp_path: Path) -> None:
    text = (FIXTURES / "overlap.yaml").read_text(encoding="utf-8")
    text = text.replace("    amount: 20万\n", "    amount: 20万\n    stacking_group: 高企奖励\n")
    text = text.replace("    amount: 10万\n", "    amount: 10万\n    stacking_group: 高企奖励\n")
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    assert compile_policy_set(tmp_path).warnings == ()


def test_a_yearly_policy_may_pay_repeat_awards(tmp_path: Path) -> None:
    text = (FIXTURES / "once_repeat.yaml").read_text(encoding="utf-8")
    (tmp_path / "p.yaml").write_text(text.replace("once", "yearly"), encoding="utf-8")
    assert compile_policy_set(tmp_path).warnings == ()


def test_warnings_do_not_hide_errors(tmp_path: Path) -> None:
    text = (FIXTURES / "never_holds.yaml").read_text(encoding="utf-8")
    (tmp_path / "p.yaml").write_text(text.replace("fund: pool", "fund: poool"), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        compile_policy_set(tmp_path)
    assert {d.code for d in info.value.diagnostics} == {"PM303"}
