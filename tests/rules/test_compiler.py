"""What a valid policy set compiles to: defaults, defines across files, schema extensions,
labels, and the IR the backends receive."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from policymatch.errors import PolicyError
from policymatch.rules import PolicySet, compile_policy_set, ir
from policymatch.schema import FieldType


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


FUNDS = """
version: 1
funds:
  - id: huiqi-pool
    title: 弋阳县惠企政策资金池
    budget: 2000万
define:
  本地企业: region == "361126" and not credit_blacklisted
schema:
  fields:
    converted_on: {type: date, label: 个转企日期}
    tags: {values: [绿色工厂]}
"""

POLICIES = """
version: 1
defaults:
  issuer: 县工信局
  fund: huiqi-pool
  effective: {from: 2023-01-01, to: 2025-12-31}
policies:
  - id: A
    title: 个转企奖励
    eligibility:
      all:
        - 本地企业
        - label: 一年内个转企
          when: years_between(个转企日期, as_of) < 1
        - '"绿色工厂" in tags'
    amount: 1万
  - id: B
    title: 覆盖默认值
    issuer: 县科技局
    mode: 即申即享
    frequency: yearly
    priority: 1
    stacking_group: 科技
    effective: {from: 2024-01-01, to: null}
    eligibility: 本地企业
    amount: min(rd_expense * 5%, 50万)
    cap: 30万
    budget: 100万
