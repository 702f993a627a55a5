"""The pool journal: every movement of a fund's money and every change of a grant's state, in order.

``pm_journal`` is append-only (nothing is updated or deleted): one row per event, numbered in
the order recorded.

=========  ======================================================================================
kind       meaning
=========  ======================================================================================
opening    the fund's scale (规模), recorded once, when its journal opens (first commit or 回补)
advance    one grant of a committed round, advanced from the pool (先行拨付)
replenish  a 回补: money a department (``department``) put back into the pool (``source``:
           上级 or 本级 funds, ``ref``: the 文号)
return     a transfer the bank returned (退票): the money is back, the grant is payable again
recover    money recovered from a grant found wrong (追回): back in the pool, never paid again
reopen     a recovered grant explicitly made payable again
withhold   a grant of a round held back at commit after an objection in 公示 (no money moves)
=========  ======================================================================================

The state of a grant (policy, enterprise, period) is derived by replaying its events: paid,
withheld, returned, recovered, reopened, re-paid. A fund's balance is
``opening + replenish - advance + return + recover``, in fen. Replaying needs no database:
:mod:`.ledger_records` does it; this module reads and writes the table.

Every write takes the ledger's lock row first (:func:`policymatch.rounds.ledger._lock`), so
commits, returns, recoveries and 回补 from separate processes are serialized and each checks the
journal as it is once it holds the lock.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import LedgerError, simple
from ..moneytext import fen_text
from .ledger import LedgerGrant, RoundEntry, metadata

# The events' names are this module's too (other modules and the tests import them from here).
from .ledger_records import SIGN as SIGN
from .ledger_records import Event as Event
from .ledger_records import GrantHistory as GrantHistory
from .ledger_records import Kind as Kind
from .ledger_records import RoundPool, available, openings
from .ledger_records import State as State
from .ledger_records import Withheld as Withheld
from .ledger_records import balances as balances
from .ledger_records import carried as carried
from .ledger_records import histories as histories
from .ledger_records import opened as opened

journal_table = sa.Table(
    "pm_journal",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("fund", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("on_date", sa.Date, nullable=False),
    #: The appropriation year an advance counts against (its round's as-of year); for a return,
    #: the year of the advance it undoes.
    sa.Column("year", sa.Integer, nullable=True),
    sa.Column("round_id", sa.String(64), nullable=True),
    sa.Column("policy_id", sa.String(200), nullable=True),
    sa.Column("uscc", sa.String(18), nullable=True),
    sa.Column("period", sa.String(8), nullable=True),
    sa.Column("department", sa.String(200), nullable=True),
    sa.Column("source", sa.String(40), nullable=True),
    sa.Column("ref", sa.String(200), nullable=True),
    sa.Column("reason", sa.String(500), nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("pm_journal_grant", "policy_id", "uscc", "period"),
)


def exists(conn: Connection) -> bool:
    return sa.inspect(conn).has_table(journal_table.name)


def read_events(conn: Connection, *, until: dt.date | None = None) -> list[Event]:
    """The journal in the order recorded (up to ``until``'s events, when given)."""
    if not exists(conn):
        return []
    j = journal_table.c
    query = sa.select(journal_table).order_by(j.seq)
    if until is not None:
        query = query.where(j.on_date <= until)
    out = []
    for r in conn.execute(query).mappings():
        row: dict[str, Any] = dict(r)
        del row["recorded_at"]
        row["kind"] = Kind(row["kind"])
        row["amount_fen"] = int(row["amount_fen"])
        out.append(Event(**row))
    return out


def append(conn: Connection, events: Sequence[dict[str, Any]]) -> None:
    """Record events (dicts of ``pm_journal`` columns, without ``seq`` and ``recorded_at``)."""
    if not events:
        return
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # Every row with every column: an executemany takes its columns from the first row.
    blank = dict.fromkeys(c.name for c in journal_table.columns if c.name != "seq")
    conn.execute(sa.insert(journal_table), [{**blank, **e, "recorded_at": now} for e in events])


def record_round(conn: Connection, entry: RoundEntry) -> list[LedgerGrant]:
    """The journal side of a commit, inside its transaction (the lock held): re-check each fund
    against the pool as it is now, then record the advances and the withheld grants. Returns the
    grants to key in ``pm_grants``: all but those paid before and due again (a re-payment)."""
    events = read_events(conn)
    pool = entry.pool or RoundPool()
    need: dict[str, int] = defaultdict(int)
    for g in entry.grants:
        need[entry.terms[g.policy_id].fund] += g.amount_fen
    short = []
    for fund in sorted(need):
        left = available(events, pool.funds, fund, entry.as_of.year)
        if left is not None and need[fund] > left:
            short.append(
                f"{fund}: 本轮需 {fen_text(need[fund])} 元，资金池可用 {fen_text(left)} 元"
            )
    if short:
        raise LedgerError(
            [
                simple(
                    "PM750",
                    f"轮次 {entry.round_id[:12]} 未入账：资金池余额不足（运行之后有其他支出入账）：\n  "
                    + "\n  ".join(short),
                    file=entry.folder,
                    hint="按当前台账重新运行本轮（policymatch run），复核后再入账",
                )
            ]
        )
    rows = openings(events, pool.funds, need, entry.as_of)

    def row(kind: Kind, policy_id: str, uscc: str, amount: int, **more: Any) -> dict[str, Any]:
        t = entry.terms[policy_id]
        return {
            "fund": t.fund,
            "kind": kind.value,
            "amount_fen": amount,
            "on_date": entry.as_of,
            "year": entry.as_of.year,
            "round_id": entry.round_id,
            "policy_id": policy_id,
            "uscc": uscc,
            "period": t.period(entry.as_of),
            "department": pool.issuers.get(policy_id),
            **more,
        }

    rows += [row(Kind.ADVANCE, g.policy_id, g.uscc, g.amount_fen) for g in entry.grants]
    rows += [
        row(Kind.WITHHOLD, w.policy_id, w.uscc, w.amount_fen, ref=w.ref, reason=w.reason[:500])
        for w in entry.withheld
    ]
    before = histories(events)
    for g in entry.grants:
        key = g.policy_id, g.uscc, entry.terms[g.policy_id].period(entry.as_of)
        partial = key in before and before[key].state is State.PARTIAL
        # A 补发 lowers what is due by its advance; a first payment cut short opens the due.
        if g.policy_id in pool.carry and g.amount_fen < g.demand_fen and not partial:
            rows.append(row(Kind.CARRY, g.policy_id, g.uscc, g.demand_fen - g.amount_fen))
    append(conn, rows)
    paid_before = {k for k, h in before.items() if h.payments}
    return [
        g
        for g in entry.grants
        if (g.policy_id, g.uscc, entry.terms[g.policy_id].period(entry.as_of)) not in paid_before
    ]
