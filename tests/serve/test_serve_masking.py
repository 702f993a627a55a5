"""Bank accounts and phone numbers are masked in every answer of the service, even of a policy
whose condition reads them (over real HTTP)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from policymatch.serve.config import ServeConfig, Token
from tests.serve.conftest import AS_OF, EVENTS, READ, ROOT, running

PHONE_POLICY = """\
version: 1
policies:
  - id: ZZ-PHONE
    title: 留有手机号码
    issuer: 县财政局
    fund: huiqi-pool
    eligibility:
      all:
        - 本地企业
        - {label: 留有手机号码, when: contact_phone startswith "1"}
        - {label: 有银行账号, when: bank_account startswith "6"}
    amount: 1000
"""
PHONE = "13812345678"
ACCOUNT = "6222021234561234"
RECORD = {
    "统一社会信用代码": "91361126MA35X0001X",
    "企业名称": "弋阳县测试有限公司",
    "行政区划代码": "361126",
    "严重失信主体": "否",
    "联系电话": PHONE,
    "银行账号": ACCOUNT,
}
#: An account as a clerk may type it, with commas: every character between its ends is hidden.
COMMAS = {**RECORD, "统一社会信用代码": "91361126MA35X00021", "银行账号": "6222,0212,3456,1234"}


def test_a_policy_reading_phone_and_account_shows_them_masked(tmp_path: Path) -> None:
    pytest.importorskip("durable")
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    (tmp_path / "policies" / "zz-phone.yaml").write_text(PHONE_POLICY, encoding="utf-8")
    config = ServeConfig(
        policies=tmp_path / "policies",
        registry=None,
        ledger=None,
        tokens=(Token("read", READ), Token("events", EVENTS)),
    )
    with running(config, tmp_path) as server:
        line = "\n".join(
            json.dumps({"op": "update", "record": r}, ensure_ascii=False) for r in (RECORD, COMMAS)
        )
        status, events = server.request("POST", f"/v1/events?as_of={AS_OF}", line, token=EVENTS)
        assert status == 200, events
        status, match = server.request("POST", "/v1/match", {"record": RECORD, "as_of": AS_OF})
        assert status == 200, match
    due = [n for n in events["notifications"] if n["policy_id"] == "ZZ-PHONE"]
    assert due, events
    shown = " ".join(due[0]["explanation"])
    assert "contact_phone=138****5678" in shown
    assert "bank_account=6222********1234" in shown
    (commas,) = [n for n in due if n["uscc"] == COMMAS["统一社会信用代码"]]
    assert "bank_account=6222***********1234" in " ".join(commas["explanation"])
    assert [r["status"] for r in match["results"] if r["policy_id"] == "ZZ-PHONE"] == ["eligible"]
    for answer in (events, match):
        text = json.dumps(answer, ensure_ascii=False)
        assert PHONE not in text
        assert ACCOUNT not in text
        assert "0212" not in text
