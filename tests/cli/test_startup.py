"""Start-up: ``import policymatch`` and ``policymatch --help`` import nothing heavy.

Times are measured by benchmarks/bench_startup.py; here, what is imported, which is what the
time follows (pandas, numpy, numba, pyarrow, pydantic and SQLAlchemy are most of a cold start).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from policymatch import cli

HEAVY = ("pandas", "numpy", "numba", "pyarrow", "pydantic", "sqlalchemy", "yaml")


def imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split("\n")[-2]
    return {m for m in out.split() if m.split(".")[0] in HEAVY}


def test_import_policymatch_is_light_until_a_name_is_used() -> None:
    assert imported_after("import policymatch") == set()
    assert "pydantic" in imported_after("import policymatch\npolicymatch.load")


@pytest.mark.parametrize("argv", [["--help"], ["--version"]])
def test_help_imports_no_command(argv: list[str]) -> None:
    code = (
        f"from policymatch.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    )
    assert imported_after(code) == set()


def test_summaries_are_what_the_commands_register() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    registered = {a.dest: a.help for a in sub._choices_actions}  # type: ignore[attr-defined]
    assert registered == cli.SUMMARIES


def test_a_command_parses_as_before() -> None:
    args = cli.build_parser(only="check").parse_args(["check", "policies/"])
    assert args.command == "check"
    assert args.policies == "policies/"


def test_run_parses_without_the_round() -> None:
    """``policymatch run``'s options are parsed before pandas, numba or SQLAlchemy is imported:
    the command imports each step's modules when the step comes."""
    code = "from policymatch.cli import main\ntry:\n    main(['run', '--help'])\nexcept SystemExit:\n    pass"
    assert imported_after(code) == set()


def test_backend_choices_are_the_engines() -> None:
    from policymatch.commands.run import BACKEND_NAMES
    from policymatch.engine import BACKENDS

    assert tuple(sorted(BACKENDS)) == BACKEND_NAMES


def test_a_draft_needs_no_ledger_driver() -> None:
    """Matching and allocating in memory do not import SQLAlchemy: only the ledger does."""
    assert "sqlalchemy" not in imported_after("import policymatch.rounds.draft")
    assert "sqlalchemy" not in imported_after("import policymatch.rounds.intake_notes")


def test_a_first_round_needs_no_ledger_driver(tmp_path: Path) -> None:
    """A round whose SQLite ledger does not exist yet (the demo's) reads nothing of it: SQLAlchemy
    is not imported; the round with a ledger file imports it."""
    rows = tmp_path / "r.csv"
    cli.main(["sample-registry", "--rows", "50", "--policies", "policies/", "--out", str(rows)])
    run = ["run", "--registry", str(rows), "--as-of", "2024-03-01", "--policies", "policies/"]

    def round_imports(out: str, ledger: Path) -> set[str]:
        argv = [*run, "--out", str(tmp_path / out), "--ledger", str(ledger)]
        return imported_after(f"from policymatch.cli import main\nmain({argv!r})")

    ledger = tmp_path / "ledger.sqlite"
    assert "sqlalchemy" not in round_imports("o1", ledger)
    assert not ledger.exists()
    sqlite3.connect(ledger).close()  # an empty database: the ledger is read
    assert "sqlalchemy" in round_imports("o2", ledger)


def test_checking_an_absent_ledger_opens_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ledger check`` of a SQLite ledger not created yet (scripts/demo.sh's last step) passes
    with nothing recorded, as the reconciliation of an empty ledger does, without SQLAlchemy (nor
    pandas and pyarrow: telling a URL from a path is `registry/urls.py`)."""
    ledger = tmp_path / "ledger.sqlite"
    argv = ["ledger", "check", "--ledger", str(ledger)]
    assert cli.main(argv) == 0
    shown = f"sqlite:///{ledger}"
    assert (
        capsys.readouterr().out == f"台账核对通过（{shown}）：0 个轮次，0 笔兑现，0 条资金池流水\n"
    )
    imported = imported_after(f"from policymatch.cli import main\nmain({argv!r})")
    assert not imported & {"sqlalchemy", "pandas", "pyarrow"}
    sqlite3.connect(ledger).close()
    assert cli.main(argv) == 0
    assert (
        capsys.readouterr().out == f"台账核对通过（{shown}）：0 个轮次，0 笔兑现，0 条资金池流水\n"
    )


def test_the_round_imports_the_batch_core_when_it_matches() -> None:
    """Drafting and writing a round import numba only to match (commit re-checks amounts then)."""
    assert "numba" not in imported_after("import policymatch.rounds.round")
