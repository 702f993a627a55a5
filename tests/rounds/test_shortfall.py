"""The run summary names every policy the budgets cut, with the rate paid."""

from __future__ import annotations

from pathlib import Path

import pytest

from policymatch import load
from policymatch.cli import main
from policymatch.registry.writers import write_csv
from policymatch.rounds.draft import draft_round
from policymatch.rounds.shortfall import rate_text, shortfall_lines
from tests.rounds.helpers import AS_OF, GOLDEN_HISTORY, GOLDEN_RECORDS, registry, write_policies


def test_the_golden_round_names_its_cuts(tmp_path: Path) -> None:
    policy_set = load(str(write_policies(tmp_path / "policies")))
    draft = draft_round(policy_set, registry(GOLDEN_RECORDS, policy_set), AS_OF, GOLDEN_HISTORY)
    # docs/rounds.md's worked example: T by its own budget, Z1 and Z2 by the pool's
    assert shortfall_lines(draft.allocation) == [
        "按比例核减：政策 T 应兑现 200.00 元，兑现 150.00 元，兑现比例 75.00%",
        "按比例核减：政策 Z1 应兑现 100.00 元，兑现 3.70 元，兑现比例 3.70%",
        "按比例核减：政策 Z2 应兑现 600.00 元，兑现 22.22 元，兑现比例 3.70%",
    ]


@pytest.mark.parametrize(
    ("granted", "demand", "text"),
    [(2222, 60000, "3.70%"), (1, 3, "33.33%"), (0, 5, "0.00%"), (9999, 10000, "99.99%")],
)
def test_the_rate_is_never_overstated(granted: int, demand: int, text: str) -> None:
    assert rate_text(granted, demand) == text


def test_run_prints_the_cuts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    policy_set = load(str(write_policies(tmp_path / "policies")))
    write_csv(registry(GOLDEN_RECORDS, policy_set).frame, tmp_path / "r.csv", policy_set.schema)
    assert main(["run", "--registry", "r.csv", "--as-of", "2024-03-01", "--out", "out"]) == 0
    out = capsys.readouterr().out
    assert "按比例核减：政策 T 应兑现 200.00 元，兑现 150.00 元，兑现比例 75.00%" in out


class _Terminal:
    """stdin of a person at a terminal who answers ``answer``."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self.answer + "\n"


@pytest.mark.parametrize(("answer", "argv", "status"), [("n", [], 1), ("y", [], 0), ("n", ["--yes"], 0)])  # fmt: skip
def test_commit_asks_before_cutting_once_grants_on_a_terminal(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
    argv: list[str],
    status: int,
) -> None:
    monkeypatch.chdir(tmp_path)
    policy_set = load(str(write_policies(tmp_path / "policies")))
    write_csv(registry(GOLDEN_RECORDS, policy_set).frame, tmp_path / "r.csv", policy_set.schema)
    assert main(["run", "--registry", "r.csv", "--as-of", "2024-03-01", "--out", "out"]) == 0
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    capsys.readouterr()
    assert main(["commit", "out", *argv]) == status
    err = capsys.readouterr().err
    assert "一次性（once）政策兑现按比例核减（Z1、Z2）" in err
    assert ("确认入账？" in err) == (not argv)
    recorded = Path("ledger.sqlite").exists()
    assert recorded == (status == 0)
