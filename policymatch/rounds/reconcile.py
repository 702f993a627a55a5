"""``policymatch ledger check``: the ledger against itself, to the fen.

- every grant's history in the journal is consistent (paid before returned, a return of the
  whole payment, recovered at most what was paid, re-opened only after a recovery, never paid
  while paid: nothing is paid twice);
- ``pm_grants`` (the keys that refuse a second payment) and the journal's advances agree, and
  each round's grants and total in ``pm_rounds`` are its advances;
- each fund's balance summed in the database by kind (scale + 回补 - advances + returns +
  recoveries) equals the balance replayed event by event, equals the scale less what the
  回补清单 says the departments owe, and a pool (a fund with a scale) never went below zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from ..moneytext import fen_text
from .journal import SIGN, Kind, histories, journal_table, opened, read_events
from .ledger import Ledger, grants_table, rounds_table
from .pool import statement


@dataclass
class Report:
    grants: int = 0
    events: int = 0
    rounds: int = 0
    balances: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def check(ledger: Ledger) -> Report:
    try:
        if (ledger.is_sqlite_file and not ledger._exists()) or not _has(ledger):
            return Report()
        with ledger.engine.connect() as conn:
            return _check(conn)
    except SQLAlchemyError as exc:
        raise ledger._error("cannot read", exc) from exc


def _has(ledger: Ledger) -> bool:
    return sa.inspect(ledger.engine).has_table(grants_table.name)


def _check(conn: Connection) -> Report:
    events = read_events(conn)
    report = Report(events=len(events))
    out = report.problems
    hist = histories(events)
    for key, h in sorted(hist.items()):
        out += [f"{key[0]} {key[1]} {key[2]}: {p}" for p in h.problems]
    # pm_grants and the journal
    g = grants_table.c
    keyed = {
        (r[0], r[1], r[2]): (r[3], int(r[4]))
        for r in conn.execute(sa.select(g.policy_id, g.uscc, g.period, g.round_id, g.amount_fen))
    }
    report.grants = len(keyed)
    for key, (round_id, amount) in sorted(keyed.items()):
        found = hist.get(key)
        first = (
            None
            if found is None
            else next((e for e in found.events if e.kind is Kind.ADVANCE), None)
        )
        if first is None:
            out.append(f"{' '.join(key)}: 在 pm_grants 中，但流水中没有兑现记录")
        elif (first.round_id, first.amount_fen) != (round_id, amount):
            out.append(f"{' '.join(key)}: pm_grants 与流水的首次兑现不一致")
    for key, h in sorted(hist.items()):
        if h.payments and key not in keyed:
            out.append(f"{' '.join(key)}: 流水中已兑现，但 pm_grants 中没有")
    # pm_rounds and the advances
    per_round: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in events:
        if e.kind is Kind.ADVANCE:
            per_round[e.round_id or ""][0] += 1
            per_round[e.round_id or ""][1] += e.amount_fen
    r = rounds_table.c
    for rid, n, total in conn.execute(sa.select(r.round_id, r.grants, r.amount_fen)):
        report.rounds += 1
        got = per_round.get(rid, [0, 0])
        if got != [int(n), int(total)]:
            out.append(
                f"轮次 {rid[:12]}: pm_rounds 记 {n:,} 笔 {fen_text(int(total), grouped=True)} 元，"
                f"流水记 {got[0]:,} 笔 {fen_text(got[1], grouped=True)} 元"
            )
    # balances, three ways
    j = journal_table.c
    summed: dict[str, int] = defaultdict(int)
    for fund, kind, amount in conn.execute(
        sa.select(j.fund, j.kind, sa.func.sum(j.amount_fen)).group_by(j.fund, j.kind)
    ):
        summed[fund] += SIGN[Kind(kind)] * int(amount)
    pools = opened(events)
    for fund in sorted(summed):
        st = statement(events, fund)
        opening = st.totals[Kind.OPENING]
        owed = sum(st.owed.values())
        report.balances[fund] = summed[fund]
        if not (summed[fund] == st.balance_fen == opening - owed):
            out.append(
                f"资金 {fund}: 余额不平：按类汇总 {fen_text(summed[fund], grouped=True)}，逐笔 "
                f"{fen_text(st.balance_fen, grouped=True)}，规模减应回补 {fen_text(opening - owed, grouped=True)}"
            )
        if fund in pools:
            low = min((ln.balance_fen for ln in st.lines), default=0)
            if low < 0:
                out.append(f"资金 {fund}: 余额曾为负（{fen_text(low, grouped=True)}）")
    return report
