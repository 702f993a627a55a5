"""Compiler bugs found while writing the shipped policy set, pinned so they stay fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from policymatch.errors import PolicyError
from policymatch.rules import compile_policy_set, ir
from policymatch.rules.check import Checker, CheckError
from policymatch.rules.parser import parse
from policymatch.schema import STANDARD_SCHEMA


def _check(text: str) -> ir.Expr:
    return Checker(STANDARD_SCHEMA, lambda _name: None).condition(parse(text))


@pytest.mark.parametrize(
    ("text", "negated"),
    [('size in ["中型", "小型", "微型"]', False), ('size not in ["大型"]', True)],
)
def test_in_a_list_literal_compiles(text: str, negated: bool) -> None:
    # The checker used to type-check every chain operand first, so the list after `in` hit
    # "a list can only stand after 'in' or 'not in'": the spec's own example did not compile.
    expr = _check(text)
    assert isinstance(expr, ir.InList)
    assert expr.needle == ir.Field("size", STANDARD_SCHEMA["size"].type)
    assert expr.negated is negated


def test_in_a_list_still_checks_its_items() -> None:
    with pytest.raises(CheckError) as exc:
        _check('size in ["中形"]')
    assert exc.value.code == "PM205"
    assert (exc.value.start, exc.value.end) == (9, 13)


def test_in_a_field_that_is_not_tags_is_an_error() -> None:
    with pytest.raises(CheckError) as exc:
        _check('"C" in industry')
    assert exc.value.code == "PM204"
    assert "needs a list" in exc.value.message


def test_in_a_list_in_a_policy_file(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "version: 1\n"
        "funds: [{id: f, title: F}]\n"
        "define:\n"
        '  中小微: size in ["中型", "小型", "微型"]\n'
        "policies:\n"
        "  - {id: P, title: T, fund: f, eligibility: 中小微, amount: 1}\n",
        encoding="utf-8",
    )
    try:
        policy_set = compile_policy_set(tmp_path)
    except PolicyError as exc:  # pragma: no cover - the failure this test pins
        pytest.fail(exc.render())
    assert policy_set.policy("P").eligibility == ir.Labeled(
        "中小微",
        ir.InList(ir.Field("size", STANDARD_SCHEMA["size"].type), ("中型", "小型", "微型")),
    )
