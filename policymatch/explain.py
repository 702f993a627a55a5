"""Why one enterprise does or does not qualify for one policy, in words a policy author reads.

:func:`explain` evaluates the policy for one record with the reference evaluator and keeps
every step: each labelled condition with the values it saw and whether it held (是/否/未知),
the conditions that group them (全部满足 / 满足其一 / 不满足), and the amount's derivation (the
tiers tried, the raw amount, the cap, the amount rounded to the fen). :meth:`Explanation.render`
lays it out as text, field names with their Chinese labels from the schema::

    政策 YY-KJ-2023-04《研发投入奖励》  企业 91361126MA35XXXX 弋阳县某某科技有限公司  截至 2024-03-01
    结论：符合，兑现 50,000.00 元
    条件：
      [是]   本地企业
               行政区划代码 region = 361126；严重失信主体 credit_blacklisted = 否
      [是]   研发费用不少于100万
               上年研发费用 rd_expense = 1,000,000.00 元
    金额：
      计算   rd_expense * 0.05 = 50,000.00 元
      上限   500,000.00 元，未超过
      结果   50,000.00 元（四舍五入到分）
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .backends.nearmiss import sentence, shown_values
from .backends.reference import Env, Outcome, evaluate, evaluate_policy
from .errors import display_width
from .moneytext import money
from .rules import ir
from .rules.printer import to_text
from .schema import FieldType, Schema
from .values import Value

if TYPE_CHECKING:
    from .rounds.effects import RoundEffect

#: The version of :meth:`Explanation.to_dict`'s form (docs/json-schema.md); raised when a
#: key changes meaning or goes away, not when one is added.
JSON_VERSION = 1

HELD = {True: "是", False: "否", None: "未知"}
GROUP = {ir.And: "全部满足", ir.Or: "满足其一", ir.Not: "不满足"}


@dataclass(frozen=True)
class Condition:
    """One line of the condition tree: a labelled condition, or a group of them."""

    depth: int
    label: str
    held: bool | None
    #: The fields a labelled condition reads, with the values it saw (empty for groups).
    inputs: tuple[tuple[str, Any], ...] = ()
    group: bool = False


@dataclass(frozen=True)
class TierStep:
    index: int  # 0-based position in the policy; shown to people (and in JSON) from 1
    when: str
    held: bool | None
    inputs: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Derivation:
    """How the amount came about (only for an eligible enterprise)."""

    #: The expression of the amount (or of the chosen tier's value); None when no tier was
    #: reached.
    formula: ir.Expr | None
    #: The fields the formula reads, with their values.
    inputs: tuple[tuple[str, Any], ...]
    tiers: tuple[TierStep, ...]
    raw: Decimal | None
    cap: Decimal | None
    amount: Decimal | None


@dataclass(frozen=True)
class Explanation:
    policy: ir.Policy
    record: Mapping[str, Value]
    as_of: dt.date
    schema: Schema
    in_force: bool
    outcome: Outcome
    conditions: tuple[Condition, ...]
    derivation: Derivation | None
    #: What a round on a registry and ledger does with it (None: no round was given, or the
    #: enterprise is due nothing under the policy).
    round_effect: RoundEffect | None = None
    #: Whether a round was given (so that "due nothing" can be told from "not asked").
    with_round: bool = False

    # The outcome's verdict, for callers that read it directly.
    @property
    def status(self) -> str:
        return self.outcome.status

    @property
    def eligible(self) -> bool | None:
        return self.outcome.eligible

    @property
    def amount(self) -> Decimal | None:
        return self.outcome.amount

    @property
    def missing(self) -> tuple[str, ...]:
        return self.outcome.missing

    @property
    def failed_top(self) -> tuple[str, ...]:
        return self.outcome.failed_top

    @property
    def paid_in_round(self) -> Decimal | None:
        """本轮兑现: what the round pays (after ledger, stacking, budget); None without a round."""
        if not self.with_round:
            return None
        e = self.round_effect
        return Decimal(e.amount_fen).scaleb(-2) if e is not None else Decimal("0.00")

    @property
    def read_out(self) -> str:
        """Which amount a caller should read out: ``round`` (本轮兑现) when a round was given,
        else ``computed`` (应兑现, before ledger, stacking and budget)."""
        return "round" if self.with_round else "computed"

    @property
    def headline(self) -> str:
        return _verdict(self)

    def render(self) -> str:
        return "\n".join(_render(self)) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready data (the form docs/json-schema.md documents)."""
        from .explain_json import explanation_dict

        return explanation_dict(self)

    def __str__(self) -> str:
        return self.render()


