"""What the watcher asks the ledger: has this enterprise already been paid under this policy?

The watcher depends on that one question (:class:`PaidLedger`), not on a ledger implementation.
:class:`LedgerHistory` answers it from the grants a ledger holds, by the very rules a
disbursement round applies (:func:`policymatch.rounds.allocate.ledger_filter`): ``once`` is never
paid twice, ``yearly`` not twice in the as-of date's calendar year, and a payment under one
policy of a ``stacking_group`` counts for every policy of the group (for a ``yearly`` policy: in
the same year).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol

from ...rounds.allocate import Candidate, Paid, Terms, ledger_filter
from ...rounds.ledger import Ledger
from ...rules import ir


class PaidLedger(Protocol):
    """Anything that can tell whether a grant would be a second payment."""

    def paid(self, uscc: str, policy: ir.Policy, as_of: dt.date) -> bool: ...


class LedgerHistory:
    """The grants a ledger holds, in memory (empty by default: nothing paid yet)."""

    def __init__(self, policies: Sequence[ir.Policy], history: Iterable[Paid] = ()) -> None:
        self._terms = {p.id: Terms.of(p) for p in policies}
        self._by_uscc: dict[str, list[Paid]] = defaultdict(list)
        for grant in history:
            self.add(grant)

    @classmethod
    def read(cls, ledger: Ledger, policies: Sequence[ir.Policy]) -> LedgerHistory:
        """What ``ledger`` holds now (read once: build it again after a round is committed)."""
        return cls(policies, ledger.history())

    def add(self, grant: Paid) -> None:
        self._by_uscc[grant.uscc].append(grant)

    def paid(self, uscc: str, policy: ir.Policy, as_of: dt.date) -> bool:
        history = self._by_uscc.get(uscc)
        if not history:
            return False
        kept, _ = ledger_filter([Candidate(0, uscc, policy.id, 0)], self._terms, history, as_of)
        return not kept
