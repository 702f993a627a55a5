"""``GET /v1/explain`` over real HTTP gives the round's effect as the library does
(``policymatch.explain_enterprise(..., ledger=...)``), follows the ledger after a commit, and
says there is no round when the service has no ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import policymatch
from policymatch.cli import main
from policymatch.serve.config import ServeConfig, Token
from tests.backends.conftest import HEADER
from tests.backends.test_grant_limit import POLICY
from tests.rounds.helpers import code
from tests.rounds.test_carry import write_county
from tests.serve.conftest import AS_OF, READ, running


def _config(folder: Path, ledger: str | None) -> ServeConfig:
    return ServeConfig(
        policies=folder / "policies",
        registry=str(folder / "registry.csv"),
        ledger=ledger,
        tokens=(Token("read", READ),),
    )


def _library(ledger: str) -> dict[str, object]:
    why = policymatch.explain_enterprise(
        "policies", "registry.csv", code(1), "W", AS_OF, ledger=ledger
    )
    data: dict[str, object] = json.loads(json.dumps(why.to_dict()))
    return data


def test_explain_gives_the_rounds_effect_and_follows_the_ledger(
    county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = str(county / "ledger.sqlite")
    path = f"/v1/explain/{code(1)}/W?as_of={AS_OF}"
    with running(_config(county, ledger), county) as server:
        status, before = server.request("GET", path)
        assert status == 200, before
        assert before["round"]["status"] == "granted"
        assert before == _library(ledger)
        main(["run", "--registry", "registry.csv", "--as-of", AS_OF, "--out", "r1"])
        main(["commit", "r1", "--ledger", ledger])
        capsys.readouterr()
        status, after = server.request("GET", path)
    assert status == 200, after
    assert after["round"]["status"] == "excluded"
    assert after["round"]["reason"] == "paid_this_year"
    assert after["read_out"] == {"which": "round", "amount_yuan": "0.00", "amount_fen": 0}
    assert after == _library(ledger)


def test_without_a_ledger_there_is_no_round(county: Path) -> None:
    with running(_config(county, None), county) as server:
        status, body = server.request("GET", f"/v1/explain/{code(1)}/W?as_of={AS_OF}")
        assert status == 200, body
        assert body["round"] is None
        assert body["read_out"]["which"] == "computed"
        assert "未计台账" in body["headline"]
        assert server.request("GET", "/v1/rounds")[1] == {"ledger": None, "rounds": []}
        assert all(f["paid"] == [] for f in server.request("GET", "/v1/pool")[1]["funds"])


def test_explain_applies_the_pool_and_the_carried_remainder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The round /v1/explain drafts reads the pool and the 补发 due as ``policymatch run``
    does, and a 回补 (which changes the pool journal, not the grants) is seen at once."""
    monkeypatch.chdir(tmp_path)
    write_county(tmp_path)
    ledger = str(tmp_path / "ledger.sqlite")
    config = ServeConfig(
        policies=tmp_path / "policies",
        registry=str(tmp_path / "r.csv"),
        ledger=ledger,
        tokens=(Token("read", READ),),
    )
    # Round 1 asks 400.00 of a pool of 200.00: C is paid 50.00 of 100.00, the rest carried.
    main(["run", "--registry", "r.csv", "--as-of", AS_OF, "--out", "r1"])
    main(["commit", "r1", "--ledger", ledger])
    path = f"/v1/explain/{code(1)}/C?as_of={AS_OF}"
    with running(config, tmp_path) as server:
        empty = server.request("GET", path)[1]
        main(["pool", "replenish", "--fund", "pool", "--amount", "200", "--from", "县工信局", "--ref", "x", "--ledger", ledger])  # fmt: skip
        refilled = server.request("GET", path)[1]
    capsys.readouterr()
    assert empty["read_out"]["amount_yuan"] == "0.00"  # the pool is empty: the rest waits
    assert refilled["read_out"]["amount_yuan"] == "50.00"  # 补发 from the 回补
    why = policymatch.explain_enterprise("policies", "r.csv", code(1), "C", AS_OF, ledger=ledger)
    assert refilled == json.loads(json.dumps(why.to_dict()))


def test_match_refuses_an_amount_beyond_the_limit(tmp_path: Path) -> None:
    """``POST /v1/match`` grants what the batch core grants: a record a policy would pay more
    than 100 亿元 is answered 422 PM311 (naming the policy), never an amount."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "keji.yaml").write_text(
        HEADER + POLICY.format(amount="amount: rd_expense * 1000000"), encoding="utf-8"
    )
    config = ServeConfig(
        policies=tmp_path / "policies", registry=None, ledger=None, tokens=(Token("read", READ),)
    )
    record = {"uscc": "91361126MA35G2K656", "rd_expense": "999999999999.99"}
    with running(config, tmp_path) as server:
        small = server.request("POST", "/v1/match", {"record": {**record, "rd_expense": "1"}})
        status, body = server.request("POST", "/v1/match", {"record": record, "as_of": AS_OF})
    assert small[0] == 200
    assert small[1]["results"][0]["amount_yuan"] == "1000000.00"
    assert status == 422, body
    assert body["error"]["code"] == "PM311"
    assert "policy 'X'" in body["error"]["message"]
