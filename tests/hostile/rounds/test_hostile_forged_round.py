"""Forged round folders: grants.csv rewritten and the manifest made to agree with it. Commit
recomputes what it can from the policy set and the ledger, refuses with a code, records nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_rounds import RUN, run
from tests.hostile.rounds.forge import Rows, forge, read_grants
from tests.rounds.helpers import code


def recorded(county: Path) -> int:
    """Grants in the county's ledger (none when no commit ever created it)."""
    if not (county / "ledger.sqlite").exists():
        return 0
    with sqlite3.connect(county / "ledger.sqlite") as conn:
        return int(conn.execute("SELECT count(*) FROM pm_grants").fetchone()[0])


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    status, out, err = run(capsys, "commit", *argv)
    assert (status, out) == (1, ""), err
    assert "Traceback" not in err
    return err


def _row(rows: Rows, policy: str) -> dict[str, str]:
    return next(r for r in rows if r["policy_id"] == policy)


def _z2_yearly(m: dict[str, Any]) -> None:
    m["policies"]["Z2"]["frequency"] = "yearly"


def _repay_z2(county: Path, year: str) -> Callable[[Rows], Rows]:
    """grants.csv of a later round, with the Z2 grants of round r1 paid again."""
    again = [{**r, "period": year} for r in read_grants(county / "r1") if r["policy_id"] == "Z2"]
    assert len(again) == 3
    return lambda rows: rows + again


