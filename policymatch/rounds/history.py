"""The watcher's question answered from a ledger: has this enterprise already been paid under
this policy?

:class:`LedgerHistory` holds the grants a ledger holds and answers by the very rules a
disbursement round applies (:func:`policymatch.rounds.allocate.ledger_filter`): ``once`` is never
paid twice, ``yearly`` not twice in the as-of date's calendar year, and a payment under one
policy of a ``stacking_group`` counts for every policy of the group (for a ``yearly`` policy: in
the same year). It satisfies the watcher's :class:`policymatch.backends.durable.PaidLedger`
protocol, so the event backend depends on the question, not on rounds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from ..rules import ir
from .allocate import Candidate, Paid, Terms, ledger_filter
from .ledger import Ledger


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
