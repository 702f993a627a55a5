"""Small builders for the durable backend's tests: policies, policy sets, records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from policymatch.backends.durable.cond import AllOf, AnyOf, Cond
from policymatch.registry.uscc import make_uscc
from policymatch.rules import PolicySet, ir
from policymatch.rules.ir import T
from policymatch.rules.printer import to_text
from policymatch.schema import STANDARD_SCHEMA, Schema
from policymatch.values import Value

#: A policy set as a county writes one: defines, tiers, caps, groups, modes, an expired policy.
POLICIES = """\
version: 1
funds:
  - {id: pool, title: 资金池, budget: 2000万}
defaults:
  issuer: 县工信局
  fund: pool
  effective: {from: 2023-01-01, to: 2025-12-31}
define:
  本地企业: region == "361126" and not credit_blacklisted
policies:
  - id: SG
    title: 首次升规入统奖励
    eligibility:
      all:
        - 本地企业
        - label: 上年首次纳入规上
          when: above_scale_since == year(as_of) - 1
        - industry startswith "C"
    amount: 10万
  - id: ZJ
    title: 专精特新奖励
    stacking_group: 专精特新
    eligibility: {all: [本地企业, '"专精特新" in tags']}
    amount: 10万
  - id: XJR
    title: 专精特新小巨人奖励
    stacking_group: 专精特新
    eligibility: {all: [本地企业, '"专精特新小巨人" in tags']}
    amount: 50万
  - id: YF
    title: 研发投入奖励
    frequency: yearly
    eligibility:
      all:
        - 本地企业
        - rd_expense >= 100万
        - label: 研发强度达标
          when: rd_expense >= revenue * 3%
    amount: rd_expense * 5%
    cap: 50万
  - id: NS
    title: 纳税贡献奖励
    frequency: yearly
    eligibility: 本地企业
    amount:
      tiers:
        - {when: tax_paid >= 5000万, value: 50万}
        - {when: tax_paid >= 1000万, value: 20万}
        - {when: tax_paid >= 500万, value: 10万}
  - id: WM
    title: 外贸出口奖励
    mode: 即申即享
    frequency: yearly
    eligibility: {all: [本地企业, export_value >= 500万]}
    amount: export_value * 0.5%
    cap: 30万
  - id: KX
    title: 科技型中小企业补助
    eligibility: {all: [本地企业, '"科技型中小企业" in tags', age_years < 3]}
    amount: 2万
  - id: OLD
    title: 过期政策
    effective: {from: 2020-01-01, to: 2021-12-31}
    eligibility: 本地企业
    amount: 1000
"""

AS_OF = dt.date(2024, 3, 1)
USCC = make_uscc("91361126MA35G2K65")


def uscc(n: int) -> str:
    return make_uscc(f"91361126MA{n:07d}")


def field(name: str, schema: Schema = STANDARD_SCHEMA) -> ir.Field:
    return ir.Field(name, schema[name].type)


def const(value: object) -> ir.Const:
    if isinstance(value, bool):
        return ir.Const(value, T.BOOL)
    if isinstance(value, str):
        return ir.Const(value, T.TEXT)
    if isinstance(value, dt.date):
        return ir.Const(value, T.DATE)
    return ir.Const(Decimal(value), T.NUMBER)  # type: ignore[arg-type]


def compare(op: str, name: str, value: object, schema: Schema = STANDARD_SCHEMA) -> ir.Expr:
    expr = ir.Compare(op, field(name, schema), const(value))
    return ir.Labeled(to_text(expr), expr)


def policy(
    policy_id: str,
    eligibility: ir.Expr,
    amount: ir.Amount | None = None,
    *,
    frequency: ir.Frequency = ir.Frequency.ONCE,
    stacking_group: str | None = None,
    mode: ir.Mode = ir.Mode.AUTOMATIC,
) -> ir.Policy:
    return ir.Policy(
        id=policy_id,
        title=f"政策 {policy_id}",
        issuer="县工信局",
        basis="",
        fund="huiqi-pool",
        mode=mode,
        effective_from=None,
        effective_to=None,
        priority=100,
        frequency=frequency,
        stacking_group=stacking_group,
        eligibility=eligibility,
        amount=amount or ir.Amount(expr=const(100000)),
        cap=None,
        budget=None,
        examples=(),
        file="test.yaml",
        line=1,
    )


def policy_set(policies: tuple[ir.Policy, ...], schema: Schema = STANDARD_SCHEMA) -> PolicySet:
    return PolicySet(policies=policies, funds={}, schema=schema, sources=(), digest="test")


def record(uscc_: str = USCC, **values: Value) -> dict[str, Value]:
    return {"uscc": uscc_, **values}


def holds(cond: Cond, fact: Mapping[str, int | str]) -> bool:
    """``cond`` on an encoded fact, evaluated in Python as durable_rules evaluates it.

    Python compares strings by code point, which is the byte order of their UTF-8 that
    durable's ``strcmp`` sees.
    """
    if isinstance(cond, AllOf):
        return all(holds(p, fact) for p in cond.parts)
    if isinstance(cond, AnyOf):
        return any(holds(p, fact) for p in cond.parts)
    value, other = fact[cond.attr], cond.value
    compare = {
        "$eq": lambda: value == other,
        "$neq": lambda: value != other,
        "$lt": lambda: value < other,  # type: ignore[operator]
        "$lte": lambda: value <= other,  # type: ignore[operator]
        "$gt": lambda: value > other,  # type: ignore[operator]
        "$gte": lambda: value >= other,  # type: ignore[operator]
    }
    return bool(compare[cond.op]())


def write_policies(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policies.yaml").write_text(POLICIES, encoding="utf-8")
    return folder
