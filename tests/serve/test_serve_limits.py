"""The rate limit per token and the read-only ledger, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from policymatch.serve.config import ServeConfig, Token
from tests.serve.conftest import EVENTS, READ, ROOT, running


def test_a_token_over_its_rate_gets_429_and_others_do_not(tmp_path: Path) -> None:
    config = ServeConfig(
        policies=ROOT / "policies",
        registry=None,
        ledger=None,
        tokens=(Token("read", READ), Token("events", EVENTS)),
        rate=0.001,
        burst=2,
    )
    with running(config, tmp_path) as server:
        got = [server.request("GET", "/v1/health")[0] for _ in range(3)]
        status, body = server.request("GET", "/v1/health")
        other = server.request("GET", "/v1/health", token=EVENTS)[0]
    assert got == [200, 200, 429]
    assert (status, body["error"]["code"]) == (429, "PM632")
    assert "too many requests" in body["error"]["message"]
    assert other == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_no_route_writes_the_ledger(tmp_path: Path, method: str) -> None:
    config = ServeConfig(
        policies=ROOT / "policies",
        registry=None,
        ledger=str(tmp_path / "ledger.sqlite"),
        tokens=(Token("events", EVENTS),),
    )
    with running(config, tmp_path) as server:
        for path in ("/v1/rounds", "/v1/pool"):
            status, body = server.request(method, path, {}, token=EVENTS)
            assert (status, body["error"]["code"]) == (405, "PM620"), (path, body)
    assert not (tmp_path / "ledger.sqlite").exists()
