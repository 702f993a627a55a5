"""The watcher: registry changes in, the grants each change makes due or revokes out.

::

    from policymatch import load
    from policymatch.backends.durable import Watcher

    with Watcher(load("policies/"), as_of=date(2024, 3, 1)) as watcher:
        for note in watcher.update({"uscc": "91361126MA35G2K656", "tags": "专精特新", ...}):
            print(note.kind, note.uscc, note.policy_id, note.amount, note.explanation)
        watcher.remove("91361126MA35G2K656")   # revokes whatever was due to it

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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType

from ...rounds.masking import mask_value
from ...rules import PolicySet, ir
from ...values import Value
from ..reference import (
    Env,
    Outcome,
    evaluate,
    evaluate_amount,
    evaluate_policy,
    finish_amount,
    within_limit,
)
from .compile import Program, compile_program
from .paid import NothingPaid, PaidLedger
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


def grant_explanation(outcome: Outcome, masked: bool = False) -> tuple[str, ...]:
    """Each labelled condition with the values it saw (bank accounts and phone numbers masked if
    ``masked``), then how the amount came about."""
    lines = []
    for leaf in outcome.leaves:
        verdict = {True: "yes", False: "no", None: "unknown"}[leaf.value]
        inputs = ", ".join(
            f"{name}={show(mask_value(name, value) if masked else value)}"
            for name, value in leaf.inputs
        )
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


def reads(policy: ir.Policy) -> frozenset[str]:
    """The registry fields a policy's outcome depends on."""
    return ir.fields_of(policy.eligibility).union(*(ir.fields_of(e) for e in policy.amount.exprs()))


def due_amount(policy: ir.Policy, record: Mapping[str, Value], as_of: dt.date) -> Decimal | None:
    """What the batch core grants: the amount when eligibility is true and the amount (capped,
    rounded half-up to the fen) positive, else None. The reference evaluator's parts, without
    the failed conditions and unknown fields :func:`evaluate_policy` also works out."""
    env = Env(record, as_of)
    if evaluate(policy.eligibility, env) is not True:
        return None
    raw, _, _ = evaluate_amount(policy.amount, env)
    if raw is None:
        return None
    amount = finish_amount(raw, policy.cap)
    return within_limit(policy, amount, record.get("uscc")) if amount > 0 else None


def changed_fields(before: Mapping[str, Value], after: Mapping[str, Value]) -> frozenset[str]:
    return frozenset(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


class Watcher:
    """Grants made due and revoked by registry changes, for one policy set and as-of date."""

    def __init__(
        self,
        policy_set: PolicySet,
        as_of: dt.date,
        *,
        ledger: PaidLedger | None = None,
        masked: bool = False,
    ) -> None:
        self.policy_set = policy_set
        self.as_of = as_of
        #: Bank accounts and phone numbers masked in explanations (the HTTP service's answers).
        self.masked = masked
        self.ledger: PaidLedger = ledger if ledger is not None else NothingPaid()
        self.program: Program = compile_program(
            policy_set.in_force(as_of), policy_set.schema, as_of
        )
        self._key = key_field_name(policy_set.schema)
        self._session = Session(self.program)
        self._index = {p.id: i for i, p in enumerate(self.program.policies)}
        self._reads = [reads(p) for p in self.program.policies]
        self._records: dict[str, dict[str, Value]] = {}
        self._candidates: dict[str, frozenset[int]] = {}
        self._eligible: dict[str, dict[int, Decimal]] = {}  # amounts before the ledger
        self._due: dict[str, dict[str, Decimal]] = {}

    # --- changes ---------------------------------------------------------------------------

    def update(self, record: Mapping[str, object]) -> list[Notification]:
        """An enterprise's whole row, new or changed (absent fields are null, as in a file).

        Values are typed as a registry file's cells are; raises
        :class:`~policymatch.backends.durable.records.RecordError` for a row that does not type.
        """
        uscc, eligible = self._apply(record)
        return self._settle(uscc, self._unpaid(uscc, eligible))

    def load(self, records: Iterable[Mapping[str, object]]) -> int:
        """Take rows as the registry as it stands, reporting nothing (to start from a registry).

        Returns how many rows were taken.
        """
        count = 0
        for record in records:
            uscc, eligible = self._apply(record)
            due = self._unpaid(uscc, eligible)
            if due:
                self._due[uscc] = due
            else:
                self._due.pop(uscc, None)
            count += 1
        return count

    def _apply(self, record: Mapping[str, object]) -> tuple[str, dict[int, Decimal]]:
        """Take one row: its USCC and the amounts of the policies it is eligible for.

        Only the candidates that read a changed field are evaluated again: a policy's outcome
        is a function of the fields it reads (and of the watcher's fixed as-of date).
        """
        typed = type_record(record, self.policy_set.schema)
        uscc = str(typed[self._key])
        before = self._records.get(uscc)
        were = self._candidates.get(uscc, frozenset())
        changed = None if before is None else changed_fields(before, typed)
        if changed is not None and not changed:
            candidates = were  # the same row again: the same candidates
        else:
            candidates = self._session.match(self.program.layout.encode(uscc, typed))
        kept = self._eligible.get(uscc, {})
        eligible: dict[int, Decimal] = {}
        for index in sorted(candidates):
            if changed is not None and index in were and not self._reads[index] & changed:
                if index in kept:
                    eligible[index] = kept[index]
                continue
            amount = due_amount(self.program.policies[index], typed, self.as_of)
            if amount is not None:
                eligible[index] = amount
        self._records[uscc] = typed
        self._candidates[uscc] = candidates
        self._eligible[uscc] = eligible
        return uscc, eligible

    def remove(self, uscc: str) -> list[Notification]:
        """An enterprise left the registry: everything due to it is revoked."""
        self._records.pop(uscc, None)
        self._candidates.pop(uscc, None)
        self._eligible.pop(uscc, None)
        return self._settle(uscc, {})

    def recheck(self) -> list[Notification]:
        """Ask the ledger again about every eligible grant (after a round was committed)."""
        notes: list[Notification] = []
        for uscc in sorted(self._eligible):
            notes.extend(self._settle(uscc, self._unpaid(uscc, self._eligible[uscc])))
        return notes

    def _unpaid(self, uscc: str, eligible: dict[int, Decimal]) -> dict[str, Decimal]:
        """The due set: eligible grants the ledger does not show as paid already."""
        due: dict[str, Decimal] = {}
        for index, amount in eligible.items():
            policy = self.program.policies[index]
            if not self.ledger.paid(uscc, policy, self.as_of):
                due[policy.id] = amount
        return due

    def _settle(self, uscc: str, due: dict[str, Decimal]) -> list[Notification]:
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
                outcome = evaluate_policy(policy, record, self.as_of)
            paid = pid not in due and outcome is not None and outcome.status == "eligible"
            reason = revoke_reason(outcome, paid)
            notes.append(Notification("revoke", uscc, policy, before[pid], (reason,)))
        for pid in sorted(due):
            if before.get(pid) == due[pid]:
                continue
            assert record is not None
            policy = self._policy(pid)
            traced = evaluate_policy(policy, record, self.as_of, trace=True)
            notes.append(
                Notification(
                    "grant", uscc, policy, due[pid], grant_explanation(traced, self.masked)
                )
            )
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
