"""An explanation as JSON-ready data: the form ``explain --format json`` and the HTTP service
give, versioned (``"version": 1``) and documented in docs/json-schema.md.

Money is text in yuan with two places (``"61728.39"``, exact, no float) next to the same
amount in fen (int); raw amounts before rounding keep all their digits. Values that conditions
saw are JSON values (dates ISO text, tags a list, money yuan text) with the text people read.
Tiers are numbered from 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .explain import HELD, JSON_VERSION, Explanation, _field_name, _formula, _value
from .money import to_fen
from .rounds.masking import mask_value
from .schema import Schema

KIND = "policymatch/explanation"


def yuan_text(value: Decimal | None) -> str | None:
    """Exact yuan to the fen as text (``"1234.50"``), None stays None."""
    return None if value is None else f"{to_fen(value):.2f}"


def fen(value: Decimal | None) -> int | None:
    return None if value is None else int(to_fen(value) * 100)


def json_value(value: Any) -> Any:
    """A typed registry value as a JSON value."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    return str(value)


def _inputs(schema: Schema, inputs: Sequence[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "field": name,
            "label": _field_name(schema, name),
            "value": json_value(mask_value(name, value)),
            "text": _value(schema, name, mask_value(name, value)),
        }
        for name, value in inputs
    ]


def explanation_dict(e: Explanation) -> dict[str, Any]:
    p = e.policy
    o = e.outcome
    d = e.derivation
    amount = None
    if d is not None:
        amount = {
            "formula": None if d.formula is None else _formula(d.formula),
            "inputs": _inputs(e.schema, d.inputs),
            "tiers": [
                {
                    "tier": t.index + 1,
                    "when": t.when,
                    "held": t.held,
                    "held_text": HELD[t.held],
                    "inputs": _inputs(e.schema, t.inputs),
                }
                for t in d.tiers
            ],
            "raw_yuan": None if d.raw is None else format(d.raw, "f"),
            "cap_yuan": yuan_text(d.cap),
            "capped": d.raw is not None and d.cap is not None and d.raw > d.cap,
            "amount_yuan": yuan_text(d.amount),
            "amount_fen": fen(d.amount),
        }
    r = e.round_effect
    round_part = None
    if e.with_round:
        round_part = {
            "status": "not_due" if r is None else r.status,
            "demand_fen": None if r is None else r.demand_fen,
            "demand_yuan": None if r is None else yuan_text(Decimal(r.demand_fen).scaleb(-2)),
            "amount_fen": 0 if r is None else r.amount_fen,
            "amount_yuan": yuan_text(e.paid_in_round),
            "reason": None if r is None else r.reason,
            "reason_text": None if r is None else r.reason_text,
            "other": None if r is None else r.other,
            "steps": [] if r is None else [line.strip() for line in r.lines],
            "ledger": None if r is None else r.ledger,
        }
    computed = o.amount if o.status == "eligible" else None
    read = e.paid_in_round if e.with_round else computed
    return {
        "kind": KIND,
        "version": JSON_VERSION,
        "as_of": e.as_of.isoformat(),
        "policy": {
            "id": p.id,
            "title": p.title,
            "issuer": p.issuer,
            "mode": p.mode.value,
            "fund": p.fund,
            "in_force": e.in_force,
        },
        "enterprise": {"uscc": e.record.get("uscc"), "name": e.record.get("name")},
        "headline": e.headline,
        "status": o.status,
        "eligible": o.eligible,
        "computed": {"amount_yuan": yuan_text(computed), "amount_fen": fen(computed)},
        "round": round_part,
        "read_out": {"which": e.read_out, "amount_yuan": yuan_text(read), "amount_fen": fen(read)},
        "missing_fields": list(o.missing),
        "failed_conditions": list(o.failed_top),
        "near_miss": o.near_miss,
        "conditions": [
            {
                "depth": c.depth,
                "label": c.label,
                "group": c.group,
                "held": c.held,
                "held_text": HELD[c.held],
                "inputs": _inputs(e.schema, c.inputs),
            }
            for c in e.conditions
        ],
        "amount": amount,
    }
