"""After payment: transfers the bank returned (退票), money recovered (追回), re-opening.

Each is an event in the pool journal (:mod:`.journal`) about one paid grant, named by the
enterprise, the policy and the round that paid it (the round id or its first 8+ characters, as
``run`` and ``commit`` print it). A return gives the whole transfer back and makes the grant
payable again; a recovery brings back part or all of a payment and the grant stays paid (never
paid again) until it is explicitly re-opened. A batch (a returns file) is checked entirely
against the journal as it is under the ledger's lock, then recorded in one transaction, or
refused with every problem listed and nothing recorded.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from ..errors import Diagnostic, LedgerError, simple
from ..moneytext import fen_text
from . import journal
from .journal import read_events
from .ledger import Ledger, _lock
from .ledger_records import Event, GrantHistory, Kind, State, histories

#: The shortest round id prefix accepted (``run`` prints 12 characters).
MIN_ROUND_PREFIX = 8


HINT = "核对统一社会信用代码、政策编号和轮次（policymatch commit 打印的编号）；整批未登记"


@dataclass(frozen=True)
class Action:
    """A return, recovery or re-opening of one grant; ``where`` names its line or option."""

    kind: Kind
    uscc: str
    policy_id: str
    round: str
    amount_fen: int
    reason: str
    ref: str | None
    where: str


def _find(hist: dict[tuple[str, str], list[GrantHistory]], a: Action) -> GrantHistory | str:
    """The grant the action is about, or why there is none."""
    if len(a.round) < MIN_ROUND_PREFIX:
        return f"轮次 '{a.round}' 太短：至少 {MIN_ROUND_PREFIX} 位（policymatch commit 打印的轮次编号）"
    paid_in = [
        h
        for h in hist.get((a.policy_id, a.uscc), [])
        if any(e.kind is Kind.ADVANCE and (e.round_id or "").startswith(a.round) for e in h.events)
    ]
    if not paid_in:
        return f"台账中没有轮次 {a.round} 向 {a.uscc} 兑现政策 {a.policy_id} 的记录"
    return paid_in[-1]


def _check(h: GrantHistory, a: Action) -> str | None:
    """Why the action cannot apply to the grant as it is now, or None."""
    last = h.advance
    if a.kind is Kind.RETURN:
        if h.state not in (State.PAID, State.REPAID) or last is None:
            return f"该笔兑现当前状态为 {h.state}，不能登记退票"
        if not (last.round_id or "").startswith(a.round):
            return f"该笔兑现已在轮次 {(last.round_id or '')[:12]} 重新兑现，退票应登记在那一轮"
        if a.amount_fen != last.amount_fen:
            return f"退票金额 {fen_text(a.amount_fen)} 与兑现金额 {fen_text(last.amount_fen)} 不符"
    elif a.kind is Kind.RECOVER:
        if h.state not in (State.PAID, State.REPAID, State.RECOVERED) or last is None:
            return f"该笔兑现当前状态为 {h.state}，不能登记追回"
        left = last.amount_fen - h.recovered_fen
        if a.amount_fen > left:
            return f"追回金额 {fen_text(a.amount_fen)} 超过可追回的 {fen_text(left)}"
    elif h.state is not State.RECOVERED:
        return f"该笔兑现当前状态为 {h.state}，只有已追回的兑现可以重新开放"
    return None


def record(ledger: Ledger, actions: list[Action], on_date: dt.date) -> list[dict[str, Any]]:
    """Check every action, then record them all in one transaction; or refuse them all."""
    try:
        ledger.create()
        with ledger.engine.begin() as conn:
            _lock(conn)
            by_grant: dict[tuple[str, str], list[GrantHistory]] = defaultdict(list)
            for h in histories(read_events(conn)).values():
                by_grant[h.key[0], h.key[1]].append(h)
            problems: list[Diagnostic] = []
            rows: list[dict[str, Any]] = []
            for a in actions:
                found = _find(by_grant, a)
                why = found if isinstance(found, str) else _check(found, a)
                if why is not None:
                    problems.append(simple("PM760", why, file=a.where, hint=HINT))
                    continue
                assert isinstance(found, GrantHistory)
                paid = found.advance
                assert paid is not None or a.kind is Kind.REOPEN
                src = paid or found.events[-1]
                row: dict[str, Any] = {
                    "fund": src.fund,
                    "kind": a.kind.value,
                    "amount_fen": a.amount_fen,
                    "on_date": on_date,
                    "year": src.year,
                    "round_id": src.round_id,
                    "policy_id": a.policy_id,
                    "uscc": a.uscc,
                    "period": found.key[2],
                    "department": src.department,
                    "ref": a.ref,
                    "reason": a.reason[:500],
                }
                # Applied at once: a second line about the same grant sees this one.
                found.apply(Event(seq=0, **{**row, "kind": a.kind}))
                rows.append(row)
            if problems:
                raise LedgerError(problems)
            journal.append(conn, rows)  # through the module: the seam the kill tests break
            return rows
    except SQLAlchemyError as exc:
        raise ledger._error("cannot record", exc) from exc
