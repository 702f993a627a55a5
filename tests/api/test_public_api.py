"""The public API (``import policymatch``) as an integrator uses it: names, units, errors."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import policymatch
from policymatch.cli import main
from policymatch.engine import Engine
from tests.rounds.helpers import code

AS_OF = "2024-03-01"


def test_importing_the_package_loads_no_pandas() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, policymatch; print('pandas' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "False\n"


def test_match_names_its_units(county: Path) -> None:
    found = policymatch.match("policies", "registry.csv", AS_OF)
    eligible = found.eligible
    assert list(eligible.columns) == [
        "uscc",
        "name",
        "policy_id",
        "tier",
        "amount_fen",
        "amount_yuan",
    ]
    assert len(eligible) > 0
    for fen, yuan in zip(eligible["amount_fen"], eligible["amount_yuan"], strict=True):
        assert isinstance(yuan, Decimal)
        assert yuan == Decimal(int(fen)) / 100
    # Tiers from 1, as the policy files and the explanations number them.
    t = eligible[eligible["policy_id"] == "T"]
    assert set(t["tier"]) <= {1, 2}
    assert not t.empty
    table = found.to_arrow()
    assert table.schema.field("amount_yuan").type == pa.decimal128(20, 2)
    assert table.schema.field("amount_fen").type == pa.int64()
    assert table.column("amount_yuan").to_pylist() == list(eligible["amount_yuan"])
    assert {p.id for p in found.policies} == {"W", "Z1", "Z2", "T", "P"}
    near = found.near_miss
    assert list(near.columns[:2]) == ["uscc", "policy_id"]
    assert "row" not in near.columns
    assert found.to_arrow("near_miss").num_rows == len(near) > 0
    unknown = found.unknown
    assert list(unknown.columns) == ["uscc", "policy_id", "missing_fields"]
    assert found.to_arrow("counts").column("policy_id").to_pylist() == list(
        found.counts["policy_id"]
    )


def test_a_round_in_memory_equals_the_round_on_disk(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = policymatch.run_round("policies", "registry.csv", dt.date(2024, 3, 1))
    assert main(["run", "--registry", "registry.csv", "--as-of", AS_OF, "--out", "r1"]) == 0
    capsys.readouterr()
    with (county / "r1" / "grants.csv").open(encoding="utf-8-sig", newline="") as f:
        on_disk = sorted(
            (r["uscc"], r["policy_id"], Decimal(r["amount"])) for r in csv.DictReader(f)
        )
    granted = result.granted
    in_memory = sorted(
        zip(granted["uscc"], granted["policy_id"], granted["amount_yuan"], strict=True)
    )
    assert in_memory == on_disk
    # Granted is after stacking and budgets: Z2 is scaled below its demand, Z1 not paid.
    z2 = granted[granted["policy_id"] == "Z2"]
    assert (z2["amount_fen"] < z2["demand_fen"]).all()
    assert set(result.excluded["reason"]) >= {"group_in_round"}
    assert set(result.push["policy_id"]) == {"P"}
    assert result.total_granted_yuan == sum(granted["amount_yuan"], Decimal(0))
    funds = result.funds.set_index("fund")
    assert funds.loc["pool", "granted_fen"] <= funds.loc["pool", "budget_fen"]
    assert result.to_arrow("excluded").num_rows == len(result.excluded)


def test_ledger_view_and_explanation_after_commit(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["run", "--registry", "registry.csv", "--as-of", AS_OF, "--out", "r1"])
    main(["commit", "r1"])
    capsys.readouterr()
    book = policymatch.read_ledger("ledger.sqlite")
    assert len(book.rounds) == 1
    assert int(book.rounds["grants"].iloc[0]) == len(book.grants) == 11
    assert book.pool["amount_fen"].sum() == book.grants["amount_fen"].sum()
    assert book.pool["amount_yuan"].sum() == book.grants["amount_yuan"].sum()
    # Before the ledger: eligible and paid by this round; after: paid before, 本轮 0.
    fresh = policymatch.explain_enterprise("policies", "registry.csv", code(1), "W", AS_OF)
    assert fresh.to_dict()["round"]["status"] == "granted"
    again = policymatch.explain_enterprise(
        "policies", "registry.csv", code(1), "W", AS_OF, ledger="ledger.sqlite"
    )
    data = again.to_dict()
    assert data["computed"]["amount_yuan"] == "300.00"
    assert data["round"]["status"] == "excluded"
    assert data["round"]["reason"] == "paid_this_year"
    assert data["read_out"] == {"which": "round", "amount_yuan": "0.00", "amount_fen": 0}
    assert again.headline.startswith("结论：符合，应兑现 300.00 元；本轮兑现 0.00 元")


def test_an_absent_ledger_is_empty(tmp_path: Path) -> None:
    book = policymatch.read_ledger(str(tmp_path / "none.sqlite"))
    assert book.rounds.empty
    assert book.grants.empty
    assert book.pool.empty
    assert not (tmp_path / "none.sqlite").exists()


def test_a_plain_read_csv_dataframe_is_typed_like_the_file(county: Path) -> None:
    from_file = policymatch.match("policies", "registry.csv", AS_OF).eligible
    frame = pd.read_csv("registry.csv", encoding="utf-8-sig")
    from_frame = policymatch.match("policies", frame, AS_OF).eligible
    pd.testing.assert_frame_equal(from_frame, from_file)
    typed = policymatch.read_registry(frame, "policies")
    assert policymatch.read_registry(typed.frame, "policies").frame is not None


def test_a_dataframe_without_the_code_column_says_so(county: Path) -> None:
    frame = pd.read_csv("registry.csv", encoding="utf-8-sig").drop(columns=["统一社会信用代码"])
    with pytest.raises(policymatch.RegistryError) as exc:
        policymatch.read_registry(frame, "policies")
    (diag,) = exc.value.diagnostics
    assert diag.code == "PM503"
    assert diag.file == "<DataFrame>"
    assert "统一社会信用代码" in diag.message


def test_bad_rows_of_a_dataframe_are_set_aside_with_their_row(county: Path) -> None:
    frame = pd.read_csv("registry.csv", encoding="utf-8-sig", dtype=str)
    frame.loc[2, "统一社会信用代码"] = "91361126MA0000000X"  # a wrong check digit
    load = policymatch.read_registry(frame, "policies")
    assert [r.row for r in load.rejected] == [3]  # numbered from 1: df.iloc[2] is row 3
    assert load.rows_read == len(frame)


@pytest.mark.parametrize(
    ("call", "code_"),
    [
        (lambda: policymatch.match("policies", "registry.csv", "2024-02-30"), "PM610"),
        (lambda: policymatch.match("policies", "registry.csv", 20240301), "PM610"),
        (lambda: policymatch.match("policies", "registry.csv", AS_OF, backend="fast"), "PM611"),
        (lambda: policymatch.match("policies", "registry.csv", AS_OF).to_arrow("x"), "PM612"),
        (lambda: policymatch.read_registry(42), "PM613"),  # type: ignore[arg-type]
        (lambda: policymatch.match("policies", "nowhere.csv", AS_OF), "PM501"),
        (lambda: policymatch.match("no-such-folder", "registry.csv", AS_OF), "PM005"),
        (
            lambda: policymatch.explain_enterprise(
                "policies", "registry.csv", "91361126MA0000000X", "W", AS_OF
            ),
            "PM601",
        ),
        (
            lambda: policymatch.explain_enterprise("policies", "registry.csv", code(1), "X", AS_OF),
            "PM602",
        ),
        # The condition `explain` without --registry is on the command line: the same code.
        (
            lambda: Engine(policymatch.load("policies")).explain(code(1), "W", dt.date(2024, 3, 1)),
            "PM615",
        ),
    ],
)
def test_every_failure_is_a_coded_policymatch_error(county: Path, call: object, code_: str) -> None:
    with pytest.raises(policymatch.PolicymatchError) as exc:
        call()  # type: ignore[operator]
    assert [d.code for d in exc.value.diagnostics] == [code_]
    assert "--" not in exc.value.render()  # library errors name no CLI flags
