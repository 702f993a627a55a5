"""The watcher: registry changes in, the grants each change makes due or revokes out.

::

    from policymatch import load
    from policymatch.backends.durable import Watcher

    with Watcher(load("policies/"), as_of=date(2024, 3, 1)) as watcher:
        for note in watcher.update({"uscc": "91361126MA35G2K65X", "tags": "专精特新", ...}):
            print(note.kind, note.uscc, note.policy_id, note.amount, note.explanation)
        watcher.remove("91361126MA35G2K65X")   # revokes whatever was due to it

An enterprise's *due set* is what the batch core grants it on the same registry row (every
policy in force on the as-of date whose eligibility is true and whose amount is positive, in any
mode), less what the ledger says was already paid (:mod:`.paid`). Each change reports the
difference as notifications: ``revoke`` for what is no longer due (or due with another amount),
then ``grant`` for what newly is. Stacking within a round and budgets are a round's decisions,
not the watcher's.

durable_rules selects the candidate policies of the changed enterprise (:mod:`.compile`); the
reference evaluator confirms each and computes its amount and explanation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType

from ...rules import PolicySet, ir
from ...values import Value
from ..reference import Outcome, evaluate_policy
from .compile import Program, compile_program
from .paid import MemoryLedger, PaidLedger
from .records import key_field_name, type_record
from .session import Session


@dataclass(frozen=True)
class Notification:
    """A grant that became due, or one that no longer is (``kind`` ``grant`` / ``revoke``)."""

    kind: str
    uscc: str
    policy: ir.Policy
    amount: Decimal
    explanation: tuple[str, ...]

    @property
    def policy_id(self) -> str:
        return self.policy.id


@dataclass(frozen=True)
class Due:
    """What an enterprise is due under one policy."""

    uscc: str
    policy_id: str
    amount: Decimal


def show(value: Value) -> str:
    """A value as an explanation shows it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, frozenset):
        return "、".join(sorted(value)) or "(none)"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def grant_explanation(outcome: Outcome) -> tuple[str, ...]:
    """Each labelled condition with the values it saw, then how the amount came about."""
    lines = []
    for leaf in outcome.leaves:
        verdict = {True: "yes", False: "no", None: "unknown"}[leaf.value]
        inputs = ", ".join(f"{name}={show(value)}" for name, value in leaf.inputs)
        lines.append(f"{leaf.label}: {verdict}" + (f" ({inputs})" if inputs else ""))
    how = f"amount {outcome.amount}"
    if outcome.tier is not None:
        how += f" (tier {outcome.tier + 1})"
    if outcome.demand_before_cap is not None and outcome.amount != outcome.demand_before_cap:
        how += f", from {outcome.demand_before_cap} before cap and rounding"
    return (*lines, how)


def revoke_reason(outcome: Outcome | None, paid: bool) -> str:
    if outcome is None:
        return "removed from the registry"
    if outcome.status == "eligible":
        return f"amount is now {outcome.amount}" if not paid else "already paid (ledger)"
    if outcome.status == "unknown":
        return "missing data: " + ", ".join(outcome.missing)
    if outcome.failed_top:
        return "no longer eligible: fails " + ", ".join(outcome.failed_top)
    return "no longer eligible: the amount is zero"


class Watcher:
    """Grants made due and revoked by registry changes, for one policy set and as-of date."""

    def __init__(
        self, policy_set: PolicySet, as_of: dt.date, *, ledger: PaidLedger | None = None
    ) -> None:
        self.policy_set = policy_set
        self.as_of = as_of
        self.ledger: PaidLedger = ledger if ledger is not None else MemoryLedger()
        self.program: Program = compile_program(
            policy_set.in_force(as_of), policy_set.schema, as_of
        )
        self._key = key_field_name(policy_set.schema)
        self._session = Session(self.program)
        self._records: dict[str, dict[str, Value]] = {}
        self._due: dict[str, dict[str, Decimal]] = {}
        self._index = {p.id: i for i, p in enumerate(self.program.policies)}

    # --- changes ---------------------------------------------------------------------------

    def update(self, record: Mapping[str, object]) -> list[Notification]:
        """An enterprise's whole row, new or changed (absent fields are null, as in a file).

        Values are typed as a registry file's cells are; raises
        :class:`~policymatch.backends.durable.records.RecordError` for a row that does not type.
        """
        typed = type_record(record, self.policy_set.schema)
        uscc = str(typed[self._key])
        candidates = self._session.put(self.program.layout.encode(uscc, typed))
        self._records[uscc] = typed
        outcomes: dict[int, Outcome] = {}
        due: dict[str, Decimal] = {}
        for index in sorted(candidates):
            policy = self.program.policies[index]
            outcome = evaluate_policy(policy, typed, self.as_of)
            outcomes[index] = outcome
            if outcome.status == "eligible" and not self.ledger.paid(uscc, policy, self.as_of):
                assert outcome.amount is not None
                due[policy.id] = outcome.amount
        return self._settle(uscc, due, outcomes)

    def remove(self, uscc: str) -> list[Notification]:
        """An enterprise left the registry: everything due to it is revoked."""
        self._session.drop(uscc)
        self._records.pop(uscc, None)
        return self._settle(uscc, {}, {})

    def recheck(self) -> list[Notification]:
        """Ask the ledger again about every due grant (after a round was committed)."""
        notes: list[Notification] = []
        for uscc in sorted(self._due):
            due = {
                pid: amount
                for pid, amount in self._due[uscc].items()
                if not self.ledger.paid(uscc, self._policy(pid), self.as_of)
            }
            notes.extend(self._settle(uscc, due, {}))
        return notes

    def _settle(
        self, uscc: str, due: dict[str, Decimal], outcomes: dict[int, Outcome]
    ) -> list[Notification]:
        """Record the enterprise's new due set; the notifications that get there from the old."""
        before = self._due.pop(uscc, {})
        if due:
            self._due[uscc] = due
        record = self._records.get(uscc)
        notes: list[Notification] = []
        for pid in sorted(before):
            if due.get(pid) == before[pid]:
                continue
            policy = self._policy(pid)
            outcome = None
            if record is not None:
                outcome = outcomes.get(self._index[pid]) or evaluate_policy(
                    policy, record, self.as_of
                )
            paid = pid not in due and outcome is not None and outcome.status == "eligible"
            reason = revoke_reason(outcome, paid)
            notes.append(Notification("revoke", uscc, policy, before[pid], (reason,)))
        for pid in sorted(due):
            if before.get(pid) == due[pid]:
                continue
            assert record is not None
            policy = self._policy(pid)
            traced = evaluate_policy(policy, record, self.as_of, trace=True)
            notes.append(Notification("grant", uscc, policy, due[pid], grant_explanation(traced)))
        return notes

    def _policy(self, policy_id: str) -> ir.Policy:
        return self.program.policies[self._index[policy_id]]

    # --- state -----------------------------------------------------------------------------

    def due(self) -> Iterator[Due]:
        """Every grant currently due, by USCC then policy id."""
        for uscc in sorted(self._due):
            for pid, amount in sorted(self._due[uscc].items()):
                yield Due(uscc, pid, amount)

    def record(self, uscc: str) -> dict[str, Value] | None:
        """The typed row last given for ``uscc``."""
        return self._records.get(uscc)

    def __len__(self) -> int:
        return len(self._records)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
