"""``report.html``: one page that tells a person what a round does, with its charts inline.

Self-contained (no script, no font, no request to any server: it opens from a USB stick on an
offline machine), in Chinese: the fund pool (budget, granted, shortfall), each policy and each
issuing department (grants, amount, the share of demand paid), the grants by region code
(行政区划) and by industry section (GB/T 4754 门类), the distribution of amounts, what was not
paid and why, the grants held until the registry gives a name or account (待补正, by
department), the registry rows set aside, and links to the round's files. A registry that lacked
fields the policies read (allowed by ``--allow-missing``) is said at the top, in a warning block.

Every figure comes from the tables the files are written from, so the page agrees with
``summary.csv`` to the fen; each figure carries ``data-figure="<key>"`` so that tests (and other
programs) can read them back. Charts are small hand-made SVG bars. Every text from the registry
or the policies is HTML-escaped.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..moneytext import fen_text
from .draft import Draft, values_at
from .files import FILES
from .intake_notes import ignored_note, missing_note
from .lists import RoundLists
from .outputs import write_bytes
from .tables import Table, is_text_lookup

REPORT = "report.html"

#: GB/T 4754-2017 sections (门类), by the letter an industry code starts with.
SECTIONS = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}

#: Upper bounds (fen, exclusive) of the amount bands of the distribution.
BANDS = (
    (100_000, "1 千元以下"),
    (1_000_000, "1 千至 1 万元"),
    (5_000_000, "1 万至 5 万元"),
    (10_000_000, "5 万至 10 万元"),
    (50_000_000, "10 万至 50 万元"),
    (None, "50 万元及以上"),
)

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:24px;
color:#1f2933;max-width:1100px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:2px solid
#2f6fb2;padding-bottom:4px}
.meta{color:#52606d;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #cbd2d9;padding:3px 8px}th{background:#ddebf7;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:bold;border-top:2px solid #52606d}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #cbd2d9;border-radius:6px;padding:8px 14px;min-width:160px}
.card b{display:block;font-size:20px}
svg text{font-size:12px;font-family:inherit}
.warn{border:2px solid #c0392b;background:#fdecea;border-radius:6px;padding:8px 14px;margin:12px 0}
"""


@dataclass(frozen=True)
class Group:
    """Grants of one department, region or industry."""

    count: int = 0
    amount: int = 0
    demand: int = 0


def _num(key: str, text: str) -> str:
    return f'<td class="n" data-figure="{html.escape(key)}">{html.escape(text)}</td>'


def _yuan(key: str, fen: int | None) -> str:
    return _num(key, "" if fen is None else fen_text(fen, grouped=True))


def _count(key: str, n: int | None) -> str:
    return _num(key, "" if n is None else f"{n:,}")


def _rate(key: str, part: int, whole: int | None) -> str:
    """``part / whole`` as a percentage with two places, rounded down (as 预算使用率)."""
    if not whole:
        return _num(key, "")
    hundredths = part * 10_000 // whole
    return _num(key, f"{hundredths // 100}.{hundredths % 100:02d}%")


def _text(value: object) -> str:
    return "<td>" + html.escape("" if value is None else str(value)) + "</td>"


def _table(headers: Sequence[str], rows: Iterable[str], total: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(f"<tr>{r}</tr>" for r in rows)
    foot = f'<tr class="total">{total}</tr>' if total else ""
    return f"<table><tr>{head}</tr>{body}{foot}</table>"


def _grouped_yuan(fen: int) -> str:
    return fen_text(fen, grouped=True)


def bars(
    items: Sequence[tuple[str, int]], label: str = "", shown: Callable[[int], str] = _grouped_yuan
) -> str:
    """Horizontal bars, one per item, scaled to the largest value, each with ``shown(value)``
    at its end; inline SVG."""
    if not items:
        return ""
    top = max(v for _, v in items) or 1
    row, left, width = 22, 230, 420
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 130}" '
        f'height="{row * len(items) + 8}" role="img" aria-label="{html.escape(label)}">'
    ]
    for i, (name, value) in enumerate(items):
        y = 4 + i * row
        w = max(1, round(width * value / top)) if value else 0
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{html.escape(name[:18])}</text>'
            f'<rect x="{left}" y="{y + 2}" width="{w}" height="{row - 6}" fill="#2f6fb2"/>'
            f'<text x="{left + w + 6}" y="{y + 14}">{html.escape(shown(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _grouped(
    keys: Sequence[str], amounts: Sequence[int], demands: Sequence[int]
) -> dict[str, Group]:
    codes, uniques = pd.factorize(np.asarray(keys, dtype=object))
    count = np.bincount(codes, minlength=len(uniques))
    amount, demand = _sums(codes, amounts, len(uniques)), _sums(codes, demands, len(uniques))
    groups = zip(uniques, count.tolist(), amount.tolist(), demand.tolist(), strict=True)
    return dict(sorted((str(k), Group(c, a, d)) for k, c, a, d in groups))


