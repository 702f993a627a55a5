"""The preview as one self-contained HTML page: tables and inline SVG charts, no network.

The figures are also embedded as JSON (``<script type="application/json" id="preview-data">``)
so that a test or another county system reads the same numbers the charts draw.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path

from ..errors import UsageError, simple
from ..moneytext import fen_text
from .compare import EnterpriseRow, GroupRow, PolicyRow, Preview
from .files import changes_text
from .terminal import percent, signed

PAGE = "preview.html"
ROWS_SHOWN = 50
BEFORE_COLOR, AFTER_COLOR, GAIN_COLOR, LOSS_COLOR = "#9aa5b1", "#1f6feb", "#2da44e", "#cf222e"

_STYLE = """
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif;margin:24px;color:#1f2328}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #d0d7de;padding:3px 8px;white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f6f8fa}.gain{color:#1a7f37}.loss{color:#cf222e}.legend span{margin-right:16px}
svg text{font-size:12px}
"""


def _bars(
    title: str, items: Sequence[tuple[str, int, int]], budgets: Sequence[int | None] = ()
) -> str:
    """Horizontal paired bars (before grey, after blue) of money per label; a dashed line marks
    each label's budget where ``budgets`` gives one."""
    if not items:
        return ""
    width, label_w, bar_h = 900, 260, 10
    top = max([max(b, a) for _, b, a in items] + [x for x in budgets if x is not None]) or 1
    height = len(items) * (2 * bar_h + 10) + 10
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    scale = (width - label_w - 120) / top
    for i, (label, before, after) in enumerate(items):
        y = 10 + i * (2 * bar_h + 10)
        parts.append(f'<text x="0" y="{y + bar_h + 4}">{escape(label[:22])}</text>')
        budget = budgets[i] if i < len(budgets) else None
        if budget is not None:
            bx = label_w + budget * scale
            parts.append(
                f'<line class="budget" x1="{bx:.1f}" y1="{y - 3}" x2="{bx:.1f}" '
                f'y2="{y + 2 * bar_h + 1}" stroke="{LOSS_COLOR}" stroke-dasharray="3,2" '
                f'data-fen="{budget}"><title>预算 {fen_text(budget)}</title></line>'
            )
        for j, (value, color) in enumerate(((before, BEFORE_COLOR), (after, AFTER_COLOR))):
            w = max(value * scale, 0)
            yy = y + j * bar_h
            parts.append(
                f'<rect class="bar" x="{label_w}" y="{yy}" width="{w:.1f}" height="{bar_h - 1}" '
                f'fill="{color}" data-fen="{value}"/>'
                f'<text x="{label_w + w + 4:.1f}" y="{yy + bar_h - 1}">{fen_text(value)}</text>'
            )
    parts.append("</svg>")
    return f"<h3>{escape(title)}</h3>" + _legend() + "".join(parts)


def _deltas(title: str, items: Sequence[tuple[str, int]]) -> str:
    """Bars left (less) or right (more) of a zero line, one per label."""
    if not items:
        return ""
    width, label_w, bar_h = 900, 160, 14
    top = max(abs(d) for _, d in items) or 1
    half = (width - label_w - 200) / 2
    zero = label_w + 100 + half
    height = len(items) * (bar_h + 6) + 10
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{zero}" y1="0" x2="{zero}" y2="{height}" stroke="#57606a"/>',
    ]
    for i, (label, delta) in enumerate(items):
        y = 6 + i * (bar_h + 6)
        w = abs(delta) / top * half
        x = zero if delta >= 0 else zero - w
        color = GAIN_COLOR if delta >= 0 else LOSS_COLOR
        tx = zero + w + 4 if delta >= 0 else zero - w - 4
        anchor = "start" if delta >= 0 else "end"
        parts.append(
            f'<text x="0" y="{y + bar_h - 3}">{escape(label)}</text>'
            f'<rect class="delta" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{color}" data-fen="{delta}"/>'
            f'<text x="{tx:.1f}" y="{y + bar_h - 3}" text-anchor="{anchor}">{signed(delta)}</text>'
        )
    parts.append("</svg>")
    return f"<h3>{escape(title)}</h3>" + "".join(parts)


