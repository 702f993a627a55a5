"""The JSON-lines forms of registry changes (in) and notifications (out).

One change per line, a JSON object::

    {"op": "update", "record": {"uscc": "91361126MA35G2K656", "tags": "专精特新", ...}}
    {"op": "remove", "uscc": "91361126MA35G2K656"}

An ``update`` carries the enterprise's whole row, as a registry file would (see
:mod:`.records`). One notification per line out::

    {"line": 1, "kind": "grant", "uscc": "...", "policy_id": "YY-GX-2023-03",
     "title": "专精特新奖励", "mode": "免申即享", "amount": "100000.00",
     "explanation": ["本地企业: yes (...)", "amount 100000.00"]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ...moneytext import format_money
from ...registry.uscc import uscc_problem
from .watcher import Notification


class EventError(ValueError):
    """A line that is not a change event; ``code`` is its diagnostic code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Update:
    record: dict[str, Any]


@dataclass(frozen=True)
class Remove:
    uscc: str


Event = Update | Remove

_FORMS = '{"op": "update", "record": {...}} or {"op": "remove", "uscc": "..."}'


def parse_event(line: str) -> Event:
    """The change a line gives; raises :class:`EventError` saying what is wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EventError("PM402", f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise EventError("PM403", f"an event is a JSON object: {_FORMS}")
    op = data.get("op")
    extra = sorted(set(data) - {"op", "record", "uscc"})
    if op == "update" and isinstance(data.get("record"), dict) and set(data) == {"op", "record"}:
        return Update(data["record"])
    if op == "remove" and isinstance(data.get("uscc"), str) and set(data) == {"op", "uscc"}:
        uscc = data["uscc"].strip()
        problem = uscc_problem(uscc)
        if problem is not None:
            raise EventError("PM404", problem)
        return Remove(uscc)
    if op not in ("update", "remove"):
        raise EventError("PM403", f"unknown op {json.dumps(op, ensure_ascii=False)}: {_FORMS}")
    if extra:
        keys = ", ".join(json.dumps(k, ensure_ascii=False) for k in extra)
        raise EventError("PM403", f"unexpected key(s) {keys}: {_FORMS}")
    want = "an object 'record'" if op == "update" else "a text 'uscc'"
    raise EventError("PM403", f"'{op}' needs {want}: {_FORMS}")


def notification_json(note: Notification, line: int) -> dict[str, object]:
    return {
        "line": line,
        "kind": note.kind,
        "uscc": note.uscc,
        "policy_id": note.policy.id,
        "title": note.policy.title,
        "mode": note.policy.mode.value,
        "amount": format_money(note.amount),
        "explanation": list(note.explanation),
    }
