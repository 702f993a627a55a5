"""The preview's summary for the terminal, in Chinese: totals, policies, funds, who gains and
loses, and the reach of each new policy."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from ..moneytext import fen_text
from ..texttable import text_table
from .compare import Pair, Preview

TOP = 5


def signed(fen: int) -> str:
    return ("+" if fen > 0 else "") + fen_text(fen)


def percent(rate: Fraction) -> str:
    value = Decimal(rate.numerator) * 100 / Decimal(rate.denominator)
    return f"{value.quantize(Decimal('0.01'))}%"


def _money(p: Pair) -> tuple[str, str, str]:
    return fen_text(p.before), fen_text(p.after), signed(p.delta)


def _count(p: Pair) -> str:
    return f"{p.before} → {p.after}"


def summary_text(pv: Preview, files: list[str]) -> str:
    reg = pv.proposed.registry
    b, a = pv.base_label, pv.proposed_label
    out = [
        f"政策沙盘：基准日期 {pv.as_of.isoformat()}，登记表 {reg.source}"
        f"（{len(pv.proposed.frame)} 户参与匹配，{len(reg.rejected)} 行数据问题），"
        f"台账记录 {pv.proposed.ledger_grants} 笔；不写台账。",
        f"{b}：{len(pv.base.policy_set.policies)} 条政策；{a}：{len(pv.proposed.policy_set.policies)} 条政策。",
        "",
    ]
    grants = pv.total("grants")
    totals = [
        ("兑现户次", str(grants.before), str(grants.after), f"{grants.delta:+d}"),
        ("应兑现金额（元）", *_money(pv.total("demand"))),
        ("兑现金额（元）", *_money(pv.total("granted"))),
    ]
    out.append(text_table(("合计", b, a, "变化"), totals))
    rows = [
        (p.id, p.title, p.status, _count(p.eligible), *_money(p.granted))
        for p in pv.policies
        if p.status != "未变" or p.granted.delta or p.eligible.delta
    ]
    out.append("有变化的政策：" + ("无" if not rows else ""))
    if rows:
        out.append(
            text_table(
                ("政策编号", "政策名称", "状态", "符合条件（户）", b, a, "兑现金额变化"), rows
            )
        )
    funds = [
        (
            f.id,
            "不限" if f.budget[1] is None else fen_text(f.budget[1]),
            *_money(f.demand),
            fen_text(f.shortfall.after),
            f"{percent(f.rate[0])} → {percent(f.rate[1])}",
        )
        for f in pv.funds
    ]
    out.append(
        "资金池（应兑现金额；缺口为拟议下预算不够付的金额；核减比例为资金不足时被核减那一级"
        "按比例兑现的比例）："
    )
    out.append(text_table(("资金", "预算（元）", b, a, "变化", "缺口（元）", "核减比例"), funds))
    gain, lose = pv.gainers, pv.losers
    out.append(
        f"多得的企业 {len(gain)} 户，共多得 {fen_text(sum(e.granted.delta for e in gain))} 元；"
        f"少得的企业 {len(lose)} 户，共少得 {fen_text(-sum(e.granted.delta for e in lose))} 元。"
    )
    for title, people in (("多得最多", gain[:TOP]), ("少得最多", lose[:TOP])):
        if people:
            out.append(f"{title}：")
            out.append(
                text_table(
                    ("统一社会信用代码", "企业名称", b, a, "变化"),
                    [(e.uscc, e.name, *_money(e.granted)) for e in people],
                )
            )
    for r in pv.new:
        p = r.policy
        where = "、".join(f"{k} {n} 户" for k, n, _ in r.regions[:3]) or "无"
        trades = "、".join(f"{k} 门类 {n} 户" for k, n, _ in r.sections[:3]) or "无"
        asked = p.round_demand
        demand = "—（推送清单政策，不占预算）" if asked is None else f"{fen_text(asked.after)} 元"
        out.append(
            f"新政策 {p.id} {p.title}：符合条件 {p.eligible.after} 户，兑现 {p.grants.after} 户，"
            f"应兑现 {demand}，兑现 {fen_text(p.granted.after)} 元；"
            f"待补数据 {p.unknown.after} 户，临界 {r.near_miss} 户。主要乡镇：{where}；"
            f"主要行业：{trades}。"
        )
    out.append("")
    out.append("文件：" + "、".join(files))
    return "\n".join(out) + "\n"