def _sums(codes: np.ndarray, fen: Sequence[int], groups: int) -> np.ndarray:
    """``fen`` summed by group, in exact integers (money is never a float)."""
    out = np.zeros(groups, dtype=np.int64)
    np.add.at(out, codes, np.asarray(fen, dtype=np.int64))
    return out


def _group_table(
    kind: str, groups: Mapping[str, Group], names: Mapping[str, str] | None = None
) -> str:
    """A table (and bars) of grants by ``kind``; with ``names``, a column naming each code."""
    named = names is not None
    names = names or {}
    rows = [
        _text(k)
        + (_text(names.get(k, "")) if named else "")
        + _count(f"{kind}/{k}/grants", g.count)
        + _yuan(f"{kind}/{k}/demand", g.demand)
        + _yuan(f"{kind}/{k}/granted", g.amount)
        + _rate(f"{kind}/{k}/rate", g.amount, g.demand)
        for k, g in groups.items()
    ]
    total = Group(
        sum(g.count for g in groups.values()),
        sum(g.amount for g in groups.values()),
        sum(g.demand for g in groups.values()),
    )
    foot = (
        _text("合计")
        + (_text("") if named else "")
        + _count(f"{kind}/total/grants", total.count)
        + _yuan(f"{kind}/total/demand", total.demand)
        + _yuan(f"{kind}/total/granted", total.amount)
        + _rate(f"{kind}/total/rate", total.amount, total.demand)
    )
    first = {"issuer": "责任单位", "region": "行政区划代码", "industry": "门类"}[kind]
    headers = (first, *(("名称",) if named else ()), "兑现（笔）", "应兑现（元）", "兑现金额（元）")
    headers += ("兑现比例",)
    chart = bars([(f"{k} {names.get(k, '')}".strip(), g.amount) for k, g in groups.items()])
    return _table(headers, rows, foot) + chart


def _column(table: Table, name: str) -> list[object]:
    values = table.data.column(name).combine_chunks()
    # A column naming policies (a dictionary array): decoded in Arrow, not value by value.
    return list((values.dictionary_decode() if is_text_lookup(values) else values).to_pylist())


def _codes(column: pd.Series, rows: Sequence[int]) -> list[str]:
    """The codes at ``rows`` as text, "" where missing (null, NaN or NA, whatever the dtype)."""
    values = values_at(column, rows)
    return [v if isinstance(v, str) else "" for v in values]


def page(draft: Draft, lists: RoundLists, list_id: str) -> tuple[str, str]:
    """The page's HTML before and after the round id, which is known only once the manifest is
    written: the page is made beside the lists, and :func:`write_report` puts the id in."""
    alloc = draft.allocation
    reg = draft.registry
    rows = [g.candidate.row for g in alloc.grants]
    amounts = [g.amount_fen for g in alloc.grants]
    demands = [g.candidate.demand_fen for g in alloc.grants]
    issuers = [str(v or "（未填）") for v in _column(lists.grants, "issuer")]
    frame = draft.frame
    regions = [v or "（空）" for v in _codes(frame["region"], rows)]
    industries = [v[:1].upper() or "（空）" for v in _codes(frame["industry"], rows)]
    granted, demand = sum(amounts), sum(demands)
    head = [
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>兑现轮次报告 {draft.as_of.isoformat()}</title><style>{_CSS}</style></head><body>",
        f"<h1>惠企政策兑现轮次报告（基准日期 {draft.as_of.isoformat()}）</h1>",
        '<p class="meta">轮次编号 <code data-figure="round_id">',
    ]
    s: list[str] = [
        f"</code> · 清单编号（打印页脚） <code>{list_id[:12]}</code> · 登记表 "
        f"{html.escape(str(reg.source))}：读入 {reg.rows_read:,} 行，参与匹配 {len(frame):,} 行，"
        f"数据问题 {len(reg.rejected):,} 行。本报告只供阅读；支付以 grants.csv 和台账为准。</p>",
        '<div class="cards">'
        f'<div class="card">本轮兑现<b data-figure="total/granted">{fen_text(granted, grouped=True)}'
        "</b>元</div>"
        f'<div class="card">兑现笔数<b data-figure="total/grants">{len(amounts):,}</b>笔</div>'
        f'<div class="card">应兑现<b data-figure="total/demand">{fen_text(demand, grouped=True)}'
        "</b>元</div>"
        f'<div class="card">推送（需企业申请或承诺）<b data-figure="total/push">{len(alloc.push):,}'
        "</b>户次</div></div>",
        _intake(draft),
    ]
    s.append("<h2>资金池</h2>")
    s.append(_funds(lists.funds))
    s.append("<h2>按政策</h2>")
    s.append(_policies(lists.summary))
    s.append("<h2>按责任单位</h2>")
    s.append(_group_table("issuer", _grouped(issuers, amounts, demands)))
    s.append("<h2>按行政区划（乡镇）</h2>")
    s.append(_group_table("region", _grouped(regions, amounts, demands)))
    s.append("<h2>按行业门类（GB/T 4754）</h2>")
    s.append(_group_table("industry", _grouped(industries, amounts, demands), SECTIONS))
    s.append("<h2>兑现金额分布</h2>")
    s.append(_bands(amounts))
    s.append("<h2>未兑现与数据问题</h2>")
    s.append(_not_paid(draft, lists))
    s.append("<h2>待补正（held.csv）</h2>")
    s.append(_held(lists.held))
    s.append("<h2>本轮文件</h2>")
    s.append(_files())
    s.append("</body></html>\n")
    return "".join(head), "".join(s)


