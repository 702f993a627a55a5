"""``policymatch explain``: text and JSON against golden files, and ``--round DIR``.

Run with ``UPDATE_GOLDEN=1`` to rewrite the golden files after an intended change, then review
the diff like any other change to user-facing text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policymatch.cli import main
from tests.golden import assert_golden
from tests.rounds.helpers import code
from tests.rounds.test_carry import write_county

GOLDEN = Path(__file__).parent / "golden"
EXPLAIN = ("explain", "--registry", "registry.csv", "--as-of", "2024-03-01", "--uscc", code(1))


def _check_golden(name: str, text: str) -> None:
    assert_golden(GOLDEN / name, text)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def test_text_and_json_golden(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _check_golden("explain.txt", _run(capsys, *EXPLAIN))
    text = _run(capsys, *EXPLAIN, "--format", "json")
    _check_golden("explain.json", text)
    report = json.loads(text)
    by_id = {e["policy"]["id"]: e for e in report["explanations"]}
    # Z2 is scaled to what the pool had left: both amounts, and which one to read out.
    z2 = by_id["Z2"]
    assert z2["computed"]["amount_yuan"] == "300.00"
    assert z2["round"]["amount_yuan"] == "7.07"
    assert z2["read_out"] == {"which": "round", "amount_yuan": "7.07", "amount_fen": 707}
    assert z2["headline"] == "结论：符合，应兑现 300.00 元；本轮兑现 7.07 元，以本轮兑现为准"
    assert by_id["Z1"]["round"]["reason"] == "group_in_round"


def test_round_folder_gives_date_registry_policies_and_ledger(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "run", "--registry", "registry.csv", "--as-of", "2024-03-01", "--out", "r1")
    before = _run(capsys, "explain", "--round", "r1", "--uscc", code(1), "--policy", "Z2")
    _run(capsys, "commit", "r1")
    after = _run(capsys, "explain", "--round", "r1", "--uscc", code(1), "--policy", "Z2")
    # The round's as-of date, not today's; the round's own ledger entries do not count
    # against it, so after commit it still shows what it paid, and says it was recorded.
    assert "截至 2024-03-01" in after
    assert "本轮兑现 7.07 元，以本轮兑现为准" in before
    assert "本轮兑现 7.07 元，以本轮兑现为准" in after
    assert "记入台账）" in after
    assert "记入台账）" not in before.splitlines()[0]
    # Without --round, the committed grant is "already paid".
    plain = _run(capsys, *EXPLAIN, "--policy", "Z2")
    assert "本轮兑现 0.00 元（已享受过本政策（一次性））" in plain


def test_a_committed_round_is_explained_with_the_pool_it_had(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """After commit, the round's own advances do not empty the pool it is explained with, nor
    does its own 补发 due count again, nor does what the ledger records later (a 回补, a later
    round and its 补发); and its grant is no longer called a draft."""
    monkeypatch.chdir(tmp_path)
    write_county(tmp_path)  # a pool of 200.00 for 400.00 asked: C is paid 50.00, 50.00 carried
    _run(capsys, "run", "--registry", "r.csv", "--as-of", "2024-03-01", "--out", "r1")
    argv = ("explain", "--round", "r1", "--uscc", code(1), "--policy", "C")
    before = _run(capsys, *argv)
    _run(capsys, "commit", "r1")
    after = _run(capsys, *argv)
    _run(capsys, "pool", "replenish", "--fund", "pool", "--amount", "200", "--from", "县工信局", "--ref", "x")  # fmt: skip
    refilled = _run(capsys, *argv)
    _run(capsys, "run", "--registry", "r.csv", "--as-of", "2024-03-01", "--out", "r2")
    _run(capsys, "commit", "r2")  # pays C's carried 50.00 (补发) from the 回补
    later = _run(capsys, *argv)
    for text in (before, after, refilled, later):
        assert "剩余预算 200.00 元" in text
        assert "本轮兑现 50.00 元" in text
    assert "草稿" in before
    for text in (after, refilled, later):
        assert "草稿" not in text
        assert "本轮已记入台账" in text


def test_round_folder_refuses_other_policies(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "run", "--registry", "registry.csv", "--as-of", "2024-03-01", "--out", "r1")
    text = (county / "policies" / "policies.yaml").read_text("utf-8")
    (county / "policies" / "policies.yaml").write_text(text.replace("300", "400"), "utf-8")
    assert main(["explain", "--round", "r1", "--uscc", code(1)]) == 2
    assert "[PM614]" in capsys.readouterr().err
    assert main(["explain", "--round", "nowhere", "--uscc", code(1)]) == 2
    assert "not a round folder" in capsys.readouterr().err
    assert main(["explain", "--uscc", code(1)]) == 2
    assert "[PM615]" in capsys.readouterr().err


def test_a_grant_returned_after_the_round_counted_as_paid_when_it_was_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """r2 did not pay F again (r1 had); a return of r1's F recorded after r2 makes F due again
    now, but r2 is still explained as it was committed: already paid."""
    from policymatch.rounds.manifest import round_id

    monkeypatch.chdir(tmp_path)
    write_county(tmp_path)
    run = ("run", "--registry", "r.csv", "--as-of", "2024-03-01", "--out")
    _run(capsys, *run, "r1")
    _run(capsys, "commit", "r1")
    _run(capsys, "pool", "replenish", "--fund", "pool", "--amount", "200", "--from", "县工信局", "--ref", "x")  # fmt: skip
    _run(capsys, *run, "r2")  # pays C's carried 50.00 (补发), not F again
    _run(capsys, "commit", "r2")
    argv = ("explain", "--round", "r2", "--uscc", code(1), "--policy", "F")
    before = _run(capsys, *argv)
    r1 = round_id((tmp_path / "r1" / "manifest.json").read_bytes())
    (tmp_path / "returns.csv").write_text(
        f"uscc,policy_id,round,amount,reason\n{code(1)},F,{r1},50.00,账户已销户\n",
        encoding="utf-8",
    )
    _run(capsys, "returns", "returns.csv", "--date", "2024-04-01")
    after = _run(capsys, *argv)
    assert "本轮兑现 0.00 元（已享受过本政策（一次性））" in before
    assert after.splitlines()[1:] == before.splitlines()[1:]
