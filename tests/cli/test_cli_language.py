"""Every command speaks the clerk's language: Chinese under a Chinese locale or ``--lang zh``,
English under ``C.UTF-8`` (the tests' locale, tests/conftest.py) or ``--lang en``.

The Chinese of each case is in one golden file, for review as a clerk reads it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policymatch.cli import main
from policymatch.commands.language import chosen_language
from tests.cli.test_cli_rounds import RUN
from tests.cli.test_cli_rounds import county as county  # a fixture, by name
from tests.golden import assert_golden
from tests.language import english_left
from tests.rounds.helpers import code

GOLDEN = Path(__file__).parent / "golden" / "diagnostics.zh.txt"

#: Case name -> arguments: each fails with a diagnostic (exit 1) or a usage error (exit 2).
CASES: dict[str, tuple[str, ...]] = {
    "run, no registry file": ("run", "--registry", "nowhere.csv", *RUN[3:], "--out", "o"),
    "run, no USCC column": ("run", "--registry", "headers.csv", *RUN[3:], "--out", "o"),
    "run, a table with a file": (*RUN, "--out", "o", "--table", "t"),
    "run, an unknown field allowed missing": (*RUN, "--out", "o", "--allow-missing", "tax"),
    "run, no policy folder": (*RUN, "--out", "o", "--policies", "nowhere"),
    "run, --as-of missing (argparse)": ("run", "--registry", "registry.csv", "--out", "o"),
    "run, --as-of not a date (argparse)": (*RUN[:-1], "2024-3", "--out", "o"),
    "run, an unknown option (argparse)": (*RUN, "--out", "o", "--fast"),
    "commit, not a round folder": ("commit", "nowhere"),
    "explain, an unknown enterprise": ("explain", *RUN[1:], "--uscc", code(98)),
    "explain, an unknown policy": ("explain", *RUN[1:], "--uscc", code(1), "--policy", "ZZ"),
    "explain, no registry": ("explain", "--as-of", "2024-03-01", "--uscc", code(1)),
    "pool, a fund the ledger does not hold": ("pool", "--fund", "nope", "--ledger", "l.sqlite"),
    "pool replenish, a bad amount": (
        *("pool", "replenish", "--fund", "pool", "--amount", "三百"),
        *("--from", "财政局", "--ref", "文1"),
    ),
    "sample-registry, an unknown format": ("sample-registry", "--out", "x.txt"),
}


def run(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> tuple[int, str]:
    try:
        status = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        status = int(exc.code or 0)
    return status, capsys.readouterr().err


@pytest.fixture
def chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")


def test_every_case_in_chinese(
    county: Path,
    chinese: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (county / "headers.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    report = []
    for name, argv in CASES.items():
        status, err = run(capsys, argv)
        assert status in (1, 2), (name, err)
        assert "Traceback" not in err
        said = [line for line in err.splitlines() if not line.startswith((" " * 8, "用法："))]
        left = [english_left(line) for line in said if english_left(line)]
        assert left == [], (name, err)
        report.append(f"## {name} (exit {status})\n{err}")
    assert_golden(GOLDEN, "\n".join(report))


def test_a_committed_round_is_refused_in_chinese(
    county: Path,
    chinese: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, (*RUN, "--out", "r1"))[0] == 0
    assert run(capsys, ("commit", "r1"))[0] == 0
    (county / "r1" / "grants.csv").chmod(0o644)
    status, err = run(capsys, (*RUN, "--out", "r1"))
    assert status == 1
    assert "r1: 错误: 这个文件夹里是轮次 " in err
    assert "它是那次兑现的凭据 [PM713]" in err
    assert "= 提示: 请把新的轮次写到另一个文件夹（--out）" in err


def test_the_locale_c_is_english(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, err = run(capsys, CASES["run, no registry file"])
    assert status == 1
    assert err == (
        "nowhere.csv: error: registry file not found [PM501]\n"
        "    = help: check the path of the registry\n"
    )


@pytest.mark.parametrize("where", ["before", "after"])
def test_lang_en_wins_over_a_chinese_locale(
    county: Path,
    chinese: None,
    capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    argv = CASES["run, no registry file"]
    argv = (argv[0], "--lang", "en", *argv[1:]) if where == "before" else (*argv, "--lang=en")
    assert run(capsys, argv)[1].startswith("nowhere.csv: error: registry file not found")


def test_lang_zh_on_a_nested_command(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = CASES["pool replenish, a bad amount"]
    for where in (1, len(argv)):  # pool --lang zh replenish ..., pool replenish ... --lang zh
        status, err = run(capsys, (*argv[:where], "--lang", "zh", *argv[where:]))
        assert status == 2
        assert "错误" in err


def test_lang_zh_makes_argparse_chinese(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, err = run(capsys, ("run", "--lang", "zh"))
    assert status == 2
    assert err.startswith("用法： policymatch run ")
    assert "policymatch run: 错误: 缺少必填的参数：--registry, --as-of, --out\n" in err


@pytest.mark.parametrize(
    ("argv", "environ", "lang"),
    [
        ((), {}, "en"),
        ((), {"LANG": "zh_CN.UTF-8"}, "zh"),
        (("run", "--lang", "zh"), {}, "zh"),
        (("run", "--lang=zh"), {}, "zh"),
        (("run", "--lang", "zh", "--lang", "en"), {"LANG": "zh_CN.UTF-8"}, "en"),
        (("run", "--lang", "fr"), {"LANG": "zh_CN.UTF-8"}, "zh"),  # argparse refuses it, in zh
        (("run", "--lang"), {}, "en"),
        (("run", "--", "--lang", "zh"), {}, "en"),
    ],
)
def test_chosen_language(argv: tuple[str, ...], environ: dict[str, str], lang: str) -> None:
    assert chosen_language(argv, environ) == lang