def explain(
    policy: ir.Policy,
    record: Mapping[str, Value],
    as_of: dt.date,
    schema: Schema,
    round_effect: RoundEffect | None = None,
    *,
    with_round: bool | None = None,
) -> Explanation:
    """Evaluate ``policy`` for one enterprise and keep every step (see the module docstring).

    ``round_effect``: what a round does with it (:func:`policymatch.rounds.effects.effect_of`);
    ``with_round`` says a round was asked even when it has no effect (default: whether an
    effect is given).
    """
    env = Env(record, as_of)
    outcome = evaluate_policy(policy, record, as_of, trace=True)
    lines: list[Condition] = []
    order = schema.names
    for top in ir.top_conditions(policy.eligibility):
        _conditions(top, env, 0, lines, order)
    derivation = _derivation(policy, env, outcome, order) if outcome.eligible else None
    return Explanation(
        policy,
        record,
        as_of,
        schema,
        policy.in_force(as_of),
        outcome,
        tuple(lines),
        derivation,
        round_effect,
        round_effect is not None if with_round is None else with_round,
    )


def _conditions(
    expr: ir.Expr, env: Env, depth: int, out: list[Condition], order: Sequence[str]
) -> None:
    held = evaluate(expr, env)
    if isinstance(expr, ir.Labeled):
        inner = expr.expr
        if any(isinstance(n, ir.Labeled) for n in ir.walk(inner)):
            out.append(Condition(depth, expr.label, held, group=True))
            _children(inner, env, depth + 1, out, order)
        else:
            out.append(Condition(depth, expr.label, held, _inputs(expr, env, order)))
        return
    if type(expr) in GROUP:
        out.append(Condition(depth, GROUP[type(expr)], held, group=True))
        _children(expr, env, depth + 1, out, order)
        return
    out.append(Condition(depth, to_text(expr), held, _inputs(expr, env, order)))


def _children(
    expr: ir.Expr, env: Env, depth: int, out: list[Condition], order: Sequence[str]
) -> None:
    if type(expr) in GROUP:
        for child in ir.children(expr):
            _conditions(child, env, depth, out, order)
    else:
        _conditions(expr, env, depth, out, order)


def _inputs(expr: ir.Expr, env: Env, order: Sequence[str]) -> tuple[tuple[str, Any], ...]:
    """The fields ``expr`` reads, in schema order, with their values."""
    names = ir.fields_of(expr)
    return tuple((name, env.get(name)) for name in order if name in names)


def _derivation(policy: ir.Policy, env: Env, outcome: Outcome, order: Sequence[str]) -> Derivation:
    amount = policy.amount
    steps: list[TierStep] = []
    formula = amount.expr
    for i, tier in enumerate(amount.tiers):
        held = evaluate(tier.when, env)
        when = tier.when.label if isinstance(tier.when, ir.Labeled) else to_text(tier.when)
        steps.append(TierStep(i, when, held, _inputs(tier.when, env, order)))
        if held is not False:
            formula = tier.value if held else None
            break
    inputs = _inputs(formula, env, order) if formula is not None else ()
    return Derivation(
        formula, inputs, tuple(steps), outcome.demand_before_cap, policy.cap, outcome.amount
    )


# --- rendering ------------------------------------------------------------------------------


def _value(schema: Schema, name: str, value: Any) -> str:
    if value is None:
        return "（空）"
    field = schema.lookup(name)
    kind = field.type if field is not None else None
    if isinstance(value, bool):
        return "是" if value else "否"
    if kind is FieldType.MONEY:
        return money(Decimal(value))
    if kind is FieldType.RATE:
        return f"{(Decimal(value) * 100).normalize():f}%"
    if kind is FieldType.TAGS:
        order = field.values if field is not None else ()
        tags = sorted(value, key=lambda t: order.index(t) if t in order else len(order))
        return "、".join(tags) or "（无）"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _field_name(schema: Schema, name: str) -> str:
    field = schema.lookup(name)
    label = field.display if field is not None else name
    return name if label == name else f"{label} {name}"


