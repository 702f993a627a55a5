"""Errors raised through the public API name the caller's parameters, never a CLI flag.

The same conditions from the CLI (same PM codes) name the flags: tests/cli/test_cli_flags.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import policymatch
from policymatch.errors import PolicymatchError
from policymatch.rounds.round import RoundRequest
from policymatch.rounds.round import run_round as run_to_folder

FLAG = re.compile(r"(?<![\w-])--[a-z]")


def raised(call: Callable[[], object]) -> PolicymatchError:
    with pytest.raises(PolicymatchError) as info:
        call()
    return info.value


def assert_library_words(error: PolicymatchError, code: str, parameter: str | None) -> None:
    assert [d.code for d in error.diagnostics] == [code]
    text = error.render()
    assert not FLAG.search(text), text
    if parameter is not None:
        assert f"{parameter}=" in (error.diagnostics[0].hint or ""), text


@pytest.mark.parametrize(
    ("source", "kw", "code", "parameter"),
    [
        ("registry.json", {}, "PM510", "table"),
        ("registry.csv", {"table": "enterprises"}, "PM511", "table"),
        ("postgresql+psycopg://u@127.0.0.1:1/db", {}, "PM511", "query"),
        (
            "postgresql+psycopg://u@127.0.0.1:1/db",
            {"table": "t", "query": "select 1"},
            "PM511",
            "query",
        ),
    ],
)
def test_read_registry_names_table_and_query(
    county: Path, source: str, kw: dict[str, str], code: str, parameter: str
) -> None:
    (county / "registry.json").write_text("{}", "utf-8")
    error = raised(lambda: policymatch.read_registry(source, "policies", **kw))
    assert_library_words(error, code, parameter)


def test_a_table_that_does_not_exist(county: Path) -> None:
    url = f"sqlite:///{county / 'registry.sqlite'}"
    pd.DataFrame({"uscc": ["x"]}).to_sql("enterprises", url, index=False)
    error = raised(lambda: policymatch.read_registry(url, "policies", table="nope"))
    assert_library_words(error, "PM505", "table")


def request(
    county: Path, registry: str = "registry.csv", allow_missing: tuple[str, ...] = ()
) -> RoundRequest:
    return RoundRequest(
        registry=registry,
        as_of=dt.date(2024, 3, 1),
        out_dir=county / "r1",
        allow_missing=allow_missing,
    )


def test_a_missing_column_names_allow_missing(county: Path) -> None:
    frame = pd.read_csv(county / "registry.csv", dtype=str)
    frame.drop(columns=["上年纳税额"]).to_csv(county / "short.csv", index=False)
    pset = policymatch.load("policies")
    error = raised(lambda: run_to_folder(pset, request(county, "short.csv")))
    assert {d.code for d in error.diagnostics} == {"PM521"}
    assert not FLAG.search(error.render()), error.render()
    assert "allow_missing=tax_paid" in error.render()


def test_allow_missing_of_no_field(county: Path) -> None:
    pset = policymatch.load("policies")
    error = raised(lambda: run_to_folder(pset, request(county, allow_missing=("tax",))))
    assert_library_words(error, "PM523", "allow_missing")


def test_writing_over_a_committed_round(county: Path) -> None:
    (county / "r1").mkdir()
    (county / "r1" / "COMMITTED.json").write_text(json.dumps({"round_id": "ab" * 32}), "utf-8")
    pset = policymatch.load("policies")
    error = raised(lambda: run_to_folder(pset, request(county)))
    assert_library_words(error, "PM713", "out_dir")


def test_a_dask_spec_that_is_no_cluster() -> None:
    from policymatch.distributed import connect

    def enter() -> None:
        with connect("my-cluster"):
            pass

    assert_library_words(raised(enter), "PM802", "spec")


def test_dask_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    from policymatch.distributed import connect

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError

    def enter() -> None:
        with connect("local"):
            pass

    assert_library_words(raised(enter), "PM801", None)