def _funds(funds: Table) -> str:
    headers = (
        "资金来源",
        "预算（元）",
        "应兑现（元）",
        "兑现金额（元）",
        "核减（元）",
        "预算结余（元）",
        "预算使用率",
    )
    rows = []
    for f in funds.data.to_pylist():
        k = f"fund/{f['fund']}"
        rows.append(
            _text(f["fund_title"])
            + _yuan(f"{k}/budget", f["budget"])
            + _yuan(f"{k}/demand", f["demand"])
            + _yuan(f"{k}/granted", f["granted"])
            + _yuan(f"{k}/shortfall", f["shortfall"])
            + _yuan(f"{k}/remaining", f["remaining"])
            + _rate(f"{k}/budget_use", f["granted"], f["budget"])
        )
    chart = bars(
        [
            item
            for f in funds.data.to_pylist()
            for item in (
                (f"{f['fund_title']} 预算", f["budget"] or 0),
                (f"{f['fund_title']} 兑现", f["granted"]),
                (f"{f['fund_title']} 核减", f["shortfall"]),
            )
        ]
    )
    return _table(headers, rows) + chart


def _policies(summary: Table) -> str:
    headers = (
        "政策编号", "政策名称", "兑现方式", "符合条件（户）", "兑现（户）", "应兑现（元）",
        "兑现金额（元）", "核减（元）", "兑现比例", "推送测算金额（元）",
    )  # fmt: skip
    rows = []
    for p in summary.data.to_pylist():
        k = f"policy/{p['policy_id']}"
        rows.append(
            _text(p["policy_id"])
            + _text(p["policy_title"])
            + _text(p["mode"])
            + _count(f"{k}/eligible", p["eligible"])
            + _count(f"{k}/grants", p["grants"])
            + _yuan(f"{k}/demand", p["demand"])
            + _yuan(f"{k}/granted", p["granted"])
            + _yuan(f"{k}/shortfall", p["shortfall"])
            + _rate(f"{k}/rate", p["granted"] or 0, p["demand"])
            + _yuan(f"{k}/notify_amount", p["notify_amount"])
        )
    data = summary.data

    def total(name: str) -> int:
        return sum(v or 0 for v in data.column(name).to_pylist())

    foot = (
        _text("合计")
        + _text(f"共 {summary.num_rows} 项政策")
        + _text("")
        + _count("policy/total/eligible", total("eligible"))
        + _count("policy/total/grants", total("grants"))
        + _yuan("policy/total/demand", total("demand"))
        + _yuan("policy/total/granted", total("granted"))
        + _yuan("policy/total/shortfall", total("shortfall"))
        + _rate("policy/total/rate", total("granted"), total("demand"))
        + _yuan("policy/total/notify_amount", total("notify_amount"))
    )
    chart = bars(
        [(f"{p['policy_id']} {p['policy_title']}", p["granted"] or 0) for p in data.to_pylist()]
    )
    return _table(headers, rows, foot) + chart


