"""Hostile policy files: each file here is one attack; each gives a coded report, never a traceback.

The ``.err`` beside each file is the exact report (``UPDATE_GOLDEN=1`` rewrites them). A fuzz
test feeds arbitrary text through the whole loader and compiler.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policymatch.cli import main
from policymatch.errors import PolicyError
from policymatch.rules import PolicySet, compile_policy_set
from tests.golden import assert_golden

HERE = Path(__file__).parent
CASES = sorted(p.name for p in HERE.glob("*.yaml"))
#: The code each attack must be refused with.
EXPECTED = {
    "open_bracket.yaml": "PM002",
    **{name: "PM006" for name in CASES if name.startswith("tag_")},
}
MARKER = Path("/tmp/pm-hostile-pwned")


def test_every_case_has_an_expected_code() -> None:
    assert set(EXPECTED) == set(CASES)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("case", CASES)
def test_refused_with_its_code_and_golden_report(
    case: str, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    MARKER.unlink(missing_ok=True)
    monkeypatch.chdir(HERE)
    with pytest.raises(PolicyError) as info:
        compile_policy_set(case)
    assert not MARKER.exists()
    codes = {d.code for d in info.value.diagnostics}
    assert codes == {EXPECTED[case]}
    assert all(d.span is not None for d in info.value.diagnostics)
    report = "\n\n".join(d.render(lang) for d in info.value.diagnostics) + "\n"
    golden = HERE / (Path(case).stem + (".zh.err" if lang == "zh" else ".err"))
    assert_golden(golden, report)


@pytest.mark.parametrize("case", [c for c in CASES if c.startswith("tag_")])
def test_every_tag_is_named_not_allowed(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)
    with pytest.raises(PolicyError) as info:
        compile_policy_set(case)
    assert all("YAML tags are not allowed" in d.message for d in info.value.diagnostics)


@pytest.mark.parametrize("case", CASES)
def test_cli_exits_1_without_traceback(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(HERE)
    assert main(["check", case]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"[{EXPECTED[case]}]" in err


yaml_soup = st.lists(
    st.sampled_from(
        [
            "version: 1\n",
            "policies:\n",
            "  - id: A\n",
            "    title: 测试\n",
            "    fund: pool\n",
            "    eligibility: employees >= 1\n",
            "    amount: 1万\n",
            "funds: [{id: pool, title: 池}]\n",
            "defaults: {fund: pool}\n",
            "define:\n  x: 1\n",
            "[",
            "]",
            "{",
            "}",
            ": ",
            "- ",
            "  ",
            "\t",
            "!!python/name:os.system ",
            "!x ",
            "%TAG ! tag:x,2000:\n---\n",
            "&a ",
            "*a ",
            "<<: ",
            "= ",
            '"',
            "'",
            "|\n",
            "2023-02-30",
            ".nan",
            "\n",
            "#",
        ]
    ),
    max_size=20,
).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), yaml_soup))
def test_any_text_gives_a_coded_error_or_a_policy_set(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "p.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            result: PolicySet | PolicyError = compile_policy_set(tmp)
        except PolicyError as exc:
            result = exc
    if isinstance(result, PolicyError):
        assert result.diagnostics
        assert all(d.code.startswith("PM") for d in result.diagnostics)
    else:
        assert isinstance(result, PolicySet)
