"""Bad input to the pool commands: a Chinese message with a code and the place, never a
traceback, and a refused operation leaves the ledger exactly as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from policymatch import load
from policymatch.cli import main
from policymatch.registry.writers import write_csv
from tests.rounds.helpers import GOLDEN_RECORDS, POLICY_SET, code, commit, registry, write_policies

POOLED = POLICY_SET.replace("    budget: 1000\n", "    budget: 1000\n    scale: 2000\n", 1)


def dump(ledger: Path) -> list[tuple[object, ...]]:
    engine = sa.create_engine(f"sqlite:///{ledger}")
    with engine.connect() as conn:
        rows = [
            (t, *r)
            for t in ("pm_rounds", "pm_grants", "pm_journal")
            for r in conn.execute(sa.text(f"SELECT * FROM {t}"))
        ]
    engine.dispose()
    return sorted(rows, key=repr)


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A working folder whose ledger holds one committed round of the golden enterprises."""
    root = tmp_path_factory.mktemp("pool")
    policy_set = load(str(write_policies(root / "policies", POOLED)))
    write_csv(registry(GOLDEN_RECORDS, policy_set).frame, root / "registry.csv", policy_set.schema)
    ledger = str(root / "ledger.sqlite")
    argv = ["run", "--registry", str(root / "registry.csv"), "--as-of", "2024-03-01"]
    assert main([*argv, "--out", str(root / "r1"), "--policies", str(root / "policies"), "--ledger", ledger]) == 0  # fmt: skip
    assert commit(root / "r1", "--ledger", ledger, "--yes", policies=root / "policies") == 0
    rid = hashlib.sha256((root / "r1" / "manifest.json").read_bytes()).hexdigest()[:12]
    return root, rid


def write(root: Path, name: str, text: str | bytes) -> str:
    path = root / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return str(path)


RETURNS = "uscc,policy_id,round,amount,reason\n"

