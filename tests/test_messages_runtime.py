"""The catalogue of the runtime diagnostics (policymatch/messages_runtime.py) and the check
that keeps it whole (tests/language.py)."""

from __future__ import annotations

import contextvars
import re
from pathlib import Path

import pytest

import policymatch
from policymatch.errors import Diagnostic, set_language
from policymatch.messages import _PHRASE_TEMPLATES, HINTS, MESSAGES, translate
from tests.language import problem, untranslated

#: Codes without templates, and why: the HTTP service's answers keep their English (codes and
#: messages are its contract, docs/serve.md); these of the pool and after-payment commands are
#: raised in Chinese.
NO_TEMPLATES = {
    *("PM620", "PM621", "PM622", "PM623", "PM624", "PM626"),
    *("PM630", "PM631", "PM632", "PM633"),
    *("PM750", "PM752", "PM753", "PM754", "PM755"),
    *("PM760", "PM762", "PM780"),
}
_PLACEHOLDER = re.compile(r"\{([a-z]+)\}")


def raised_codes() -> set[str]:
    root = Path(policymatch.__file__).parent
    return {
        code for path in root.rglob("*.py") for code in re.findall(r'"(PM\d{3})"', path.read_text())
    }


def test_every_code_raised_has_its_chinese() -> None:
    assert sorted(raised_codes() - NO_TEMPLATES - set(MESSAGES)) == []
    assert sorted(NO_TEMPLATES & set(MESSAGES)) == []  # an exception no longer needed


@pytest.mark.parametrize(
    "pair",
    [*(p for ps in MESSAGES.values() for p in ps), *HINTS, *_PHRASE_TEMPLATES],
    ids=lambda pair: pair[0][:40],
)
def test_the_chinese_fills_only_parts_the_english_has(pair: tuple[str, str]) -> None:
    en, zh = pair
    assert set(_PLACEHOLDER.findall(zh)) <= set(_PLACEHOLDER.findall(en))


@pytest.mark.parametrize(
    ("code", "text", "hint", "why"),
    [
        ("PM501", "registry file not found", False, None),
        ("PM501", "check the path of the registry", True, None),
        ("PM501", "the registry fell into a well", False, "no template in the catalogue"),
        ("PM999", "nothing here", False, "no template in the catalogue"),
        ("PM755", "回补 1.00 元超过 财政局 尚未回补的垫付额 0.00 元（资金 pool）", False, None),
        (
            "PM520",
            "the workbook is too large to read: row 3 has 9 columns (at most 4)",
            False,
            None,
        ),
        ("PM520", "the workbook is too large to read: it has far too many rows", False, "English"),
        ("PM508", "cannot read the file as CSV: CSV parse error: Expected 3 columns", False, None),
    ],
)
def test_what_counts_as_chinese(code: str, text: str, hint: bool, why: str | None) -> None:
    found = problem(code, text, hint=hint)
    assert found is None if why is None else why in (found or "")


def test_untranslated_names_the_message_and_the_hint() -> None:
    seen = {("PM501", "registry file not found", "look under the sofa")}
    assert untranslated(seen) == [
        "PM501 hint 'look under the sofa': no template in the catalogue",
    ]


def test_a_refusal_lists_its_problems_line_by_line() -> None:
    message = (
        "refused: grants.csv holds grants the policies do not allow:\n"
        "  grants.csv line 2 (W 913): amount 0.00 is not above zero\n"
        "  grants.csv line 3 (X 914): no policy 'X' in the policy set\n"
        "  ... and 4 more"
    )
    assert translate("PM722", message) == (
        "拒绝入账：grants.csv 中有政策不允许的兑现：\n"
        "  grants.csv 第 2 行（W 913）：金额 0.00 不大于零\n"
        "  grants.csv 第 3 行（X 914）：政策集中没有政策 'X'\n"
        "  ……另有 4 条"
    )


def test_a_grant_the_ledger_blocks_says_why_in_the_lists_words() -> None:
    message = (
        "round 0123456789ab not committed: 2 of its grants are already paid according to the "
        "ledger (another round was committed after this one was run):\n"
        "  T 914: paid_before (abcdef012345)\n"
        "  W 913: carried remainder due 10.00, this round pays 20.00 of 30.00"
    )
    assert translate("PM703", message) == (
        "轮次 0123456789ab 未入账：按台账，其中 2 笔兑现已经支付过（本轮运行之后又有别的轮次入账）：\n"
        "  T 914：已享受过本政策（一次性）（abcdef012345）\n"
        "  W 913：结转待补 10.00，本轮从 30.00 中支付 20.00"
    )


def test_a_skipped_change_line_keeps_each_problem() -> None:
    message = "'严重失信主体' gives credit_blacklisted a second time; 'x' is not a registry field; skipped"
    assert translate("PM404", message) == (
        "'严重失信主体' 重复给出了 credit_blacklisted；'x' 不是登记表字段；已跳过"
    )


def test_the_systems_words_in_a_chinese_message() -> None:
    assert (
        translate("PM761", "无法读取文件：No such file or directory")
        == "无法读取文件：文件或文件夹不存在"
    )


def test_another_programs_words_are_kept_whole() -> None:
    # "{a} to {b}" translates a range of the catalogue's own words, never a driver's sentence.
    message = "ledger: cannot read: connection to server at 127.0.0.1 failed: No route"
    assert translate("PM702", message) == (
        "台账无法读取：connection to server at 127.0.0.1 failed: No route"
    )
    assert translate("PM401", "cannot read the events: No such file or directory") == (
        "无法读取变更事件：文件或文件夹不存在"
    )


def test_data_keeps_the_english_for_machines() -> None:
    """``--format json`` and the HTTP service give the English message whatever the language
    (a code and its message are what a program reads; people read the rendered text)."""
    diagnostic = Diagnostic(
        "PM501", "registry file not found", hint="check the path of the registry"
    )

    def in_chinese() -> tuple[object, str]:
        set_language("zh")
        return diagnostic.to_dict()["message"], diagnostic.render()

    data, text = contextvars.copy_context().run(in_chinese)
    assert data == "registry file not found"
    assert text == "<input>: 错误: 找不到登记表文件 [PM501]\n    = 提示: 请检查登记表的路径"
