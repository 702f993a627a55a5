"""The most one grant may be (``money.MAX_GRANT``, 100 亿元): a policy whose amount passes it
for an enterprise stops the match with PM311, naming the policy and the enterprise, in every
backend and by every path the batch core computes amounts (a constant, a field times a rate,
tiers, the general kernels); an amount of exactly the limit is paid."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from policymatch.cli import main
from policymatch.errors import PolicyError
from policymatch.values import Value
from tests.backends.conftest import HEADER, Compile, frame_of, match
from tests.golden import assert_golden

GOLDEN = Path(__file__).parent / "golden"

POLICY = """\
policies:
  - id: X
    title: 研发奖励
    issuer: 县科技局
    eligibility: rd_expense > 0
    {amount}
"""

TIERS = """\
amount:
      tiers:
        - when: employees > 100
          value: {high}
        - when: employees > 0
          value: 10万
"""

RD = Decimal("999999999999.99")

#: (amount, the enterprise's figures): each computes more than 100 亿元.
TOO_LARGE = {
    "constant": ("amount: 200亿", {}),
    "field times a number": ("amount: employees * 1亿", {"employees": 200}),
    "general": ("amount: rd_expense * 1000000", {}),
    "tiers": (TIERS.format(high="200亿"), {"employees": 200}),
    "capped above the limit": ("amount: rd_expense * 0.5\n    cap: 1000亿", {}),
}


@pytest.mark.parametrize("shape", sorted(TOO_LARGE))
def test_an_amount_beyond_the_limit_stops_the_match(
    compile_yaml: Compile, backend_name: str, shape: str
) -> None:
    amount, figures = TOO_LARGE[shape]
    policy_set = compile_yaml(POLICY.format(amount=amount))
    records: list[dict[str, Value]] = [
        {"rd_expense": Decimal(0), "employees": 1},  # not eligible
        {"rd_expense": RD, **figures},
    ]
    with pytest.raises(PolicyError) as refused:
        match(policy_set, records, backend_name)
    (diagnostic,) = refused.value.diagnostics
    assert diagnostic.code == "PM311"
    assert "policy 'X'" in diagnostic.message
    uscc = frame_of(records, policy_set)["uscc"].iloc[-1]  # the one beyond the limit
    assert f"enterprise {uscc}" in diagnostic.message
    assert str(diagnostic.file).endswith("p.yaml")


def test_the_limit_itself_is_paid_and_a_tier_that_does_not_hold_is_not_refused(
    compile_yaml: Compile, backend_name: str
) -> None:
    at_limit = compile_yaml(POLICY.format(amount="amount: employees * 1亿"))
    result = match(at_limit, [{"rd_expense": Decimal(1), "employees": 100}], backend_name)
    assert result.grants["amount_fen"].tolist() == [1_000_000_000_000]  # 100 亿元
    # The huge tier never holds for this enterprise: only the tier that holds is paid.
    tiers = compile_yaml(POLICY.format(amount=TIERS.format(high="200亿")))
    result = match(tiers, [{"rd_expense": Decimal(1), "employees": 5}], backend_name)
    assert result.grants["amount_fen"].tolist() == [10_000_000]


def test_a_run_stops_with_the_message_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a clerk sees: the policy's file and line, the amount, the enterprise, a hint; exit
    1, no traceback, no round folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "keji.yaml").write_text(
        HEADER + POLICY.format(amount="amount: rd_expense * 1000000"), encoding="utf-8"
    )
    (tmp_path / "r.csv").write_text(
        f"uscc,name,rd_expense,bank_account\n91361126MA35G2K656,甲公司,{RD},6222020200001234\n",
        encoding="utf-8",
    )
    code = main(["run", "--registry", "r.csv", "--as-of", "2024-03-01", "--out", "out"])
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err
    assert not (tmp_path / "out").exists()
    assert_golden(GOLDEN / "grant_limit.stderr", captured.err)


def test_watch_refuses_the_change_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The watcher grants what the batch core grants: a change that would pass the limit is a
    refused line (PM311, its number), the watcher as it was, and the stream goes on."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "keji.yaml").write_text(
        HEADER + POLICY.format(amount="amount: rd_expense * 1000000"), encoding="utf-8"
    )
    lines = [
        {"op": "update", "record": {"uscc": "91361126MA35G2K656", "rd_expense": "0.01"}},
        {"op": "update", "record": {"uscc": "91361126MA35G2K656", "rd_expense": str(RD)}},
        {"op": "update", "record": {"uscc": "91361126MA00000021", "rd_expense": "0.02"}},
    ]
    (tmp_path / "events.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8"
    )
    code = main(["watch", "--events", "events.jsonl", "--as-of", "2024-03-01"])
    out, err = capsys.readouterr()
    assert code == 1
    assert [(n["line"], n["amount_yuan"]) for n in map(json.loads, out.splitlines())] == [
        (1, "10000.00"),
        (3, "20000.00"),
    ]
    assert "events.jsonl:2:" in err
    assert "[PM311]" in err
    assert "Traceback" not in err
