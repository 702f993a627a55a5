"""``policymatch run``, ``commit``, ``explain`` and ``sample-registry``: exit codes and messages."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from policymatch import load
from policymatch.cli import main
from policymatch.registry.writers import write_csv
from tests.golden import assert_golden
from tests.rounds.helpers import GOLDEN_RECORDS, code, registry, write_policies


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def county(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with policies/ and registry.csv (the golden enterprises)."""
    monkeypatch.chdir(tmp_path)
    policy_set = load(str(write_policies(tmp_path / "policies")))
    write_csv(
        registry(GOLDEN_RECORDS, policy_set).frame, tmp_path / "registry.csv", policy_set.schema
    )
    return tmp_path


def grants(folder: Path) -> list[dict[str, str]]:
    with (folder / "grants.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


GOLDEN = Path(__file__).parent / "golden"
RUN = ("run", "--registry", "registry.csv", "--as-of", "2024-03-01")


def test_run_commit_and_run_again(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, *RUN, "--out", "r1")
    assert status == 0, err
    assert "兑现 11 笔" in out
    assert "登记表：读入 10 行 = 参与匹配 10 行 + 数据问题 0 行" in out
    for name in ("grants.csv", "兑现清单.xlsx", "公示名单.xlsx", "report.html", "manifest.json"):
        assert f"r1/{name}" in out
    assert "policymatch commit r1\n" in out
    assert err == ""  # no progress display when the output is not a terminal
    round_id = json.loads((county / "r1" / "manifest.json").read_text("utf-8"))
    assert round_id["ledger"] == {"url": "sqlite:///ledger.sqlite", "grants_seen": 0}

    rid = out.split()[1].split("（")[0]  # "轮次 <id>（基准日期 …）：…"
    status, out, _ = run(capsys, "commit", "r1")
    assert status == 0
    assert out == f"已记入台账：轮次 {rid}（11 笔，1,149.98 元），台账 sqlite:///ledger.sqlite\n"
    assert (county / "ledger.sqlite").exists()
    marker = json.loads((county / "r1" / "COMMITTED.json").read_text("utf-8"))
    assert marker["round_id"].startswith(rid)
    assert marker["ledger"] == str(county / "ledger.sqlite")
    assert not (county / "r1" / "grants.csv").stat().st_mode & 0o222

    status, out, _ = run(capsys, "commit", "r1")
    assert status == 0
    assert out.startswith(f"此前已记入台账：轮次 {rid}（11 笔，1,149.98 元）已于 ")
    assert out.endswith("本次无需操作\n")

    # the next round: once policies paid are not paid again; yearly ones not this year
    status, out, _ = run(capsys, *RUN, "--out", "r2")
    assert status == 0
    assert "兑现 0 笔" in out
    assert grants(county / "r2") == []
    # and a round a year later pays the yearly policies again, the once ones never
    status, _, _ = run(capsys, *RUN[:-1], "2025-03-01", "--out", "r3")
    assert status == 0
    assert {g["policy_id"] for g in grants(county / "r3")} == {"W", "T"}


def test_run_summary_is_golden(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What a clerk reads after a run: Chinese, grouped money, which file to open."""
    status, out, err = run(capsys, *RUN, "--out", "r1", "--ledger", "sqlite:///l.sqlite")
    assert status == 0, err
    # The round id hashes every file (any change to any output changes it): checked apart.
    rid = hashlib.sha256((county / "r1" / "manifest.json").read_bytes()).hexdigest()[:12]
    assert out.startswith(f"轮次 {rid}（")
    out = out.replace(rid, "<round id>")
    assert_golden(GOLDEN / "run-summary.txt", out)


def test_commit_refuses_an_edited_round(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, *RUN, "--out", "r1")
    path = county / "r1" / "grants.csv"
    path.write_text(
        path.read_text("utf-8-sig") + f"{code(99)},X,W,稳岗返还,pool,1.00,1.00,,2024,,\n",
        "utf-8-sig",
    )
    status, out, err = run(capsys, "commit", "r1")
    assert status == 1
    assert out == ""
    assert "refused: files changed or missing since the run: grants.csv [PM704]" in err
    assert "Traceback" not in err
    assert not (county / "ledger.sqlite").exists()


def test_run_never_overwrites_a_committed_round(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, *RUN, "--out", "r1")
    run(capsys, "commit", "r1")
    before = (county / "r1" / "manifest.json").read_bytes()
    status, _, err = run(capsys, *RUN, "--out", "r1")
    assert status == 1
    assert "r1: error: this folder holds round" in err
    assert "[PM713]" in err
    assert (county / "r1" / "manifest.json").read_bytes() == before


def test_a_shared_ledger_by_url(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{county / 'shared.sqlite'}"
    assert run(capsys, *RUN, "--out", "r1", "--ledger", url)[0] == 0
    status, out, _ = run(capsys, "commit", "r1", "--ledger", url)
    assert status == 0
    assert f"台账 {url}" in out
    assert not (county / "ledger.sqlite").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("run", "--registry", "registry.csv", "--out", "o"), "--as-of"),
        (("run", *RUN[1:3], "--as-of", "2024-02-30", "--out", "o"), "'2024-02-30' is not a date"),
        (("run", *RUN[1:], "--out", "o", "--table", "t", "--query", "q"), "not allowed with"),
        (("commit",), "DIR"),
        (("explain", "--registry", "registry.csv"), "--uscc"),
        (("sample-registry", "--out", "x.txt"), "cannot write a registry as '.txt'"),
    ],
)
def test_usage_errors_exit_2(
    county: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    try:
        status = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        status = int(exc.code or 0)
    assert status == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("run", "--registry", "nowhere.csv", *RUN[3:], "--out", "o"), "[PM501]"),
        (("run", *RUN[1:], "--out", "o", "--table", "t"), "[PM511]"),
        (("run", *RUN[1:], "--out", "o", "--policies", "nowhere"), "[PM005]"),
        (
            ("run", *RUN[1:], "--out", "o", "--ledger", "postgresql+psycopg://x@127.0.0.1:1/x"),
            "[PM702]",
        ),
        (("commit", "nowhere"), "not a round folder"),
        (("explain", *RUN[1:], "--uscc", code(98)), "no enterprise with USCC"),
    ],
)
def test_bad_input_exits_1_with_a_message(
    county: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 1
    assert message in err
    assert "Traceback" not in err


def test_explain_shows_conditions_amount_and_budget(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "explain", *RUN[1:], "--uscc", code(1))
    assert status == 0
    assert out.startswith(f"企业 {code(1)} 弋阳甲科技有限公司  截至 2024-03-01")
    # W: condition values with their Chinese labels, the amount, and paid in full (priority 1)
    assert "[是]   缴纳失业保险" in out
    assert "上年失业保险缴费 ui_paid = 500.00 元" in out
    assert "资金池 pool（预算 1,000.00 元）：优先级 1 足额安排" in out
    # Z1 lost to Z2 in the stacking group; Z2 scaled to what the pool had left
    assert (
        "本轮不兑现：本轮同组政策金额更高，不重复享受（不重复享受组“专精特新”，本轮按 Z2 兑现）"
        in out
    )
    # (level 100: Z2 300 x3 and Z1 100 x2 = 1,100.00 for the 25.93 left after level 1)
    assert "300.00 元 × 25.93 元 ÷ 1,100.00 元 = 7.07 元（向下取到分）" in out
    assert "另有 1 项政策不在 2024-03-01 的有效期内，未列出" in out


def test_explain_one_policy_and_the_ledger(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, *RUN, "--out", "r1")
    run(capsys, "commit", "r1")
    status, out, _ = run(capsys, "explain", *RUN[1:], "--uscc", code(1), "--policy", "Z2")
    assert status == 0
    assert out.count("政策 ") == 1
    assert "本轮不兑现：已享受过本政策（一次性）（台账轮次 " in out
    status, _, err = run(capsys, "explain", *RUN[1:], "--uscc", code(1), "--policy", "Z3")
    assert status == 2
    assert "no policy 'Z3' in the set (did you mean 'Z1'?)" in err
    status, _, err = run(capsys, "explain", *RUN[1:], "--uscc", code(1), "--policy", "OLD")
    assert "no policy 'OLD' in force on 2024-03-01" in err


def test_sample_registry_is_seeded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b, c = (tmp_path / f"{n}.csv" for n in "abc")
    assert run(capsys, "sample-registry", "--rows", "300", "--seed", "7", "--out", str(a))[0] == 0
    run(capsys, "sample-registry", "--rows", "300", "--seed", "7", "--out", str(b))
    run(capsys, "sample-registry", "--rows", "300", "--seed", "8", "--out", str(c))
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    assert a.read_text("utf-8-sig").count("\n") == 301


def test_run_on_a_database_table(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from policymatch.registry.writers import write_table

    policy_set = load(str(county / "policies"))
    url = f"sqlite:///{county / 'registry.db'}"
    write_table(registry(GOLDEN_RECORDS, policy_set).frame, url, "enterprises", policy_set.schema)
    status, out, err = run(
        capsys, "run", "--registry", url, "--table", "enterprises", *RUN[3:], "--out", "db"
    )
    assert status == 0, err
    assert "兑现 11 笔" in out
    manifest = json.loads((county / "db" / "manifest.json").read_text("utf-8"))
    assert manifest["registry"] == {
        "source": url,
        "table": "enterprises",
        "sha256": None,
        "ignored_columns": [],
        "missing_fields": [],
    }
    # the same enterprises from a file give the same lists
    run(capsys, *RUN, "--out", "file")
    for name in ("grants.csv", "push.csv", "excluded.csv", "summary.csv", "公示名单.csv"):
        assert (county / "db" / name).read_bytes() == (county / "file" / name).read_bytes()