CASES: dict[str, tuple[str, object]] = {
    "replenish an unknown fund": (
        "PM752",
        [
            "pool",
            "replenish",
            "--fund",
            "nope",
            "--amount",
            "1",
            "--from",
            "县人社局",
            "--ref",
            "x",
        ],
    ),
    "replenish a non-amount": (
        "PM753",
        [
            "pool",
            "replenish",
            "--fund",
            "pool",
            "--amount",
            "三百",
            "--from",
            "县人社局",
            "--ref",
            "x",
        ],
    ),
    "replenish a negative amount": (
        "PM753",
        ["pool", "replenish", "--fund", "pool", "--amount=-5", "--from", "县人社局", "--ref", "x"],
    ),
    "replenish a tenth of a fen": (
        "PM753",
        [
            "pool",
            "replenish",
            "--fund",
            "pool",
            "--amount",
            "0.001",
            "--from",
            "县人社局",
            "--ref",
            "x",
        ],
    ),
    "replenish an empty reference": (
        "PM753",
        [
            "pool",
            "replenish",
            "--fund",
            "pool",
            "--amount",
            "1",
            "--from",
            "县人社局",
            "--ref",
            " ",
        ],
    ),
    "replenish from an unknown source": (
        "PM754",
        [
            "pool",
            "replenish",
            "--fund",
            "pool",
            "--amount",
            "1",
            "--from",
            "县人社局",
            "--source",
            "省级",
            "--ref",
            "x",
        ],
    ),
    "replenish more than owed": (
        "PM755",
        [
            "pool",
            "replenish",
            "--fund",
            "pool",
            "--amount",
            "1万",
            "--from",
            "县人社局",
            "--ref",
            "x",
        ],
    ),
    "replenish a department owing nothing": (
        "PM755",
        [
            "pool",
            "replenish",
            "--fund",
            "pool",
            "--amount",
            "1",
            "--from",
            "县科技局",
            "--ref",
            "x",
        ],
    ),
    "statement of an unknown fund": ("PM752", ["pool", "--fund", "nope"]),
    "returns: no such file": ("PM761", ["returns", "{root}/nothing.csv"]),
    "returns: a missing column": (
        "PM761",
        ["returns", ("r.csv", "uscc,policy_id,amount\n1,2,3\n")],
    ),
    "returns: no rows": ("PM761", ["returns", ("r.csv", RETURNS)]),
    "returns: binary garbage": ("PM761", ["returns", ("r.csv", b"\xff\xfe\x00\x81\x00")]),
    "returns: not an amount": (
        "PM761",
        ["returns", ("r.csv", RETURNS + f"{code(7)},W,{{rid}},六百,退票\n")],
    ),
    "returns: an empty reason": (
        "PM761",
        ["returns", ("r.csv", RETURNS + f"{code(7)},W,{{rid}},600,\n")],
    ),
    "returns: a round too short": (
        "PM760",
        ["returns", ("r.csv", RETURNS + f"{code(7)},W,abc,600,退票\n")],
    ),
    "returns: a wrong amount": (
        "PM760",
        ["returns", ("r.csv", RETURNS + f"{code(7)},W,{{rid}},599.99,退票\n")],
    ),
    "returns: never paid": (
        "PM760",
        ["returns", ("r.csv", RETURNS + f"{code(5)},W,{{rid}},600,退票\n")],
    ),
    "returns: the same grant twice": (
        "PM760",
        ["returns", ("r.csv", RETURNS + f"{code(7)},W,{{rid}},600,退票\n" * 2)],
    ),
    "returns: one good line, one bad": (
        "PM760",
        [
            "returns",
            ("r.csv", RETURNS + f"{code(7)},W,{{rid}},600,退票\n{code(1)},W,{{rid}},1,退票\n"),
        ],
    ),
    "recover: neither amount nor reopen": (
        "PM762",
        [
            "recover",
            "--uscc",
            code(7),
            "--policy",
            "W",
            "--round",
            "{rid}",
            "--reason",
            "r",
            "--ref",
            "x",
        ],
    ),
    "recover: more than paid": (
        "PM760",
        [
            "recover",
            "--uscc",
            code(7),
            "--policy",
            "W",
            "--round",
            "{rid}",
            "--amount",
            "600.01",
            "--reason",
            "r",
            "--ref",
            "x",
        ],
    ),
    "recover: re-open a paid grant": (
        "PM760",
        [
            "recover",
            "--uscc",
            code(7),
            "--policy",
            "W",
            "--round",
            "{rid}",
            "--reopen",
            "--reason",
            "r",
            "--ref",
            "x",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_and_nothing_changes(
    case: str, county: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, rid = county
    expected, argv = CASES[case]
    assert isinstance(argv, list)
    args: list[str] = []
    for a in argv:
        if isinstance(a, tuple):
            args.append(
                write(root, a[0], a[1] if isinstance(a[1], bytes) else a[1].replace("{rid}", rid))
            )
        else:
            args.append(a.replace("{rid}", rid).replace("{root}", str(root)))
    if args[0] == "pool" and args[1] == "replenish":
        args += ["--policies", str(root / "policies")]
    ledger = root / "ledger.sqlite"
    before = dump(ledger)
    capsys.readouterr()
    status = main([*args, "--ledger", str(ledger), *(["--out", str(root / "stmt")] if args[0] == "pool" and args[1] != "replenish" else [])])  # fmt: skip
    err = capsys.readouterr().err
    assert status in (1, 2)
    assert f"[{expected}]" in err
    assert "Traceback" not in err
    assert dump(ledger) == before


def test_a_withhold_file_naming_no_grant_commits_nothing(
    county: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = county
    argv = ["run", "--registry", str(root / "registry.csv"), "--as-of", "2025-03-01"]
    ledger = str(root / "ledger.sqlite")
    assert main([*argv, "--out", str(root / "r2"), "--policies", str(root / "policies"), "--ledger", ledger]) == 0  # fmt: skip
    bad = write(root, "w.csv", f"uscc,policy_id,reason,reference\n{code(5)},W,异议,\n")
    before = dump(root / "ledger.sqlite")
    capsys.readouterr()
    assert (
        commit(root / "r2", "--withhold", bad, "--ledger", ledger, policies=root / "policies") == 1
    )
    err = capsys.readouterr().err
    assert "[PM770]" in err
    assert "w.csv:2" in err
    assert dump(root / "ledger.sqlite") == before


def test_the_ledger_checks_out(
    county: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = county
    capsys.readouterr()
    assert main(["ledger", "check", "--ledger", str(root / "ledger.sqlite")]) == 0
    assert "台账核对通过" in capsys.readouterr().out


def test_a_statement_folder_that_cannot_be_written(
    county: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = county
    (root / "a-file").write_text("x", encoding="utf-8")
    capsys.readouterr()
    argv = ["pool", "--out", str(root / "a-file" / "stmt"), "--ledger", str(root / "ledger.sqlite")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "[PM756]" in err
    assert "Traceback" not in err
