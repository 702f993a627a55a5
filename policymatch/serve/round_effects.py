"""What a round on the configured registry and ledger does with an enterprise and a policy, for
``GET /v1/explain``: the same effect ``policymatch.explain_enterprise(..., ledger=...)`` gives.

The round is drafted (in memory, nothing written) once per policy set, date and state of the
ledger (its grants, pool balances and 补发 due: :mod:`policymatch.rounds.ledger_reads`), and kept: an explanation after a commit sees the new ledger. A service configured
without a ledger explains without a round, and says so (``"round": null``).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from ..rounds.effects import RoundEffect, effect_of
from ..rules import PolicySet
from .registry_index import Registry


class RoundEffects:
    def __init__(self, ledger: str | None, registry: Registry) -> None:
        self.ledger = ledger
        self.registry = registry
        self._lock = threading.Lock()
        self._key: tuple[object, ...] | None = None
        self._draft: Any = None

    def effect(
        self, policy_set: PolicySet, as_of: dt.date, uscc: str, policy_id: str
    ) -> tuple[RoundEffect | None, bool]:
        """The round's effect on the pair (None: due nothing), and whether there is a round
        at all (False without a ledger)."""
        if self.ledger is None:
            return None, False
        from ..rounds.ledger_reads import LedgerReads

        reads = LedgerReads.read(self.ledger)
        key = (policy_set.digest, as_of, reads)
        with self._lock:  # one draft at a time: a round on the whole registry is the cost
            if key != self._key:
                self._draft = reads.draft(policy_set, self.registry.load, as_of)
                self._key = key
            draft = self._draft
        return effect_of(draft, uscc.strip().upper(), policy_id), True
