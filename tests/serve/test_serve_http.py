"""``policymatch serve`` over real HTTP on 127.0.0.1: answers equal the batch round, tokens,
hostile bodies (4xx with a clear message, never a 500), reloads, logs without personal data."""

from __future__ import annotations

import csv
import json
import logging
import time

import pytest

import policymatch
from tests.serve.conftest import AS_OF, EVENTS, READ, Server


def _registry_rows(server: Server) -> list[dict[str, str]]:
    with (server.folder / "registry.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_match_equals_the_batch_round(server: Server) -> None:
    found = policymatch.match(server.folder / "policies", server.folder / "registry.csv", AS_OF)
    eligible = {
        (u, p): int(f)
        for u, p, f in zip(
            found.eligible["uscc"],
            found.eligible["policy_id"],
            found.eligible["amount_fen"],
            strict=True,
        )
    }
    unknown = set(zip(found.unknown["uscc"], found.unknown["policy_id"], strict=True))
    usccs = sorted(found.result.frame["uscc"].astype(str))[::7]  # a sample of 43 enterprises
    assert len(usccs) > 40
    in_force = {p.id for p in found.policies}
    seen_statuses = set()
    for uscc in usccs:
        status, body = server.request("POST", "/v1/match", {"uscc": uscc, "as_of": AS_OF})
        assert status == 200, body
        assert {r["policy_id"] for r in body["results"]} == in_force
        for r in body["results"]:
            key = (uscc, r["policy_id"])
            seen_statuses.add(r["status"])
            if key in eligible:
                assert (r["status"], r["amount_fen"]) == ("eligible", eligible[key])
                assert r["amount_yuan"] == f"{eligible[key] / 100:.2f}"
            elif key in unknown:
                assert r["status"] == "unknown"
                assert r["missing_fields"]
            else:
                assert r["status"] == "ineligible"
                assert r["amount_fen"] is None
    assert seen_statuses == {"eligible", "unknown", "ineligible"}


def test_a_record_is_answered_like_its_uscc(server: Server) -> None:
    row = next(r for r in _registry_rows(server) if all(r.values()))
    record = {k: v for k, v in row.items() if v}
    by_record = server.request("POST", "/v1/match", {"record": record, "as_of": AS_OF})
    by_uscc = server.request("POST", "/v1/match", {"uscc": row["统一社会信用代码"], "as_of": AS_OF})
    assert by_record[0] == by_uscc[0] == 200
    assert by_record[1]["results"] == by_uscc[1]["results"]


def test_tokens(server: Server) -> None:
    assert server.request("GET", "/v1/policies", token=None)[0] == 401
    status, body = server.request("GET", "/v1/policies", token="x" * 26)
    assert (status, body["error"]["code"]) == (401, "PM630")
    assert server.request("GET", "/v1/policies", token=READ)[0] == 200
    assert server.request("GET", "/v1/policies", token=EVENTS)[0] == 200
    status, body = server.request("POST", "/v1/events", "", token=READ)
    assert (status, body["error"]["code"]) == (403, "PM631")
    # The description of the API is open.
    status, body = server.request("GET", "/openapi.json", token=None)
    assert status == 200
    assert {"/v1/match", "/v1/events", "/v1/explain/{uscc}/{policy_id}"} <= set(body["paths"])
    # POST /v1/match is a plain route: its entry, written by hand, describes the body.
    match = body["paths"]["/v1/match"]["post"]
    request = match["requestBody"]["content"]["application/json"]["schema"]
    assert set(request["properties"]) == {"uscc", "record", "as_of"}
    assert request["additionalProperties"] is False


@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        ('{"uscc": ', 400, "PM621", "not valid JSON"),
        ("[[[[" * 2000, 400, "PM621", "not valid JSON"),
        ('{"uscc": "x", "tax_paid": NaN}', 400, "PM621", "NaN"),
        ('{"uscc": "x", "colour": "red"}', 422, "PM622", "colour"),
        ("[1, 2]", 422, "PM622", "does not fit"),
        ("{}", 422, "PM622", "exactly one of 'uscc' and 'record'"),
        ('{"uscc": "91361126MA0000000X"}', 404, "PM623", "no enterprise"),
        ('{"record": {"uscc": "bad", "revenu": "1"}}', 422, "PM624", "revenu"),
        ('{"uscc": "x", "as_of": "2024-02-30"}', 422, "PM622", "as_of"),
        ('{"uscc": "' + "1" * 20_000 + '"}', 413, "PM633", "over 16,384 bytes"),
    ],
)
def test_hostile_bodies_get_a_clear_4xx(
    server: Server, body: str, status: int, code: str, words: str
) -> None:
    got, answer = server.request("POST", "/v1/match", body)
    assert got == status, answer
    assert answer["error"]["code"] == code
    assert words in answer["error"]["message"]


def test_body_without_length_is_limited_too(server: Server) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.putrequest("POST", "/v1/match")
    conn.putheader("Authorization", f"Bearer {READ}")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    chunk = b"x" * 8192
    for _ in range(4):
        conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    conn.send(b"0\r\n\r\n")
    response = conn.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["error"]["code"] == "PM633"
    conn.close()


