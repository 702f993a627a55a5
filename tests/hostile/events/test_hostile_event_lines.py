"""Hostile change lines: each is refused with its code, and the watcher goes on.

One case per attack (issue 11 items 6 and 11): a line nested a thousand deep (RecursionError in
``json``), a number of 5,000 digits (ValueError in ``int``), ``NaN``/``Infinity``, a key given
twice, an endless line. Each is refused by its line number; the changes after it are answered.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("durable")

from policymatch.backends.durable.events import (
    MAX_DEPTH,
    MAX_LINE,
    EventError,
    Update,
    parse_event,
)
from policymatch.cli import main
from tests.backends.durable.helpers import USCC, write_policies

GOOD = json.dumps(
    {
        "op": "update",
        "record": {
            "uscc": USCC,
            "region": "361126",
            "credit_blacklisted": "否",
            "tax_paid": "600万",
        },
    },
    ensure_ascii=False,
)

HOSTILE = {
    "nested_1000_deep": ("PM406", '{"op": "update", "record": ' + "[" * 1000 + "]" * 1000 + "}"),
    "nested_in_a_value": ("PM406", '{"op": "update", "record": {"name": ' + "{" * 999 + "}"),
    "digits_5000": ("PM407", '{"op": "update", "record": {"tax_paid": ' + "9" * 5000 + "}}"),
    "fraction_5000": ("PM407", '{"op": "update", "record": {"tax_paid": 1.' + "5" * 5000 + "}}"),
    "nan": ("PM407", '{"op": "update", "record": {"uscc": "x", "tax_paid": NaN}}'),
    "infinity": ("PM407", '{"op": "update", "record": {"tax_paid": Infinity}}'),
    "minus_infinity": ("PM407", '{"op": "update", "record": {"tax_paid": -Infinity}}'),
    "float_overflow": ("PM407", '{"op": "update", "record": {"tax_paid": 1e400}}'),
    "key_twice_in_record": (
        "PM408",
        '{"op": "update", "record": {"uscc": "a", "tax_paid": "1", "tax_paid": "600万"}}',
    ),
    "op_twice": ("PM408", '{"op": "remove", "op": "update", "record": {}}'),
    "line_over_a_mebibyte": ("PM406", '{"op": "remove", "uscc": "' + "1" * MAX_LINE + '"}'),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_parse_event_refuses_with_a_code(name: str) -> None:
    code, line = HOSTILE[name]
    with pytest.raises(EventError) as exc:
        parse_event(line)
    assert exc.value.code == code


def test_the_messages_say_what_is_wrong() -> None:
    def message(name: str) -> str:
        with pytest.raises(EventError) as exc:
            parse_event(HOSTILE[name][1])
        return exc.value.message

    assert message("nested_1000_deep") == f"nested deeper than {MAX_DEPTH} levels"
    assert message("digits_5000") == "a number of 5000 characters (at most 40 digits)"
    assert message("nan") == "NaN is not a number a registry holds; write the value or null"
    assert message("key_twice_in_record") == 'key "tax_paid" given twice in one object'


def test_ordinary_numbers_and_nesting_still_parse() -> None:
    event = parse_event('{"op": "update", "record": {"tax_paid": 6000000, "rd_ratio": 0.05}}')
    assert event == Update({"tax_paid": 6000000, "rd_ratio": 0.05})
    # Brackets inside strings are text, not nesting.
    assert parse_event('{"op": "update", "record": {"name": "' + "[" * 100 + '"}}') == Update(
        {"name": "[" * 100}
    )


def test_the_watcher_skips_each_hostile_line_and_answers_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_policies(tmp_path / "policies")
    names = sorted(HOSTILE)
    lines = [HOSTILE[n][1] for n in names] + [GOOD]
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(["watch", "--events", "events.jsonl", "--as-of", "2024-03-01"])
    out, err = capsys.readouterr()
    assert code == 1
    reported = err.splitlines()
    assert len(reported) == len(names)
    for number, (name, text) in enumerate(zip(names, reported, strict=True), start=1):
        assert text.startswith(f"events.jsonl:{number}:1: error: "), name
        assert text.endswith(f"; skipped [{HOSTILE[name][0]}]"), name
    notes = [json.loads(line) for line in out.splitlines()]
    assert notes
    assert {n["line"] for n in notes} == {len(lines)}
    assert {n["uscc"] for n in notes} == {USCC}


def test_an_endless_line_is_not_read_into_memory_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_policies(tmp_path / "policies")
    endless = b'{"op": "remove", "uscc": "' + b"x" * (3 * MAX_LINE) + b'"}'
    (tmp_path / "events.jsonl").write_bytes(endless + b"\n" + GOOD.encode() + b"\n")
    assert main(["watch", "--events", "events.jsonl", "--as-of", "2024-03-01"]) == 1
    out, err = capsys.readouterr()
    assert err == "events.jsonl:1:1: error: a line over 1,048,576 bytes; skipped [PM406]\n"
    assert {json.loads(line)["line"] for line in out.splitlines()} == {2}