def _legend() -> str:
    return (
        f'<p class="legend"><span style="color:{BEFORE_COLOR}">■ 现行</span>'
        f'<span style="color:{AFTER_COLOR}">■ 拟议</span></p>'
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for v in row:
            if isinstance(v, int):
                cells.append(f'<td class="n">{v}</td>')
            elif isinstance(v, _Money):
                cls = "n" + (" gain" if v.signed and v.fen > 0 else "")
                cls += " loss" if v.signed and v.fen < 0 else ""
                text = signed(v.fen) if v.signed else fen_text(v.fen)
                cells.append(f'<td class="{cls}" data-fen="{v.fen}">{text}</td>')
            else:
                cells.append(f"<td>{escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class _Money:
    def __init__(self, fen: int, signed: bool = False) -> None:
        self.fen, self.signed = fen, signed


def _demand(p: PolicyRow) -> tuple[_Money, _Money] | tuple[str, str]:
    shown = p.round_demand
    return ("—", "—") if shown is None else (_Money(shown.before), _Money(shown.after))


def _people(rows: Sequence[EnterpriseRow]) -> str:
    shown = [
        (e.uscc, e.name, e.region, e.section, _Money(e.granted.before), _Money(e.granted.after),
         _Money(e.granted.delta, True), changes_text(e))
        for e in rows[:ROWS_SHOWN]
    ]  # fmt: skip
    more = f"<p>共 {len(rows)} 户，此处列出前 {ROWS_SHOWN} 户；完整名单见 CSV 文件。</p>"
    headers = (
        "统一社会信用代码",
        "企业名称",
        "行政区划",
        "行业门类",
        "现行",
        "拟议",
        "变化",
        "各政策",
    )
    return _table(headers, shown) + (more if len(rows) > ROWS_SHOWN else "")


def _group_table(rows: Sequence[GroupRow], what: str) -> str:
    return _table(
        (what, "企业（户）", "多得（户）", "少得（户）", "现行（元）", "拟议（元）", "变化（元）"),
        [
            (g.key, g.enterprises, g.gainers, g.losers, _Money(g.granted.before),
             _Money(g.granted.after), _Money(g.granted.delta, True))
            for g in rows
        ],
    )  # fmt: skip


def data_of(pv: Preview) -> dict[str, object]:
    """The page's figures as plain JSON (money in integer fen)."""
    return {
        "as_of": pv.as_of.isoformat(),
        "totals": {
            k: {"before": pv.total(k).before, "after": pv.total(k).after}
            for k in ("eligible", "grants", "demand", "granted")
        },
        "policies": {
            p.id: {
                "status": p.status,
                "granted": [p.granted.before, p.granted.after],
                "demand": [p.demand.before, p.demand.after],
                "grants": [p.grants.before, p.grants.after],
            }
            for p in pv.policies
        },
        "funds": {
            f.id: {
                "rate": [str(f.rate[0]), str(f.rate[1])],
                "granted": [f.granted.before, f.granted.after],
            }
            for f in pv.funds
        },
        "gainers": len(pv.gainers),
        "losers": len(pv.losers),
    }


def render(pv: Preview) -> str:
    b, a = pv.base_label, pv.proposed_label
    g, d, n = pv.total("granted"), pv.total("demand"), pv.total("grants")
    policies = _table(
        ("政策编号", "政策名称", "状态", "资金", "符合条件 现行", "拟议", "兑现户 现行", "拟议",
         "应兑现 现行", "拟议", "兑现 现行", "拟议", "变化", "待补数据 现行", "拟议"),
        [
            (p.id, p.title, p.status, p.fund, p.eligible.before, p.eligible.after,
             p.grants.before, p.grants.after, *_demand(p),
             _Money(p.granted.before), _Money(p.granted.after), _Money(p.granted.delta, True),
             p.unknown.before, p.unknown.after)
            for p in pv.policies
        ],
    )  # fmt: skip
    funds = _table(
        ("资金", "名称", "预算", "应兑现 现行", "拟议", "兑现 现行", "拟议", "缺口 现行", "拟议",
         "核减比例 现行", "拟议"),
        [
            (f.id, f.title, "不限" if f.budget[1] is None else fen_text(f.budget[1]),
             _Money(f.demand.before), _Money(f.demand.after), _Money(f.granted.before),
             _Money(f.granted.after), _Money(f.shortfall.before), _Money(f.shortfall.after),
             percent(f.rate[0]), percent(f.rate[1]))
            for f in pv.funds
        ],
    )  # fmt: skip
    reach = "".join(
        f"<h3>{escape(r.policy.id)} {escape(r.policy.title)}</h3>"
        f"<p>符合条件 {r.policy.eligible.after} 户，兑现 {r.policy.grants.after} 户，"
        f"应兑现 {fen_text(r.policy.demand.after)} 元，兑现 {fen_text(r.policy.granted.after)} 元，"
        f"待补数据 {r.policy.unknown.after} 户，临界 {r.near_miss} 户。</p>"
        + _table(
            ("乡镇（行政区划）", "兑现（户）", "金额（元）"),
            [(k, c, _Money(f)) for k, c, f in r.regions],
        )
        + _table(
            ("行业门类", "兑现（户）", "金额（元）"), [(k, c, _Money(f)) for k, c, f in r.sections]
        )
        for r in pv.new
    )
    reg = pv.proposed.registry
    body = f"""
<h1>政策沙盘：{escape(b)} 与 {escape(a)} 政策集对比</h1>
<p>基准日期 {pv.as_of.isoformat()}；登记表 {escape(str(reg.source))}（{len(pv.proposed.frame)} 户参与匹配）；
台账记录 {pv.proposed.ledger_grants} 笔。本页只是测算，不写台账。</p>
<table><thead><tr><th>合计</th><th>{escape(b)}</th><th>{escape(a)}</th><th>变化</th></tr></thead><tbody>
<tr><td>兑现户次</td><td class="n">{n.before}</td><td class="n">{n.after}</td><td class="n">{n.delta:+d}</td></tr>
<tr><td>应兑现金额（元）</td><td class="n" id="demand-before">{fen_text(d.before)}</td><td class="n" id="demand-after">{fen_text(d.after)}</td><td class="n">{signed(d.delta)}</td></tr>
<tr><td>兑现金额（元）</td><td class="n" id="granted-before">{fen_text(g.before)}</td><td class="n" id="granted-after">{fen_text(g.after)}</td><td class="n">{signed(g.delta)}</td></tr>
</tbody></table>
<p>多得的企业 {len(pv.gainers)} 户，少得的企业 {len(pv.losers)} 户。</p>
<h2>按政策</h2>
{_bars("各政策兑现金额（元）", [(f"{p.id} {p.title}", p.granted.before, p.granted.after) for p in pv.policies])}
{policies}
<h2>资金池与预算</h2>
<p>核减比例：资金池预算不足时，被核减的那一级优先级按这个比例兑现（100% 为全额）。</p>
{_bars("各资金池应兑现金额（元；红色虚线为预算）", [(f.id, f.demand.before, f.demand.after) for f in pv.funds], [f.budget[1] for f in pv.funds])}
{funds}
<h2>按乡镇（行政区划）</h2>
{_deltas("兑现金额变化（元）", [(r.key, r.granted.delta) for r in pv.regions])}
{_group_table(pv.regions, "行政区划")}
<h2>按行业门类</h2>
{_deltas("兑现金额变化（元）", [(s.key, s.granted.delta) for s in pv.sections])}
{_group_table(pv.sections, "行业门类")}
<h2>新政策的覆盖和成本</h2>
{reach or "<p>没有新增政策。</p>"}
<h2>多得的企业</h2>
{_people(pv.gainers)}
<h2>少得的企业</h2>
{_people(pv.losers)}
"""
    data = json.dumps(data_of(pv), ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>政策沙盘 {pv.as_of.isoformat()}</title><style>{_STYLE}</style></head><body>"
        f"{body}"
        f'<script type="application/json" id="preview-data">{data}</script>'
        "</body></html>\n"
    )


def write_page(pv: Preview, out_dir: Path) -> str:
    try:
        (out_dir / PAGE).write_text(render(pv), encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            [simple("PM903", f"cannot write the preview into '{out_dir}': {exc}")]
        ) from exc
    return PAGE
