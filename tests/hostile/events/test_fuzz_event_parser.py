"""Arbitrary text to the event parser: a coded error or a change, never another exception.

An ``update`` that parses is typed as the watcher types it (:func:`type_record`): a coded
record error or a typed record, never another exception either.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("durable")

from policymatch.backends.durable.events import EventError, Remove, Update, parse_event
from policymatch.backends.durable.records import RecordError, type_record
from policymatch.schema import STANDARD_SCHEMA

FIELDS = [f.name for f in STANDARD_SCHEMA.input_fields]

#: JSON values of any shape: the record's values a hostile or careless sender might put there.
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["600万", "1万万", "5.5%%", "2023年1月5日", "是", "专精特新", "1e400"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)

RECORDS = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), JSON, max_size=8)

LINES = (
    st.text(max_size=200)
    | st.builds(lambda r: json.dumps({"op": "update", "record": r}), RECORDS)
    | st.builds(lambda u: json.dumps({"op": "remove", "uscc": u}), st.text(max_size=20))
    | st.builds(lambda v: json.dumps(v), JSON)
)


CODES = {"PM402", "PM403", "PM404", "PM406", "PM407", "PM408"}


def _check(line: str) -> None:
    refused: EventError | RecordError | None = None
    try:
        event = parse_event(line)
        if isinstance(event, Update):
            record = type_record(event.record, STANDARD_SCHEMA)
            assert isinstance(record["uscc"], str)
        else:
            assert isinstance(event, Remove)
    except (EventError, RecordError) as exc:
        refused = exc
    if isinstance(refused, EventError):
        assert refused.code in CODES
        assert refused.message
    elif isinstance(refused, RecordError):
        assert refused.problems


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LINES)
def test_any_line_gives_a_change_or_a_coded_error(line: str) -> None:
    _check(line)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet='[]{}"\\:,0123456789.eE-+ natrufls', max_size=400))
def test_bracket_and_number_soup(line: str) -> None:
    _check(line)