def _bands(amounts: Sequence[int]) -> str:
    band = np.searchsorted([top for top, _ in BANDS[:-1]], np.asarray(amounts, np.int64), "right")
    counts = np.bincount(band, minlength=len(BANDS)).tolist()
    sums = _sums(band, amounts, len(BANDS)).tolist()
    rows = [
        _text(name) + _count(f"band/{i}/grants", counts[i]) + _yuan(f"band/{i}/granted", sums[i])
        for i, (_, name) in enumerate(BANDS)
    ]
    chart = bars(
        [(name, counts[i]) for i, (_, name) in enumerate(BANDS)], "笔数", lambda n: f"{n:,} 笔"
    )
    return _table(("兑现金额", "笔数", "金额（元）"), rows) + chart


def _not_paid(draft: Draft, lists: RoundLists) -> str:
    excluded = lists.excluded.data
    reasons = Counter(excluded.column("detail").to_pylist())
    rows = [_text(r) + _count(f"excluded/{r}", n) for r, n in sorted(reasons.items())]
    out = [
        "<p>符合条件但本轮未支付（excluded.csv，按原因）：</p>",
        _table(("原因", "笔数"), rows, _text("合计") + _count("excluded/total", excluded.num_rows)),
        f'<p>待补充数据（missing.csv）：<b data-figure="missing">{lists.missing.num_rows:,}</b> 条；'
        f'登记表中未参与匹配的行（rejected.csv）：<b data-figure="rejected">'
        f"{lists.rejected.num_rows:,}</b> 行。</p>",
    ]
    shown = lists.rejected.data.slice(0, 20).to_pylist()
    if shown:
        more = lists.rejected.num_rows - len(shown)
        out.append(
            _table(
                ("行号", "统一社会信用代码", "原因"),
                (_text(r["row"]) + _text(r["uscc"]) + _text(r["reason"]) for r in shown),
            )
            + (f"<p>另有 {more:,} 行，见 rejected.csv。</p>" if more > 0 else "")
        )
    return "".join(out)


def _intake(draft: Draft) -> str:
    """A warning block when fields were missing (every enterprise unknown on them, so the round
    may pay fewer than it should), and a line naming the columns that were not read."""
    reg = draft.registry
    out = []
    missing = missing_note(reg, draft.policy_set.schema)
    if missing:
        out.append(
            f'<div class="warn"><b>注意：</b><span data-figure="registry/missing_fields">'
            f"{html.escape(missing)}</span>。依赖这些字段的政策对所有企业都无法判定，"
            "本轮可能少兑现；请核对登记表的列名。</div>"
        )
    ignored = ignored_note(reg)
    if ignored:
        out.append(f'<p data-figure="registry/ignored_columns">{html.escape(ignored)}</p>')
    return "".join(out)


def _held(held: Table) -> str:
    """Grants held until the registry gives a name or a valid account, by the department to ask
    (the policy's issuer): what they would be paid is not in any figure above."""
    issuers = [str(v or "（未填）") for v in _column(held, "issuer")]
    demands = [int(v) for v in held.data.column("demand").to_pylist()]
    groups = _grouped(issuers, demands, demands)
    rows = [
        _text(k) + _count(f"held/{k}/grants", g.count) + _yuan(f"held/{k}/demand", g.demand)
        for k, g in groups.items()
    ]
    foot = (
        _text("合计")
        + _count("held/total/grants", len(demands))
        + _yuan("held/total/demand", sum(demands))
    )
    return (
        "<p>缺企业名称或银行账号（或账号格式不符）的兑现，本轮不支付、不公示、不占预算；"
        "请责任单位补正登记表后下一轮兑现。明细见 held.csv。</p>"
        + _table(("责任单位（补正联系）", "笔数", "应兑现（元）"), rows, foot)
    )


def _files() -> str:
    rows = (
        f'<td><a href="{html.escape(f.name)}">{html.escape(f.name)}</a></td>'
        + _text("人员" if f.for_people else "系统")
        + _text(f.what)
        for f in FILES
    )
    return (
        _table(("文件", "给谁", "内容"), rows)
        + "<p>人看的打开 .xlsx；.csv 文件供其他系统读取，用表格软件直接打开会把长代码、账号显示成科学计数法，"
        "不要用它们核对账号。</p>"
    )


def write_report(folder: Path, made: tuple[str, str], round_id: str) -> Path:
    """``report.html`` from what :func:`page` made, with the round's id."""
    path = folder / REPORT
    before, after = made
    write_bytes(path, f"{before}{round_id[:12]}{after}".encode())
    return path
