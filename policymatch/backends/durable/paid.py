"""What the watcher asks the ledger: has this enterprise already been paid under this policy?

The watcher depends on that one question (:class:`PaidLedger`), not on a ledger: the answer
from a disbursement ledger is :class:`policymatch.rounds.history.LedgerHistory` (rounds sit
above backends, so backends never import them).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from ...rules import ir


class PaidLedger(Protocol):
    """Anything that can tell whether a grant would be a second payment."""

    def paid(self, uscc: str, policy: ir.Policy, as_of: dt.date) -> bool: ...


class NothingPaid:
    """A ledger nothing was paid from yet (the watcher's default)."""

    def paid(self, uscc: str, policy: ir.Policy, as_of: dt.date) -> bool:
        return False
