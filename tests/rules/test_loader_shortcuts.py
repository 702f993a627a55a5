"""The loader's shortcuts give what the long way gives.

* A text in which no '!' stands where a tag could begin is not scanned for tags: neither
  PyYAML's nor libyaml's scanner finds one in it.
* A tree (no anchor) is counted while it is built: the count is the expanded size.
* Plain scalars are constructed without ``construct_object``: same values as PyYAML's safe
  constructor, and text where it has no constructor.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policymatch.rules.loader import (
    SourceFile,
    _Builder,
    _compose,
    _expanded_size,
    _may_have_tags,
    _scan_tags,
    load_yaml,
)

PIECES = [
    "!", "!!str", "!x", "!=", "! ", "&a", "*a", "%TAG", "%YAML 1.1", "---", "...", "- ", "? ",
    ": ", ":", ",", "[", "]", "{", "}", '"', "'", "|", ">", "#", " ", "  ", "\t", "\n", "\r",
    "\x85", "\u2028", "\ufeff", "\u3000", "a", "key", "1", "x.", "a != b", "not", "%",
]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), max_size=16).map("".join)


def tags_found(loader: Any, text: str) -> int:
    found: list[Any] = []
    with contextlib.suppress(yaml.YAMLError):
        _scan_tags(loader, text, SourceFile("x.yaml", text), found)
    return len(found)


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_a_text_passed_over_has_no_tag(text: str) -> None:
    if not _may_have_tags(text):
        assert tags_found(yaml.SafeLoader, text) == 0
        assert tags_found(yaml.CSafeLoader, text) == 0


@pytest.mark.parametrize(
    "text",
    [
        "a: !!str x\n",
        "- !x 1\n",
        "a: &a !t b\n",
        ",&aa != b",
        "-*a !t\n",
        '["x" !t]\n',
        "!t a\n",
        "%TAG ! tag:a,1:\n",
    ],
)
def test_tags_are_still_looked_for(text: str) -> None:
    assert _may_have_tags(text)


def count_of(text: str) -> tuple[int, int]:
    node = _compose(text)
    assert node is not None
    builder = _Builder(SourceFile("x.yaml", text))
    builder.build(node, (), 0)
    return builder.count, _expanded_size(node)


scalars = st.one_of(st.integers(), st.text(max_size=5), st.booleans(), st.none())
data = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data, st.booleans())
def test_the_count_of_a_tree_is_its_expanded_size(value: Any, flow: bool) -> None:
    text = yaml.safe_dump({"root": value}, allow_unicode=True, default_flow_style=flow)
    count, size = count_of(text)
    assert count == size


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: [1, 2, 3]\n",  # a duplicate key's value is not built, but counted
        "? [a, b]\n: {c: [1, 2]}\nd: 1\n",  # nor a key that is not a scalar
        "a:\n  b: 1\n  b: {c: 1, c: 2}\n",
    ],
)
def test_values_left_unbuilt_are_counted(text: str) -> None:
    count, size = count_of(text)
    assert count == size


PLAIN = [
    "yes", "No", "on", "OFF", "true", "False", "~", "null", "Null", "", "0", "-0", "+12",
    "0x1F", "0o17", "017", "0b101", "1_000", "190:20:30", "=", "<<", "text", "文字",
]  # fmt: skip


@pytest.mark.parametrize("plain", PLAIN)
def test_plain_scalars_are_what_the_safe_constructor_makes(plain: str) -> None:
    text = f"k: {plain}\n"
    data, problems = load_yaml(text, SourceFile("x.yaml", text))
    try:
        expected = yaml.safe_load(text)["k"]
    except yaml.constructor.ConstructorError:
        expected = plain  # '=' and '<<': no safe constructor, the text itself
    assert problems == []
    assert data["k"] == expected
    assert type(data["k"]) is type(expected)
