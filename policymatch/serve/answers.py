"""One enterprise against every policy in force: the 政策计算器's answer, as data.

Each policy's verdict is the reference evaluator's (the oracle every backend agrees with, here
compiled to closures: :mod:`policymatch.backends.closures`), so
the answer equals what the batch round computes for the same row and date: ``eligible`` with
the amount (after cap, half-up to the fen), ``unknown`` with the fields whose absence decides,
or ``ineligible`` with the conditions that failed. Amounts are before the ledger, stacking and
budgets (应兑现): what a round pays is the round's business.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any

from ..backends.closures import CompiledPolicy, compile_policies, outcomes
from ..explain_json import fen, yuan_text
from ..rules import PolicySet
from ..schema import Schema
from ..values import Value


def _label(schema: Schema, name: str) -> str:
    field = schema.lookup(name)
    return field.display if field is not None else name


def _reason(status: str, missing: tuple[str, ...], failed: tuple[str, ...], schema: Schema) -> str:
    if status == "eligible":
        return "符合"
    if status == "unknown":
        return "数据缺失，待补：" + "、".join(_label(schema, f) for f in missing)
    if failed:
        return "不满足：" + "、".join(failed)
    return "金额为 0，不予兑现"


#: Compiled policies per (policy set, as-of date): a handful of dates are asked at a time.
_COMPILED: dict[tuple[str, dt.date], list[CompiledPolicy]] = {}
_LOCK = threading.Lock()
_KEEP = 8


def compiled(policy_set: PolicySet, as_of: dt.date) -> list[CompiledPolicy]:
    """The policies in force on ``as_of``, by id, compiled once (:mod:`.backends.closures`)."""
    key = (policy_set.digest, as_of)
    found = _COMPILED.get(key)
    if found is None:
        found = compile_policies(sorted(policy_set.in_force(as_of), key=lambda p: p.id))
        with _LOCK:
            if len(_COMPILED) >= _KEEP:
                _COMPILED.pop(next(iter(_COMPILED)))
            _COMPILED[key] = found
    return found


def answer(
    policy_set: PolicySet, record: Mapping[str, Value], as_of: dt.date
) -> list[dict[str, Any]]:
    """Every policy in force on ``as_of``, by id, with its verdict for ``record``."""
    schema = policy_set.schema
    out = []
    chosen = compiled(policy_set, as_of)
    for c, o in zip(chosen, outcomes(chosen, record, as_of), strict=True):
        policy = c.policy
        amount = o.amount if o.status == "eligible" else None
        out.append(
            {
                "policy_id": policy.id,
                "title": policy.title,
                "mode": policy.mode.value,
                "status": o.status,
                "amount_yuan": yuan_text(amount),
                "amount_fen": fen(amount),
                "missing_fields": list(o.missing),
                "reason": _reason(o.status, o.missing, o.failed_top, schema),
            }
        )
    return out
