"""What a round does with one enterprise's eligible policies, in words: the ledger, stacking and
budget steps that come after eligibility and the amount (``policymatch explain``).

The budget lines show the exact computation the allocation made, with its numbers::

    资金池 huiqi-pool（预算 20,000,000.00 元）：优先级 100 应兑现合计 150,123,456.78 元，
      剩余预算 12,345,678.90 元，按比例核减：
      100,000.00 × 12,345,678.90 ÷ 150,123,456.78 = 8,223.69 元（向下取到分）
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..moneytext import money
from .allocate import REASON_TEXT, BudgetUse, Candidate, Reason
from .draft import Draft
from .held import missing_text

BUDGET = (Reason.POLICY_BUDGET, Reason.FUND_BUDGET)
NOTE = "（草稿：复核、公示后经 policymatch commit 记入台账才算兑现）"
#: The same line of a round already committed (``policymatch explain --round`` on it).
COMMITTED_NOTE = "（本轮已记入台账）"


def _yuan(fen: int) -> str:
    return money(Decimal(fen) / 100)


def _scaled(amount: int, factor: tuple[int, int]) -> tuple[int, str]:
    budget, demand = factor
    result = amount * budget // demand
    line = f"{_yuan(amount)} × {_yuan(budget)} ÷ {_yuan(demand)} = {_yuan(result)}（向下取到分）"
    return result, line


def _budget_steps(draft: Draft, c: Candidate) -> tuple[int, list[str]]:
    """The policy budget and fund budget steps for one candidate: its amount after them."""
    t = draft.terms[c.policy_id]
    alloc = draft.allocation
    lines: list[str] = []
    amount = c.demand_fen
    policy_use = next((u for u in alloc.policy_budgets if u.id == c.policy_id), None)
    if policy_use is not None:
        head = f"  政策预算 {_yuan(policy_use.budget_fen or 0)}，应兑现合计 {_yuan(policy_use.demand_fen)}"
        if policy_use.factor is None:
            lines.append(head + "：足额安排")
        else:
            amount, calc = _scaled(amount, policy_use.factor)
            lines += [head + "，按比例核减：", "    " + calc]
    fund: BudgetUse = next(u for u in alloc.fund_budgets if u.id == t.fund)
    if fund.budget_fen is None:
        lines.append(f"  资金 {t.fund} 不设预算：足额安排")
    elif fund.scaled_level is None or t.priority < fund.scaled_level:
        lines.append(
            f"  资金池 {t.fund}（预算 {_yuan(fund.budget_fen)}）：优先级 {t.priority} 足额安排"
        )
    elif t.priority > fund.scaled_level:
        amount = 0
        lines.append(
            f"  资金池 {t.fund}（预算 {_yuan(fund.budget_fen)}）已用于优先级 "
            f"{fund.scaled_level} 及以前的政策，优先级 {t.priority} 未获安排"
        )
    else:
        assert fund.factor is not None
        left, level = fund.factor
        amount, calc = _scaled(amount, fund.factor)
        lines += [
            f"  资金池 {t.fund}（预算 {_yuan(fund.budget_fen)}）：优先级 {t.priority} "
            f"应兑现合计 {_yuan(level)}，剩余预算 {_yuan(left)}，按比例核减：",
            "    " + calc,
        ]
    return amount, lines


def round_effects(draft: Draft, uscc: str, *, committed: bool = False) -> dict[str, list[str]]:
    """Lines per policy id for the enterprise ``uscc``: what the round pays it, or why not;
    ``committed``: the round is in the ledger (its grants are not a draft any more)."""
    note = COMMITTED_NOTE if committed else NOTE
    alloc = draft.allocation
    out: dict[str, list[str]] = {}
    for g in alloc.grants:
        c = g.candidate
        if c.uscc == uscc:
            amount, lines = _budget_steps(draft, c)
            assert amount == g.amount_fen  # the words say what the allocation did
            out[c.policy_id] = [*lines, f"  本轮兑现 {_yuan(g.amount_fen)}{note}"]
    for c in alloc.push:
        if c.uscc == uscc:
            mode = draft.policy_set.policy(c.policy_id).mode.value
            out[c.policy_id] = [
                f"  列入推送清单（{mode}）：测算金额 {_yuan(c.demand_fen)}，不占本轮预算，"
                "企业确认后在以后的轮次兑现"
            ]
    for h in alloc.held:
        c = h.candidate
        if c.uscc == uscc:
            issuer = draft.policy_set.policy(c.policy_id).issuer or "责任单位"
            out[c.policy_id] = [
                f"  待补正，本轮不兑现：{missing_text(h.missing)}（请 {issuer} 补正登记数据）；"
                f"不占本轮预算，补正后在以后的轮次兑现 {_yuan(c.demand_fen)}"
            ]
    for e in alloc.excluded:
        c = e.candidate
        if c.uscc != uscc:
            continue
        group = draft.terms[c.policy_id].stacking_group
        detail = {
            Reason.PAID_BEFORE: f"（台账轮次 {e.other[:12]}）",
            Reason.PAID_THIS_YEAR: f"（{draft.as_of.year} 年，台账轮次 {e.other[:12]}）",
            Reason.GROUP_PAID: f"（不重复享受组“{group}”，已享受 {e.other}）",
            Reason.GROUP_IN_ROUND: f"（不重复享受组“{group}”，本轮按 {e.other} 兑现）",
        }.get(e.reason, "")
        steps = _budget_steps(draft, c)[1] if e.reason in BUDGET else []
        out[c.policy_id] = [*steps, f"  本轮不兑现：{REASON_TEXT[e.reason]}{detail}"]
    return out


@dataclass(frozen=True)
class RoundEffect:
    """What a round does with one eligible enterprise x policy, as data.

    ``status``: ``granted`` (paid by the round: ``amount_fen`` may be below ``demand_fen`` when
    a budget scaled it), ``push`` (a 即申即享/承诺兑现 policy: on the push list, paid in a later
    round once the enterprise confirms), ``held`` (待补正: no name or payable bank account in the
    registry; paid in a later round once completed) or ``excluded`` (not paid; ``reason`` is the stable
    code of :class:`~policymatch.rounds.allocate.Reason`). ``lines`` are the steps in Chinese.
    """

    status: str
    demand_fen: int
    amount_fen: int
    reason: str | None
    reason_text: str | None
    other: str | None
    lines: tuple[str, ...]
    ledger: str


def effect_of(
    draft: Draft, uscc: str, policy_id: str, *, committed: bool = False
) -> RoundEffect | None:
    """The round's effect on ``uscc`` x ``policy_id``; None when the pair is not due anything
    (not eligible, an amount of zero, or the policy not in force). ``committed``: as
    :func:`round_effects`."""
    lines = tuple(round_effects(draft, uscc, committed=committed).get(policy_id, ()))
    alloc = draft.allocation
    for g in alloc.grants:
        c = g.candidate
        if c.uscc == uscc and c.policy_id == policy_id:
            return RoundEffect(
                "granted", c.demand_fen, g.amount_fen, None, None, None, lines, draft.ledger
            )
    for c in alloc.push:
        if c.uscc == uscc and c.policy_id == policy_id:
            return RoundEffect("push", c.demand_fen, 0, None, None, None, lines, draft.ledger)
    for h in alloc.held:
        c = h.candidate
        if c.uscc == uscc and c.policy_id == policy_id:
            text = f"待补正：{missing_text(h.missing)}"
            return RoundEffect("held", c.demand_fen, 0, "held", text, None, lines, draft.ledger)
    for e in alloc.excluded:
        c = e.candidate
        if c.uscc == uscc and c.policy_id == policy_id:
            return RoundEffect(
                "excluded",
                c.demand_fen,
                0,
                e.reason.value,
                REASON_TEXT[e.reason],
                e.other or None,
                lines,
                draft.ledger,
            )
    return None
