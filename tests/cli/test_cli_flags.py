"""The CLI names its flags where the library names its parameters (policymatch/commands/flags.py):
the same conditions and PM codes as tests/api/test_library_errors.py, in the words of the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policymatch.cli import main
from policymatch.commands.flags import in_flags
from policymatch.errors import RegistryError, simple
from tests.api.conftest import county  # noqa: F401  (the fixture)

RUN = ("run", "--registry", "registry.csv", "--as-of", "2024-03-01", "--out", "r1")


@pytest.mark.usefixtures("county")
@pytest.mark.parametrize(
    ("argv", "code", "hint"),
    [
        (("--table", "t"), "PM511", "help: give a SQLAlchemy URL such as"),
        (("--table", "t"), "PM511", "or no --table and no --query"),
        (("--allow-missing", "tax"), "PM523", "e.g. --allow-missing credit_blacklisted"),
    ],
)
def test_run_names_the_flags(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], code: str, hint: str
) -> None:
    status = main([*RUN, *argv])
    err = capsys.readouterr().err
    assert status in (1, 2)
    assert f"[{code}]" in err
    assert hint in err
    assert "table=" not in err
    assert "allow_missing=" not in err


@pytest.mark.usefixtures("county")
def test_a_database_url_without_table_or_query(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+psycopg://u@127.0.0.1:1/db"
    assert main([*RUN[:2], url, *RUN[3:]]) == 1
    err = capsys.readouterr().err
    assert "needs exactly one of a table and a query; got neither [PM511]" in err
    assert "help: give --table NAME to read a whole table, or --query 'SELECT ...'" in err


@pytest.mark.usefixtures("county")
def test_writing_over_a_committed_round(capsys: pytest.CaptureFixture[str]) -> None:
    Path("r1").mkdir()
    (Path("r1") / "COMMITTED.json").write_text(json.dumps({"round_id": "ab" * 32}), "utf-8")
    assert main(list(RUN)) == 1
    err = capsys.readouterr().err
    assert "[PM713]" in err
    assert "help: write the new round into another folder (--out)" in err


def test_only_hints_are_reworded_and_the_error_keeps_its_type() -> None:
    error = RegistryError(
        [simple("PM505", "table 'query=x' does not exist", hint="check table= (and the URL)")]
    )
    shown = in_flags(error)
    assert type(shown) is RegistryError
    assert shown.diagnostics[0].message == "table 'query=x' does not exist"
    assert shown.diagnostics[0].hint == "check --table (and the URL)"