def test_explain_policies_rounds_pool(server: Server) -> None:
    uscc = _registry_rows(server)[0]["统一社会信用代码"]
    status, body = server.request("GET", f"/v1/explain/{uscc}/YY-GX-2023-01?as_of={AS_OF}")
    assert status == 200
    assert body["kind"] == "policymatch/explanation"
    # A ledger is configured (absent: nothing paid before): the round's effect is given.
    assert body["read_out"]["which"] == "round"
    assert body["round"] is not None
    assert server.request("GET", f"/v1/explain/{uscc}/NOPE")[0] == 404
    status, body = server.request("GET", f"/v1/policies?as_of={AS_OF}")
    assert {"id", "title", "issuer", "mode", "amount"} <= set(body["policies"][0])
    assert server.request("GET", "/v1/rounds")[1]["rounds"] == []
    funds = server.request("GET", "/v1/pool")[1]["funds"]
    assert funds[0]["paid"] == []
    assert funds[0]["budget_yuan"] == "20000000.00"


def test_no_account_or_phone_in_any_answer(server: Server) -> None:
    rows = _registry_rows(server)[:10]
    secrets = [r[k] for r in rows for k in ("银行账号", "联系电话") if r.get(k)]
    assert secrets
    texts = []
    for r in rows:
        uscc = r["统一社会信用代码"]
        texts.append(json.dumps(server.request("POST", "/v1/match", {"uscc": uscc})[1]))
        texts.append(json.dumps(server.request("GET", f"/v1/explain/{uscc}/YY-GX-2023-01")[1]))
    assert not any(s in t for s in secrets for t in texts)


def test_events_answer_what_became_due(server: Server) -> None:
    pytest.importorskip("durable")
    row = next(r for r in _registry_rows(server) if r.get("上年纳税额"))
    record = {k: v for k, v in row.items() if v}
    record.update({"上年纳税额": "6000万", "严重失信主体": "否", "行政区划代码": "361126"})
    lines = "\n".join(
        [json.dumps({"op": "update", "record": record}, ensure_ascii=False), "not json", "{" * 900]
    )
    status, body = server.request("POST", f"/v1/events?as_of={AS_OF}", lines, token=EVENTS)
    assert status == 200, body
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(2, "PM402"), (3, "PM406")]
    due = {(n["kind"], n["policy_id"]) for n in body["notifications"]}
    assert ("grant", "YY-SW-2023-01") in due


def test_access_log_has_no_personal_data(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    uscc = _registry_rows(server)[1]["统一社会信用代码"]
    with caplog.at_level(logging.INFO, logger="policymatch.access"):
        server.request("GET", f"/v1/explain/{uscc}/YY-GX-2023-01")
        server.request("POST", "/v1/match", {"uscc": uscc})
        server.request("GET", "/v1/health", token="wrong-token-0123456789")
        deadline = time.monotonic() + 5  # the line is written once the answer is sent
        while len(_access(caplog)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    entries = _access(caplog)
    assert [e["route"] for e in entries] == [
        "/v1/explain/{uscc}/{policy_id}",
        "/v1/match",
        "/v1/health",
    ]
    assert [e["status"] for e in entries] == [200, 200, 401]
    assert all(uscc not in json.dumps(e) for e in entries)
    assert all(READ not in json.dumps(e) for e in entries)


def test_policies_reload_atomically_and_a_bad_change_keeps_the_last_good_set(
    server: Server,
) -> None:
    before = server.request("GET", "/v1/health")[1]
    assert before["status"] == "ok"
    bad = server.folder / "policies" / "zz-broken.yaml"
    bad.write_text("version: 1\npolicies:\n  - id: X\n    titel: 错\n", encoding="utf-8")
    health = _wait(server, lambda h: h["status"] == "degraded")
    assert health["policies"] == before["policies"]
    assert "PM101" in {d["code"] for d in health["reload_errors"]}
    # Still answering from the last good set.
    assert len(server.request("GET", "/v1/policies")[1]["policies"]) == before["policies"]["count"]
    bad.write_text(
        "version: 1\npolicies:\n  - id: ZZ-NEW\n    title: 新政策\n    issuer: 县财政局\n"
        "    fund: huiqi-pool\n    eligibility: employees > 0\n    amount: 1000\n",
        encoding="utf-8",
    )
    health = _wait(
        server,
        lambda h: h["status"] == "ok" and h["policies"]["count"] > before["policies"]["count"],
    )
    assert health["reload_errors"] == []
    ids = {p["id"] for p in server.request("GET", "/v1/policies")[1]["policies"]}
    assert "ZZ-NEW" in ids
    bad.unlink()
    _wait(server, lambda h: h["policies"]["count"] == before["policies"]["count"])


def _access(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "policymatch.access"]


def _wait(server: Server, done: object) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while True:
        health = server.request("GET", "/v1/health")[1]
        if done(health):  # type: ignore[operator]
            return health  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, health
        time.sleep(0.1)
