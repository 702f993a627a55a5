"""docs/policy-format.md is the whole format: every key, function and code the package knows.

The lists are derived from the code (the pydantic models and the compiler's allowed keys, the
function table, every PM code in the package), so a key or code added anywhere fails here until
the reference describes it. The worked examples of the reference are compiled and their
examples run, so the page a policy author copies from always works.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import typing
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import BaseModel

import policymatch
from policymatch import cli
from policymatch.examples import run_examples
from policymatch.rounds.allocate import Candidate, Paid, Reason, Terms, allocate
from policymatch.rules import ir, model
from policymatch.schema import STANDARD_SCHEMA, FieldType

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "policymatch"
REFERENCE = ROOT / "docs" / "policy-format.md"
REGISTRY_DOC = ROOT / "docs" / "registry-schema.md"
WORKED = re.compile(r"<!-- worked-example: (\S+) -->\n```yaml\n(.*?)```", re.S)
#: The codes of the policy compiler (PM0xx to PM3xx): each gets a section with an example.
COMPILER_CODE = re.compile(r"PM[0-3]\d\d")


def _reference() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def _models() -> list[type[BaseModel]]:
    return [
        obj
        for obj in vars(model).values()
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == model.__name__
    ]


def _literal_values(annotation: object) -> set[str]:
    """The strings a ``Literal[...]`` inside an annotation allows (mode, frequency, type)."""
    if typing.get_origin(annotation) is typing.Literal:
        return {a for a in typing.get_args(annotation) if isinstance(a, str)}
    return {v for a in typing.get_args(annotation) for v in _literal_values(a)}


def _compiler_allowed_keys() -> set[str]:
    """Keys the compiler accepts outside the models: the ``allowed`` tuples it passes to
    ``unknown_key`` (tiers, when, value, ...), read from its source."""
    tree = ast.parse((PACKAGE / "rules" / "compiler.py").read_text(encoding="utf-8"))
    keys: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "unknown_key"
            and len(node.args) >= 3
            and isinstance(node.args[2], ast.Tuple)
        ):
            keys |= {e.value for e in node.args[2].elts if isinstance(e, ast.Constant)}
    return keys


def accepted_keys() -> set[str]:
    keys = set(model.FILE_KEYS) | set(model.CONDITION_KEYS) | _compiler_allowed_keys()
    for m in _models():
        for name, info in m.model_fields.items():
            keys.add(info.alias or name)
            keys |= _literal_values(info.annotation)
    return keys


def package_codes() -> set[str]:
    return {
        code
        for path in PACKAGE.rglob("*.py")
        for code in re.findall(r"PM\d{3}", path.read_text(encoding="utf-8"))
    }


def test_the_key_lists_are_found() -> None:
    # Guards the derivation itself: an empty or tiny list would make the next test vacuous.
    keys = accepted_keys()
    assert {"version", "eligibility", "stacking_group", "tiers", "when", "value", "from"} <= keys
    assert {"once", "yearly", "免申即享", "tags", "sensitive", "fails"} <= keys
    assert len(package_codes()) > 40


def test_every_accepted_key_is_in_the_reference() -> None:
    text = _reference()
    missing = sorted(k for k in accepted_keys() if f"`{k}`" not in text and f"{k}:" not in text)
    assert not missing, (
        f"keys the compiler accepts but docs/policy-format.md never names: {missing}"
    )


def test_every_compiler_code_has_a_section_with_an_example() -> None:
    text = _reference()
    sections = dict(re.findall(r"^### (PM\d{3}) .*\n((?:(?!^#).*\n)*)", text, re.M))
    codes = sorted(c for c in package_codes() if COMPILER_CODE.fullmatch(c))
    missing = [c for c in codes if c not in sections]
    assert not missing, f"compiler codes without a section in docs/policy-format.md: {missing}"
    without_example = [c for c in codes if f"[{c}]" not in sections[c]]
    assert not without_example, f"sections without an example report: {without_example}"


def test_every_other_code_is_in_the_reference_table() -> None:
    rows = set(re.findall(r"^\| (PM\d{3}) \|", _reference(), re.M))
    codes = sorted(c for c in package_codes() if not COMPILER_CODE.fullmatch(c))
    missing = [c for c in codes if c not in rows]
    assert not missing, f"codes missing from the table of docs/policy-format.md: {missing}"


def test_the_reference_names_no_code_the_package_does_not_have() -> None:
    named = set(re.findall(r"PM\d{3}", _reference()))
    assert named - package_codes() == set()


def test_every_function_is_in_the_reference() -> None:
    text = _reference()
    missing = [f for f in ir.FUNCTIONS if f"`{f}(" not in text]
    assert not missing


def test_every_standard_field_is_in_the_registry_doc() -> None:
    text = REGISTRY_DOC.read_text(encoding="utf-8")
    types = "|".join(t.value for t in FieldType)
    rows = dict(re.findall(rf"^\| `(\w+)` \| (\S+) \| (?:{types}) \|", text, re.M))
    assert rows == {f.name: f.label for f in STANDARD_SCHEMA.fields}
    for f in STANDARD_SCHEMA.fields:
        assert re.search(rf"^\| `{f.name}` \| {f.label} \| {f.type.value} \|", text, re.M)


def test_the_docs_point_at_nothing_outside_the_repository() -> None:
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text, path
        for target in re.findall(r"\]\(([^)#]+\.md)\)", text):
            assert (path.parent / target).is_file(), f"{path.name} links to missing {target}"


def _worked_examples(tmp_path: Path) -> Path:
    found = WORKED.findall(_reference())
    assert found, "docs/policy-format.md has no worked example"
    for name, text in found:
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_worked_examples_compile_and_their_examples_pass(tmp_path: Path) -> None:
    policy_set = policymatch.load(_worked_examples(tmp_path))
    titles = {p.id: p.title for p in policy_set.policies}
    assert titles.keys() >= {"DEMO-KJ-2024-01", "DEMO-GX-2024-01"}
    results = run_examples(policy_set)
    assert len(results) >= 9
    assert [r.problems for r in results if not r.passed] == []
    # The 首次/再次 award is yearly: a `once` policy would never pay the 再次 award.
    gaoxin = policy_set.policy("DEMO-KJ-2024-01")
    assert gaoxin.frequency is ir.Frequency.YEARLY
    assert gaoxin.amount.tiers
    assert len(gaoxin.amount.tiers) == 2
    growth = policy_set.policy("DEMO-GX-2024-01")
    assert growth.cap == 500_000
    assert growth.stacking_group == "经营贡献奖励"
    assert policy_set.schema["前年营业收入"].name == "revenue_prev"


def test_policymatch_test_passes_on_the_worked_examples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _worked_examples(tmp_path)
    assert cli.main(["check", str(folder)]) == 0
    assert cli.main(["test", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "ok: 3 policies, 1 funds, 10 examples" in out
    assert "examples: 10 passed, 0 failed" in out


def test_the_recertification_award_is_paid_after_a_first_award(tmp_path: Path) -> None:
    """The reference's point about 首次/再次: the yearly policy pays the 再次 award in a later
    year to an enterprise the ledger shows paid the 首次 award; as `once` it would not."""
    policy_set = policymatch.load(_worked_examples(tmp_path))
    terms = {p.id: Terms.of(p) for p in policy_set.policies}
    pid = "DEMO-KJ-2024-01"
    history = [Paid(pid, "U1", 2024, None)]
    again = [Candidate(0, "U1", pid, 10_000_000)]
    as_of = dt.date(2026, 3, 1)
    paid = allocate(again, terms, {"demo-pool": None}, history, as_of)
    assert [g.amount_fen for g in paid.grants] == [10_000_000]
    once = {**terms, pid: replace(terms[pid], frequency=ir.Frequency.ONCE)}
    refused = allocate(again, once, {"demo-pool": None}, history, as_of)
    assert refused.grants == ()
    assert [e.reason for e in refused.excluded] == [Reason.PAID_BEFORE]