@pytest.fixture
def paid_once(county: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Round r1 committed (Z1, Z2: once), and a draft r2 a year later that pays no Z grant."""
    assert run(capsys, *RUN, "--out", "r1")[0] == 0
    assert run(capsys, "commit", "r1")[0] == 0
    assert run(capsys, *RUN[:-1], "2025-03-01", "--out", "r2")[0] == 0
    assert {r["policy_id"] for r in read_grants(county / "r2")} == {"W", "T"}
    return county


def test_a_once_policy_forged_as_yearly_is_refused(
    paid_once: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The attack of issue 11: grants.csv and manifest.json both say Z2 is yearly."""
    before = recorded(paid_once)
    forge(paid_once / "r2", _repay_z2(paid_once, "2025"), _z2_yearly)
    err = refused(capsys, "r2")
    assert "manifest.json contradicts the policy set" in err
    assert "Z2: frequency is 'yearly' in the manifest, 'once' in the policy set" in err
    assert "[PM721]" in err
    assert recorded(paid_once) == before


def test_a_forged_policy_set_does_not_repay_once_grants(
    paid_once: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The policies themselves rewritten (Z2 yearly) and the round run with them: the ledger
    recorded Z2 as once and keeps its word."""
    county = paid_once
    shutil.copytree(county / "policies", county / "forged")
    yaml = next((county / "forged").glob("*.yaml"))
    text = yaml.read_text("utf-8")
    z2 = text.index("  - id: Z2")
    yaml.write_text(
        text[:z2]
        + text[z2:].replace("    fund: pool\n", "    fund: pool\n    frequency: yearly\n", 1),
        "utf-8",
    )
    argv = (*RUN[:-1], "2025-03-01", "--policies", "forged")
    assert run(capsys, *argv, "--out", "r3")[0] == 0
    # the run itself does not repay: the ledger's history says the Z2 grants were once
    assert "Z2" not in {r["policy_id"] for r in read_grants(county / "r3")}
    before = recorded(county)
    forge(county / "r3", _repay_z2(county, "2025"))
    err = refused(capsys, "r3", "--policies", "forged")
    assert "contradicts what the ledger recorded of its policies" in err
    assert "Z2: recorded as once" in err
    assert "[PM724]" in err
    # and with the county's real policies, the folder is not the round they would give
    err = refused(capsys, "r3")
    assert "[PM720]" in err
    assert recorded(county) == before


def _amount(policy: str, amount: str, demand: str | None = None) -> Callable[[Rows], Rows]:
    def edit(rows: Rows) -> Rows:
        row = _row(rows, policy)
        row["amount"] = amount
        row["demand"] = demand or row["demand"]
        return rows

    return edit


def _unscaled(rows: Rows) -> Rows:
    """Every grant paid its whole demand, as if the pool had no budget."""
    return [{**r, "amount": r["demand"]} for r in rows]


def _not_eligible(rows: Rows) -> Rows:
    """T paid to 丁 (code 4), which is not in the county (region 361127)."""
    return [*rows, {**_row(rows, "T"), "uscc": code(4), "demand": "50.00", "amount": "1.00"}]


def _without(column: str) -> Callable[[Rows], Rows]:
    return lambda rows: [{k: v for k, v in r.items() if k != column} for r in rows]


def _long_name(rows: Rows) -> Rows:
    rows[1]["name"] = "名" * 200_000  # above the csv module's field limit
    return rows


def _uscc(rows: Rows) -> Rows:
    row = _row(rows, "W")
    row["uscc"] = row["uscc"][:-1] + ("0" if row["uscc"][-1] != "0" else "1")
    return rows


def _twice(rows: Rows) -> Rows:
    return [*rows, dict(_row(rows, "W"))]


def _other_policy(policy: str, period: str) -> Callable[[Rows], Rows]:
    def edit(rows: Rows) -> Rows:
        return [*rows, {**_row(rows, "W"), "uscc": code(9), "policy_id": policy, "period": period}]

    return edit


@pytest.mark.parametrize(
    ("edit", "message", "pm"),
    [
        (_amount("W", "-5.00"), "amount -5.00 is not above zero", "PM722"),
        (_amount("W", "0.00"), "amount 0.00 is not above zero", "PM722"),
        (_amount("W", "300.01"), "amount 300.01 is above the demand 300.00", "PM722"),
        (
            _amount("Z2", "99999999.00", "99999999.00"),
            "demand 99999999.00 is above the most the policy gives (300.00)",
            "PM722",
        ),
        (
            _amount("W", "99999999.00", "99999999.00"),
            "demand 99999999.00, but on the registry the policy gives it 300.00",
            "PM722",
        ),
        (_unscaled, "fund pool: 2074.07 granted, budget 1000.00", "PM723"),
        (
            _amount("W", "500.00", "500.00"),
            "demand 500.00, but on the registry the policy gives it 300.00",
            "PM722",
        ),
        (_not_eligible, "but on the registry the policy gives the enterprise nothing", "PM722"),
        (_amount("T", "100.00", "100.00"), "policy T: 175.00 granted, budget 150.00", "PM723"),
        (_uscc, "校验码不对", "PM722"),
        (_twice, "paid twice under policy W (also line", "PM722"),
        (_other_policy("P", "once"), "a 即申即享 policy is not paid in a round", "PM722"),
        (_other_policy("OLD", "once"), "the policy is not in force on 2024-03-01", "PM722"),
        (_other_policy("NOPE", "once"), "policy 'NOPE' is not in the policy set", "PM704"),
        (_other_policy("Z1", "2024"), "period '2024' is not Z1's period", "PM704"),
        (_amount("W", "1e5"), "'1e5' is not an amount with two decimal places", "PM704"),
        (_long_name, "grants.csv line 3: field larger than field limit", "PM704"),
        (_without("name"), "grants.csv line 2: 'name'", "PM704"),
    ],
)
def test_grants_out_of_bounds_are_refused(
    county: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[Rows], Rows],
    message: str,
    pm: str,
) -> None:
    assert run(capsys, *RUN, "--out", "r1")[0] == 0
    forge(county / "r1", edit)
    err = refused(capsys, "r1")
    assert message in err
    assert f"[{pm}]" in err
    assert not (county / "ledger.sqlite").exists()  # nothing recorded, nothing created


def test_a_manifest_without_the_hash_of_grants_csv_is_refused(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, *RUN, "--out", "r1")[0] == 0
    forge(county / "r1", manifest=lambda m: m["outputs"].pop("grants.csv"))
    err = refused(capsys, "r1")
    assert "manifest.json names no SHA-256 for grants.csv [PM704]" in err
    assert not (county / "ledger.sqlite").exists()


def test_the_forged_round_commits_once_the_forgery_is_undone(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The checks refuse what is forged, not what is real: the same folder, rewritten as the
    run wrote it, commits."""
    assert run(capsys, *RUN, "--out", "r1")[0] == 0
    original = {p.name: p.read_bytes() for p in (county / "r1").iterdir()}
    forge(county / "r1", _amount("W", "-5.00"))
    refused(capsys, "r1")
    for name, data in original.items():
        (county / "r1" / name).write_bytes(data)
    status, out, err = run(capsys, "commit", "r1")
    assert (status, out[:5]) == (0, "已记入台账"), err
    assert json.loads((county / "r1" / "COMMITTED.json").read_text("utf-8"))["round_id"]
    assert recorded(county) == 11


def test_commit_reads_the_registry_the_round_was_run_with(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, *RUN, "--out", "r1")[0] == 0
    registry = county / "registry.csv"
    shutil.copy(registry, county / "kept.csv")
    registry.write_bytes(registry.read_bytes() + b"\n")
    err = refused(capsys, "r1")
    assert "the registry 'registry.csv' is not the one the round was run with" in err
    assert "[PM727]" in err
    registry.unlink()
    assert "[PM501]" in refused(capsys, "r1")  # no registry at all: cannot check, not committed
    status, out, err = run(capsys, "commit", "r1", "--registry", "kept.csv")
    assert (status, out[:5]) == (0, "已记入台账"), err
