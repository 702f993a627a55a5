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
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from ...errors import PolicyError
from ...explain_json import fen
from ...moneytext import format_money
from ...registry.uscc import uscc_problem

if TYPE_CHECKING:
    from .watcher import Notification, Watcher


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

#: The longest line read as a change (bytes); a registry row is a few kilobytes at most.
MAX_LINE = 1 << 20
#: The deepest nesting a change may have: an update is an object in an object, with flat values.
MAX_DEPTH = 16
#: The most digits a JSON number may have: money to the fen in Int64 fits in 19.
MAX_DIGITS = 40


def _no_constant(name: str) -> NoReturn:
    raise EventError("PM407", f"{name} is not a number a registry holds; write the value or null")


def _number(text: str) -> str:
    if sum(ch.isdigit() for ch in text) > MAX_DIGITS:
        raise EventError(
            "PM407", f"a number of {len(text)} characters (at most {MAX_DIGITS} digits)"
        )
    return text


def _int(text: str) -> int:
    return int(_number(text))


def _float(text: str) -> float:
    value = float(_number(text))
    if not math.isfinite(value):
        _no_constant(text)
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all different: a repeated key would silently keep the last."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise EventError(
                "PM408", f"key {json.dumps(key, ensure_ascii=False)} given twice in one object"
            )
        out[key] = value
    return out


def _depth(text: str) -> int:
    """The deepest bracket nesting of ``text`` outside strings (checked before parsing)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_event(line: str) -> Event:
    """The change a line gives; raises :class:`EventError` saying what is wrong with it.

    Hostile lines are refused with a code, never an exception of another kind: nesting
    deeper than :data:`MAX_DEPTH` (PM406), numbers longer than :data:`MAX_DIGITS` digits and
    ``NaN``/``Infinity`` (PM407), a key repeated in one object (PM408).
    """
    if len(line) > MAX_LINE:
        raise EventError("PM406", f"a line of {len(line):,} characters (at most {MAX_LINE:,})")
    if _depth(line) > MAX_DEPTH:
        raise EventError("PM406", f"nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(
            line,
            object_pairs_hook=_object,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError as exc:
        raise EventError("PM402", f"not JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:  # defence in depth: _depth keeps lines this deep out
        raise EventError("PM406", f"nested deeper than {MAX_DEPTH} levels") from None
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


def apply_line(watcher: Watcher, line: str) -> list[Notification]:
    """The notifications of one change line; raises :class:`EventError` for a bad line (a row
    that does not type is PM404 with every problem; a row a policy would grant more than the
    most one grant may be, PM311), leaving the watcher as it was."""
    from .records import RecordError

    event = parse_event(line)
    if isinstance(event, Remove):
        return watcher.remove(event.uscc)
    try:
        return watcher.update(event.record)
    except RecordError as exc:
        raise EventError("PM404", "; ".join(exc.problems)) from None
    except PolicyError as exc:
        (refused,) = exc.diagnostics
        raise EventError(refused.code, refused.message) from None


def notification_json(note: Notification, line: int) -> dict[str, object]:
    return {
        "line": line,
        "kind": note.kind,
        "uscc": note.uscc,
        "policy_id": note.policy.id,
        "title": note.policy.title,
        "mode": note.policy.mode.value,
        # "amount" (yuan text) is kept for existing consumers; the unit-named pair is what
        # every other JSON the project writes carries (explain_json).
        "amount": format_money(note.amount),
        "amount_yuan": format_money(note.amount),
        "amount_fen": fen(note.amount),
        "explanation": list(note.explanation),
    }
