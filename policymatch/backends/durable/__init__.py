"""The event backend: durable_rules selects, the reference evaluator confirms (免申即享 on change).

When the registry learns something new about an enterprise, :class:`Watcher` reports at once the
grants that change makes due and the ones it revokes, without waiting for a batch run; its due
set always equals the batch core's grants on the same rows, less what the ledger shows paid.

The split between the two engines:

- durable_rules (forward chaining, a Rete network in C) matches each changed enterprise,
  asserted as a fact, against each policy's *candidate condition* (:mod:`.compile`): the
  comparisons of fields with constants, list membership, tags, code prefixes, ``is_null`` and
  the and/or/not around them.
  A candidate condition holds for every enterprise whose eligibility is true or unknown (it never
  misses one); what durable cannot express (arithmetic on fields, functions of fields, ``x if c
  else y``, three-valued logic itself) is left out of it, which only admits more candidates.
- The reference evaluator (:mod:`policymatch.backends.reference`) confirms each candidate with
  the policy's full eligibility, then computes the exact amount and the explanation.

Modules: :mod:`.encode` (records as JSON facts), :mod:`.cond` (candidate conditions),
:mod:`.compile` (IR -> sharded rules), :mod:`.session` (durable_rules and its traps),
:mod:`.records` (typing a change event's row), :mod:`.paid` (the ledger question),
:mod:`.watcher` (the API). Needs the ``events`` extra (``pip install policymatch[events]``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .paid import NothingPaid, PaidLedger
    from .records import RecordError
    from .session import DurableError
    from .watcher import Due, Notification, Watcher

#: Imported on first use, so that :mod:`.records` (typing a change's row, which the HTTP service
#: shares) and :mod:`.events` do not need durable-rules installed.
_LAZY = {
    "Due": "watcher",
    "DurableError": "session",
    "Notification": "watcher",
    "NothingPaid": "paid",
    "PaidLedger": "paid",
    "RecordError": "records",
    "Watcher": "watcher",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = [
    "Due",
    "DurableError",
    "NothingPaid",
    "Notification",
    "PaidLedger",
    "RecordError",
    "Watcher",
]
