"""What the watcher asks the ledger: has this enterprise already been paid under this policy?

The watcher only needs one question answered, so it depends on this protocol rather than on a
ledger implementation. :class:`MemoryLedger` answers it from payments held in memory, by the
rules of policy-format.md ("Stacking and frequency"): ``once`` is never paid twice, ``yearly``
not twice in the as-of date's calendar year, and a payment under one policy of a
``stacking_group`` counts for every policy of that group (for a ``yearly`` policy: in the same
year).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ...rules import ir


class PaidLedger(Protocol):
    """Anything that can tell whether a grant would be a second payment."""

    def paid(self, uscc: str, policy: ir.Policy, as_of: dt.date) -> bool: ...


@dataclass(frozen=True)
class Payment:
    """One grant the ledger holds."""

    uscc: str
    policy_id: str
    year: int
    stacking_group: str | None = None


class MemoryLedger:
    """Payments in memory (the default: nothing paid yet)."""

    def __init__(self, payments: Iterable[Payment] = ()) -> None:
        self._by_uscc: dict[str, list[Payment]] = defaultdict(list)
        for payment in payments:
            self._by_uscc[payment.uscc].append(payment)

    def record(self, uscc: str, policy: ir.Policy, paid_on: dt.date) -> None:
        self._by_uscc[uscc].append(Payment(uscc, policy.id, paid_on.year, policy.stacking_group))

    def paid(self, uscc: str, policy: ir.Policy, as_of: dt.date) -> bool:
        yearly = policy.frequency is ir.Frequency.YEARLY
        for p in self._by_uscc.get(uscc, ()):
            if yearly and p.year != as_of.year:
                continue
            if p.policy_id == policy.id:
                return True
            if policy.stacking_group is not None and p.stacking_group == policy.stacking_group:
                return True
        return False