"""


@pytest.fixture
def policy_set(tmp_path: Path) -> PolicySet:
    write(tmp_path, "funds.yaml", FUNDS)
    write(tmp_path, "gongxin.yaml", POLICIES)
    return compile_policy_set(tmp_path)


def test_defaults_fill_what_a_policy_leaves_out(policy_set: PolicySet) -> None:
    a, b = policy_set.policy("A"), policy_set.policy("B")
    assert (a.issuer, a.fund, a.effective_from, a.effective_to) == (
        "县工信局",
        "huiqi-pool",
        dt.date(2023, 1, 1),
        dt.date(2025, 12, 31),
    )
    assert (a.mode, a.frequency, a.priority) == (ir.Mode.AUTOMATIC, ir.Frequency.ONCE, 100)
    assert (b.issuer, b.mode, b.frequency, b.priority, b.stacking_group) == (
        "县科技局",
        ir.Mode.ON_REQUEST,
        ir.Frequency.YEARLY,
        1,
        "科技",
    )
    assert (b.effective_from, b.effective_to) == (dt.date(2024, 1, 1), None)
    assert (b.cap, b.budget) == (Decimal(300000), Decimal(1000000))
    assert policy_set.funds["huiqi-pool"].budget == Decimal(20000000)


def test_defines_are_shared_across_files_and_name_their_condition(policy_set: PolicySet) -> None:
    a = policy_set.policy("A")
    labels = [c.label for c in ir.top_conditions(a.eligibility)]
    assert labels == ["本地企业", "一年内个转企", '"绿色工厂" in tags']
    assert policy_set.policy("B").eligibility == ir.top_conditions(a.eligibility)[0]


def test_schema_extension_adds_fields_aliases_and_values(policy_set: PolicySet) -> None:
    schema = policy_set.schema
    assert schema["个转企日期"].name == "converted_on"
    assert schema["converted_on"].type is FieldType.DATE
    assert "绿色工厂" in schema["tags"].values
    assert "converted_on" in ir.fields_of(policy_set.policy("A").eligibility)


def test_in_force_is_inclusive(policy_set: PolicySet) -> None:
    a = policy_set.policy("A")
    assert a.in_force(dt.date(2023, 1, 1))
    assert a.in_force(dt.date(2025, 12, 31))
    assert not a.in_force(dt.date(2022, 12, 31))
    assert not a.in_force(dt.date(2026, 1, 1))
    assert [p.id for p in policy_set.in_force(dt.date(2023, 6, 1))] == ["A"]


def test_digest_changes_with_any_file(tmp_path: Path) -> None:
    write(tmp_path, "funds.yaml", FUNDS)
    write(tmp_path, "gongxin.yaml", POLICIES)
    first = compile_policy_set(tmp_path).digest
    write(tmp_path, "gongxin.yaml", POLICIES.replace("1万", "2万"))
    assert compile_policy_set(tmp_path).digest != first


def test_errors_from_all_files_come_together(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        "version: 1\npolicies:\n  - {id: A, title: t, fund: nope, eligibility: employes > 1, amount: 1}\n",
    )
    write(tmp_path, "b.yaml", "version: 1\nbogus: 1\n")
    with pytest.raises(PolicyError) as info:
        compile_policy_set(tmp_path)
    assert sorted(d.code for d in info.value.diagnostics) == ["PM101", "PM201", "PM303"]
    assert {Path(str(d.file)).name for d in info.value.diagnostics} == {"a.yaml", "b.yaml"}


def test_block_scalar_expression_positions(tmp_path: Path) -> None:
    write(
        tmp_path,
        "p.yaml",
        "version: 1\nfunds: [{id: f, title: t}]\npolicies:\n  - id: A\n    title: t\n    fund: f\n"
        "    eligibility: |\n      employees > 1 and\n      revenu > 2\n    amount: 1\n",
    )
    with pytest.raises(PolicyError) as info:
        compile_policy_set(tmp_path)
    (diag,) = info.value.diagnostics
    assert diag.span is not None
    assert (diag.span.line, diag.span.col) == (9, 7)


def test_quoted_number_hint_says_remove_the_quotes(tmp_path: Path) -> None:
    write(
        tmp_path,
        "p.yaml",
        "version: 1\nfunds: [{id: f, title: t}]\npolicies:\n  - {id: A, title: t, fund: f, eligibility: 'employees < \"1\"', amount: 1}\n",
    )
    with pytest.raises(PolicyError) as info:
        compile_policy_set(tmp_path)
    (diag,) = info.value.diagnostics
    assert diag.hint == "numbers are written without quotes, e.g. employees >= 10"


def test_examples_are_checked_even_when_the_amount_is_wrong(tmp_path: Path) -> None:
    write(
        tmp_path,
        "p.yaml",
        "version: 1\nfunds: [{id: f, title: t}]\npolicies:\n  - id: A\n    title: t\n    fund: f\n"
        "    eligibility: employees > 1\n    amount: revenu\n    examples:\n"
        "      - {name: x, as_of: 2024-01-01, enterprise: {employees: 0}, eligible: false, fails: [人数]}\n",
    )
    with pytest.raises(PolicyError) as info:
        compile_policy_set(tmp_path)
    assert sorted(d.code for d in info.value.diagnostics) == ["PM107", "PM201"]


def _reading(extra: int) -> str:
    """A set whose one policy reads employees and ``extra`` added integer fields."""
    fields = "".join(f"    f{i}: {{type: integer, label: 字段{i}}}\n" for i in range(extra))
    condition = " and ".join(["employees >= 1", *(f"f{i} >= 1" for i in range(extra))])
    return f"""
version: 1
funds:
  - {{id: pool, title: 资金池}}
schema:
  fields:
{fields}policies:
  - id: WIDE
    title: 字段多
    fund: pool
    eligibility: {condition}
    amount: 1
"""


def test_a_set_reads_at_most_62_registry_fields(tmp_path: Path) -> None:
    (tmp_path / "ok").mkdir()
    write(tmp_path / "ok", "p.yaml", _reading(61))
    assert len(ir.registry_fields(compile_policy_set(tmp_path / "ok").policies)) == 62
    (tmp_path / "wide").mkdir()
    write(tmp_path / "wide", "p.yaml", _reading(62))
    with pytest.raises(PolicyError) as caught:
        compile_policy_set(tmp_path / "wide")
    assert [d.code for d in caught.value.diagnostics] == ["PM310"]
    assert "the policies read 63 registry fields; at most 62 are allowed" in str(caught.value)
