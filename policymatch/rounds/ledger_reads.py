"""What a round reads of its ledger before it matches, read and applied in one place for every
round drafted: ``policymatch run``, ``explain`` and ``preview``, the library's ``run_round`` and
``explain_enterprise``, and the service's ``GET /v1/explain``. A round drafted without the pool
limits or the 补发 due would pay, or explain, what ``policymatch run`` does not.

An embedded ledger whose file does not exist yet (a first round, the demo's) holds nothing: it
is not opened, nor SQLAlchemy imported (0.2 s of a round's start-up).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..rules import PolicySet
from .allocate import Paid
from .draft import Draft, RegistryInput, draft_round
from .ledger_records import Event, GrantKey, absent_sqlite, carried, still_paid
from .pool import fund_limits

if TYPE_CHECKING:
    from .ledger import Ledger


@dataclass(frozen=True)
class LedgerReads:
    #: The ledger's display URL (no password; empty without a ledger).
    display: str = ""
    #: Every grant recorded, returned ones too (:attr:`history` is what counts as paid).
    grants: tuple[Paid, ...] = ()
    #: The pool journal: each fund's opening, advances, 回补, returns ... (:mod:`.ledger_records`).
    events: tuple[Event, ...] = ()

    @property
    def history(self) -> list[Paid]:
        """The grants that count as paid, for the pay-once and stacking rules: not those the
        journal shows returned or re-opened."""
        return still_paid(self.grants, self.events)

    @property
    def due(self) -> dict[GrantKey, int]:
        """What ``shortfall: carry`` grants still owe, by (policy, enterprise, period)."""
        return carried(self.events)

    @classmethod
    def of(cls, ledger: Ledger) -> LedgerReads:
        """What an open ledger holds (read in one connection)."""
        grants, events = ledger.recorded()
        return cls(ledger.display, tuple(grants), tuple(events))

    @classmethod
    def read(
        cls, target: str, *, check: Callable[[Ledger | None], None] | None = None
    ) -> LedgerReads:
        """What the ledger at ``target`` (a SQLite path or a URL) holds. ``check`` is called
        with the open ledger first (None for one that does not exist yet), to refuse a round
        before anything is read."""
        display = absent_sqlite(target)
        if display is not None:
            if check is not None:
                check(None)
            return cls(display)
        from .ledger import Ledger

        ledger = Ledger(target)
        try:
            if check is not None:
                check(ledger)
            return cls.of(ledger)
        finally:
            ledger.dispose()

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

    def before_round(self, round_id: str, times: Mapping[str, dt.datetime]) -> LedgerReads:
        """The ledger as it stood when the round ``round_id`` was committed: the grants of the
        rounds committed before it, and the pool journal up to that commit (a 回补, a return, a
        later round's advances and 补发 left out: a grant returned since counts as paid, as it
        did then). The round is explained as it was paid: neither "already paid" by itself nor
        with a pool it did not have.

        Rounds are ordered by their first journal event where both have one (commits are
        serialised, and ``committed_at``, ``times``, holds whole seconds), else by ``times``.
        The journal is cut at the round's first event; a round that recorded none (it paid
        nothing from a pool) is cut at the first event of a round committed after it."""
        first: dict[str, int] = {}
        for e in self.events:
            if e.round_id is not None:
                first.setdefault(e.round_id, e.seq)

        def before(other: str) -> bool:
            if other in first and round_id in first:
                return first[other] < first[round_id]
            return other in times and round_id in times and times[other] < times[round_id]

        earlier = {rid for rid in {*times, *first} if rid != round_id and before(rid)}
        grants = tuple(p for p in self.grants if p.round_id in earlier)
        later = [seq for rid, seq in first.items() if rid != round_id and rid not in earlier]
        cut = first.get(round_id, min(later, default=None))
        events = tuple(e for e in self.events if cut is None or e.seq < cut)
        return LedgerReads(self.display, grants, events)
