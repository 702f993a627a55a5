"""One enterprise against every policy in force: the 政策计算器's answer, as data.

Each policy's verdict is the reference evaluator's (the oracle every backend agrees with, here
compiled to closures: :mod:`policymatch.backends.closures`), so the answer equals what the
batch round computes for the same row and date: ``eligible`` with the amount (after cap,
half-up to the fen), ``unknown`` with the fields whose absence decides, or ``ineligible`` with
the conditions that failed. Amounts are before the ledger, stacking and budgets (应兑现): what a
round pays is the round's business.

What does not depend on the enterprise (a policy's id, title and mode, the labels of fields) is
prepared once per policy set and date, with the closures.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..backends.closures import CompiledSet, compile_policies
from ..explain_json import fen, yuan_text
from ..rules import PolicySet
from ..values import Value


@dataclass(frozen=True)
class Prepared:
    """The policies in force on a date, compiled, with their answers' fixed parts."""

    compiled: CompiledSet
    #: Per policy, in the order of ``compiled.policies``: id, title, mode.
    heads: tuple[tuple[str, str, str], ...]
    #: A field's label (its Chinese display name), for the missing fields' reason.
    labels: Mapping[str, str]
    #: The reason of an ineligible result, by its failed conditions (the same few recur).
    reasons: dict[tuple[str, ...], str] = field(default_factory=dict, compare=False)


#: Prepared policies per (policy set, as-of date): a handful of dates are asked at a time.
_PREPARED: dict[tuple[str, dt.date], Prepared] = {}
_LOCK = threading.Lock()
_KEEP = 8


def prepared(policy_set: PolicySet, as_of: dt.date) -> Prepared:
    """The policies in force on ``as_of``, by id, compiled once (:mod:`.backends.closures`)."""
    key = (policy_set.digest, as_of)
    found = _PREPARED.get(key)
    if found is None:
        chosen = sorted(policy_set.in_force(as_of), key=lambda p: p.id)
        found = Prepared(
            compile_policies(chosen),
            tuple((p.id, p.title, p.mode.value) for p in chosen),
            {f.name: f.display for f in policy_set.schema.fields},
        )
        with _LOCK:
            if len(_PREPARED) >= _KEEP:
                _PREPARED.pop(next(iter(_PREPARED)))
            _PREPARED[key] = found
    return found


def answer(
    policy_set: PolicySet, record: Mapping[str, Value], as_of: dt.date
) -> list[dict[str, Any]]:
    """Every policy in force on ``as_of``, by id, with its verdict for ``record``."""
    ready = prepared(policy_set, as_of)
    reasons = ready.reasons
    out: list[dict[str, Any]] = []
    for (pid, title, mode), (status, _, amount, missing, failed) in zip(
        ready.heads, ready.compiled.verdicts(record, as_of), strict=True
    ):
        reason: str | None
        if status == "eligible":
            reason = "符合"
        elif status == "unknown":
            reason = "数据缺失，待补：" + "、".join(ready.labels.get(f, f) for f in missing)
        elif failed:  # nearly every pair: the same few reasons, each written once
            reason = reasons.get(failed)
            if reason is None:
                reason = reasons[failed] = "不满足：" + "、".join(failed)
        else:
            reason = "金额为 0，不予兑现"
        shown = amount if status == "eligible" else None
        out.append(
            {
                "policy_id": pid,
                "title": title,
                "mode": mode,
                "status": status,
                "amount_yuan": yuan_text(shown),
                "amount_fen": fen(shown),
                "missing_fields": list(missing),
                "reason": reason,
            }
        )
    return out
