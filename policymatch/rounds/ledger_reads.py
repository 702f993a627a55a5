"""What a round reads of its ledger before it matches, read and applied in one place for every
round drafted: ``policymatch run``, ``explain`` and ``preview``, the library's ``run_round`` and
``explain_enterprise``, and the service's ``GET /v1/explain``. A round drafted without the pool
limits or the 补发 due would pay, or explain, what ``policymatch run`` does not.

An embedded ledger whose file does not exist yet (a first round, the demo's) holds nothing: it
is not opened, nor SQLAlchemy imported (0.2 s of a round's start-up).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..rules import PolicySet
from .allocate import Paid
from .draft import Draft, RegistryInput, draft_round
from .ledger_records import Event, GrantKey, absent_sqlite, carried
from .pool import fund_limits

if TYPE_CHECKING:
    from .ledger import Ledger


@dataclass(frozen=True)
class LedgerReads:
    #: The ledger's display URL (no password; empty without a ledger).
    display: str = ""
    #: The grants it holds: who was paid what, for the pay-once and stacking rules.
    history: tuple[Paid, ...] = ()
    #: The pool journal: each fund's opening, advances, 回补 ... (:mod:`.ledger_records`).
    events: tuple[Event, ...] = ()
    #: What ``shortfall: carry`` grants still owe, by (policy, enterprise, period).
    due: dict[GrantKey, int] = field(default_factory=dict)

    def limits(self, policy_set: PolicySet, as_of: dt.date) -> dict[str, int]:
        """Per fund with a scale or an appropriation for the year: what a round of
        ``policy_set`` may pay out now."""
        return fund_limits(self.events, policy_set, as_of)

    def draft(
        self, policy_set: PolicySet, registry: RegistryInput, as_of: dt.date, **options: Any
    ) -> Draft:
        """:func:`.draft.draft_round` on this ledger (``options``: its keyword arguments)."""
        return draft_round(
            policy_set,
            registry,
            as_of,
            self.history,
            ledger=self.display,
            limits=self.limits(policy_set, as_of),
            due=self.due,
            **options,
        )

    def without_round(self, round_id: str) -> LedgerReads:
        """The ledger less what the committed round ``round_id`` recorded (its grants, and the
        advances and 补发 due its commit put in the pool journal): the round explained as it
        was paid, neither "already paid" by itself nor short of the money it spent."""
        grants = tuple(p for p in self.history if p.round_id != round_id)
        events = tuple(e for e in self.events if e.round_id != round_id)
        return LedgerReads(self.display, grants, events, carried(events))


def ledger_reads(ledger: Ledger) -> LedgerReads:
    """:class:`LedgerReads` of an open ledger."""
    from .pool import journal_events

    events = tuple(journal_events(ledger))
    return LedgerReads(ledger.display, tuple(ledger.history()), events, carried(events))


def read_ledger(
    target: str, *, check: Callable[[Ledger | None], None] | None = None
) -> LedgerReads:
    """:class:`LedgerReads` of the ledger at ``target`` (a SQLite path or a URL). ``check`` is
    called with the open ledger first (None for one that does not exist yet), to refuse a
    round before anything is read."""
    display = absent_sqlite(target)
    if display is not None:
        if check is not None:
            check(None)
        return LedgerReads(display)
    from .ledger import Ledger

    ledger = Ledger(target)
    try:
        if check is not None:
            check(ledger)
        return ledger_reads(ledger)
    finally:
        ledger.dispose()