def _verdict(e: Explanation) -> str:
    o = e.outcome
    if o.status == "eligible":
        assert o.amount is not None
        computed = f"结论：符合，应兑现 {money(o.amount)}"
        if not e.with_round:
            return computed + "（测算金额，未计台账、不重复享受和预算）"
        r = e.round_effect
        if r is not None and r.status == "push":
            return computed + "；本轮不兑现（列入推送清单，企业确认后兑现），以本轮兑现为准"
        paid = e.paid_in_round
        assert paid is not None
        why = f"（{r.reason_text}）" if r is not None and r.reason_text else ""
        return computed + f"；本轮兑现 {money(paid)}{why}，以本轮兑现为准"
    if o.status == "unknown":
        fields = "、".join(_field_name(e.schema, f) for f in o.missing) or "（无）"
        what = "金额" if o.eligible else "资格"
        return f"结论：数据缺失，{what}无法确定；待补：{fields}"
    if o.eligible:
        return "结论：条件满足，但金额为 0，不予兑现"
    failed = "、".join(o.failed_top)
    text = "结论：不符合" + (f"（不满足：{failed}）" if failed else "")
    near = o.near_miss
    if near is not None:
        ftype = e.schema[near.field].type if near.field in e.schema else FieldType.INTEGER
        label = e.schema[near.field].display if near.field in e.schema else near.field
        value, gap = shown_values(ftype, near.value, near.gap)
        text += f"；仅差这一项：{sentence(label, value, gap, near.ratio)}（列入临界企业名单）"
    return text


def _render(e: Explanation) -> list[str]:
    p = e.policy
    who = " ".join(str(e.record.get(k) or "") for k in ("uscc", "name")).strip() or "（未命名企业）"
    lines = [f"政策 {p.id}《{p.title}》  企业 {who}  截至 {e.as_of.isoformat()}"]
    if not e.in_force:
        period = f"{p.effective_from or '…'} 至 {p.effective_to or '…'}"
        lines.append(f"注意：该日期不在政策有效期（{period}）内，本次匹配不会考虑这项政策")
    lines.append(_verdict(e))
    lines.append("条件：")
    for c in e.conditions:
        pad = "  " * (c.depth + 1)
        mark = f"[{HELD[c.held]}]"
        lines.append(f"{pad}{mark}{' ' * (6 - display_width(mark))} {c.label}")
        if c.inputs:
            lines.append(f"{pad}         {_seen(e.schema, c.inputs)}")
    lines.extend(_render_amount(e))
    if e.round_effect is not None:
        lines.append("兑现：")
        lines.extend(e.round_effect.lines)
    return lines


def _render_amount(e: Explanation) -> list[str]:
    d = e.derivation
    if d is None:
        return [
            "金额：不计算（资格条件" + ("未满足）" if e.outcome.eligible is False else "无法确定）")
        ]
    lines = ["金额："]
    for step in d.tiers:
        lines.append(f"  第{step.index + 1}档  当 {step.when}：{HELD[step.held]}")
        lines.append(f"{' ' * 11}{_seen(e.schema, step.inputs)}")
    missing = "、".join(_field_name(e.schema, f) for f in e.outcome.missing)
    if d.tiers and d.tiers[-1].held is None:
        return [*lines, f"  金额未知：分档条件无法判断，待补 {missing}"]
    if d.formula is None:
        return [*lines, "  没有一档满足：金额为 0，不予兑现"]
    constant = isinstance(d.formula, ir.Const)
    if constant and d.raw is not None:
        lines.append(f"  定额   {_plain(d.raw)}")
    else:
        result = _plain(d.raw) if d.raw is not None else f"未知，待补 {missing}"
        lines.append(f"  计算   {_formula(d.formula)} = {result}")
        if d.inputs:
            lines.append(f"  取值   {_seen(e.schema, d.inputs)}")
    if d.raw is None:
        return lines
    if d.cap is not None:
        over = d.raw > d.cap
        lines.append(f"  上限   {money(d.cap)}，" + ("超过上限，按上限计" if over else "未超过"))
    assert d.amount is not None
    lines.append(f"  结果   {money(d.amount)}（四舍五入到分）")
    if d.amount <= 0:
        lines.append("  金额不大于 0，不予兑现")
    return lines


def _formula(expr: ir.Expr) -> str:
    """An amount's expression as text, without the parentheses around the whole."""
    text = to_text(expr)
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def _seen(schema: Schema, inputs: Sequence[tuple[str, Any]]) -> str:
    return "；".join(f"{_field_name(schema, n)} = {_value(schema, n, v)}" for n, v in inputs)


def _plain(value: Decimal) -> str:
    """A raw amount as computed, before rounding: all its digits, at least two decimals."""
    exponent = value.as_tuple().exponent
    digits = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{value:,.{digits}f} 元"
