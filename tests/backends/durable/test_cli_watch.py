"""``policymatch watch``: JSON lines in and out, bad lines reported and skipped, streaming.

Run with ``UPDATE_GOLDEN=1`` to rewrite the golden files after an intended change, then review
the diff like any other change to user-facing text.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("durable")

from policymatch import load
from policymatch.cli import main
from policymatch.money import to_fen
from policymatch.rounds.allocate import Terms
from policymatch.rounds.ledger import Ledger, LedgerGrant, RoundEntry
from tests.backends.durable.helpers import USCC, uscc, write_policies
from tests.golden import assert_golden

GOLDEN = Path(__file__).parent / "golden"

LOCAL = {"uscc": USCC, "region": "361126", "credit_blacklisted": "否"}
EVENTS = [
    json.dumps({"op": "update", "record": {**LOCAL, "tax_paid": "600万"}}, ensure_ascii=False),
    json.dumps(
        {"op": "update", "record": {**LOCAL, "tax_paid": "1200万", "tags": "专精特新"}},
        ensure_ascii=False,
    ),
    "not json",
    "",
    '["update"]',
    '{"op": "upsert", "record": {}}',
    '{"op": "update", "record": {}, "at": "2024-03-01"}',
    '{"op": "remove"}',
    json.dumps({"op": "update", "record": {"uscc": "91361126MA35G2K650", "revenu": "1"}}),
    '{"op": "remove", "uscc": "361126"}',
    json.dumps(
        {"op": "update", "record": {**LOCAL, "uscc": uscc(2), "export_value": 1e7}},
        ensure_ascii=False,
    ),
    json.dumps({"op": "update", "record": {**LOCAL, "严重失信主体": "是"}}, ensure_ascii=False),
    json.dumps(
        {
            "op": "update",
            "record": {
                "uscc": USCC,
                "行政区划代码": "361126",
                "严重失信主体": "是",
                "tags": "专精特新",
            },
        },
        ensure_ascii=False,
    ),
    json.dumps({"op": "remove", "uscc": uscc(2)}),
]


def _check_golden(name: str, text: str) -> None:
    assert_golden(GOLDEN / name, text)


def test_a_stream_of_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_policies(tmp_path / "policies")
    lines = [e.encode() for e in EVENTS]
    lines.insert(4, b'{"op": "remove", "uscc": "\xff"}')  # not UTF-8
    (tmp_path / "events.jsonl").write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")
    code = main(["watch", "--events", "events.jsonl", "--as-of", "2024-03-01"])
    out, err = capsys.readouterr()
    assert code == 1  # some lines were skipped; the others were all processed
    _check_golden("watch.stdout.jsonl", out)
    _check_golden("watch.stderr.txt", err)
    kinds = [(n["line"], n["kind"], n["policy_id"]) for n in map(json.loads, out.splitlines())]
    assert kinds[-1] == (15, "revoke", "WM")


def test_no_bad_line_exits_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_policies(tmp_path / "policies")
    (tmp_path / "events.jsonl").write_text(EVENTS[0] + "\n", encoding="utf-8")
    assert main(["watch", "--events", "events.jsonl", "--as-of", "2024-03-01"]) == 0
    note = json.loads(capsys.readouterr().out)
    # the unit-named pair, as every JSON of the project; "amount" kept for older consumers
    assert (note["amount_yuan"], note["amount_fen"]) == ("100000.00", 10000000)
    assert note["amount"] == "100000.00"


def test_unreadable_input_and_usage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_policies(tmp_path / "policies")
    assert main(["watch", "--events", "missing.jsonl"]) == 1
    assert capsys.readouterr().err == (
        "missing.jsonl: error: cannot read the events: No such file or directory [PM401]\n"
    )
    with pytest.raises(SystemExit) as exc:
        main(["watch", "--events", "-", "--as-of", "2024-02-30"])
    assert exc.value.code == 2
    assert "'2024-02-30' is not a date (YYYY-MM-DD)" in capsys.readouterr().err


def test_standard_input_is_answered_line_by_line(tmp_path: Path) -> None:
    write_policies(tmp_path / "policies")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "policymatch.cli",
            "watch",
            "--events",
            "-",
            "--as-of",
            "2024-03-01",
        ],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    replies: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: replies.put(proc.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
    try:
        proc.stdin.write(EVENTS[0].encode() + b"\n")
        proc.stdin.flush()
        # The notification arrives while standard input is still open: nothing waits for EOF.
        reply = json.loads(replies.get(timeout=60))
        assert (reply["kind"], reply["policy_id"]) == ("grant", "NS")
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0


def test_starting_from_a_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_policies(tmp_path / "policies")
    (tmp_path / "registry.csv").write_text(
        "统一社会信用代码,行政区划代码,严重失信主体,上年纳税额\n"
        f"{USCC},361126,否,600万\n"
        "91361126MA35G2K650,361126,否,600万\n",
        encoding="utf-8-sig",
    )
    blacklisted = {"op": "update", "record": {**LOCAL, "credit_blacklisted": "是"}}
    (tmp_path / "events.jsonl").write_text(json.dumps(blacklisted) + "\n", encoding="utf-8")
    argv = ["watch", "--registry", "registry.csv", "--events", "events.jsonl"]
    assert main([*argv, "--as-of", "2024-03-01"]) == 0
    out, err = capsys.readouterr()
    # The registry's grant was taken as reported: the first change revokes it.
    notes = [
        (n["kind"], n["policy_id"], n["explanation"]) for n in map(json.loads, out.splitlines())
    ]
    assert notes == [("revoke", "NS", ["no longer eligible: fails 本地企业"])]
    assert err == (
        "registry.csv: 1 row(s) set aside, not watched:\n"
        "    row 3: 统一社会信用代码 '91361126MA35G2K650' 校验码不对（末位应为 '6'）\n"
    )


def test_the_ledger_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    policies = load(str(write_policies(tmp_path / "policies")))
    paid = LedgerGrant(USCC, None, "NS", 10_000_000, 10_000_000)
    Ledger("ledger.sqlite").commit(
        RoundEntry(
            round_id="r" * 64,
            as_of=dt.date(2024, 1, 15),
            policy_set_sha256=policies.digest,
            registry_sha256=None,
            software_version="test",
            folder="round-2024-01",
            terms={p.id: Terms.of(p) for p in policies.policies},
            grants=[paid],
        )
    )
    change = {"op": "update", "record": {**LOCAL, "tax_paid": "600万", "tags": "专精特新"}}
    (tmp_path / "events.jsonl").write_text(json.dumps(change) + "\n", encoding="utf-8")
    assert main(["watch", "--events", "events.jsonl", "--as-of", "2024-03-01"]) == 0
    notes = [json.loads(line)["policy_id"] for line in capsys.readouterr().out.splitlines()]
    assert notes == ["ZJ"]  # NS (yearly) was paid this year


def test_a_huge_amount_is_refused_as_the_batch_core_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # revenue * revenue has 30 significant digits: decimal arithmetic keeps 28, as in the batch
    # core, and rounding to the fen takes the precision it needs (money.py), so nothing crashes;
    # it is more than one grant may be (100 亿元), so the change is refused (PM311), as the
    # batch core refuses the round, and the next change is granted.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policies.yaml").write_text(
        "version: 1\n"
        "funds: [{id: pool, title: 资金池}]\n"
        "policies:\n"
        "  - {id: SQ, title: 平方, fund: pool, eligibility: revenue > 0, amount: revenue * revenue}\n",
        encoding="utf-8",
    )
    huge = {"op": "update", "record": {"uscc": USCC, "revenue": "99999999999999.99"}}
    fine = {"op": "update", "record": {"uscc": USCC, "revenue": "100"}}
    (tmp_path / "events.jsonl").write_text(f"{json.dumps(huge)}\n{json.dumps(fine)}\n")
    argv = ["watch", "--policies", "policies.yaml", "--events", "events.jsonl"]
    assert main([*argv, "--as-of", "2024-03-01"]) == 1
    out, err = capsys.readouterr()
    big = f"{to_fen(Decimal('99999999999999.99') * Decimal('99999999999999.99')):,.2f}"
    assert [json.loads(line)["amount"] for line in out.splitlines()] == ["10000.00"]
    assert err.startswith("events.jsonl:1:1: error: policy 'SQ' computes " + big)
    assert err.rstrip().endswith("skipped [PM311]")
