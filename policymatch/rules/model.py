"""Pydantic models of the structured parts of a policy file (policy-format.md).

Conditions and amounts are left as raw data here and compiled by :mod:`.compiler`, which can say
far more precisely what is wrong with an expression than a union-of-models error would.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PolicyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$", min_length=1)]
Text = Annotated[str, StringConstraints(min_length=1)]
NumberText = str | int | Decimal


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class EffectiveModel(_Strict):
    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None


class DefaultsModel(_Strict):
    issuer: Text | None = None
    fund: Text | None = None
    basis: Text | None = None
    mode: Literal["免申即享", "即申即享", "承诺兑现"] | None = None
    effective: EffectiveModel | None = None
    priority: int | None = None
    frequency: Literal["once", "yearly"] | None = None


class ExampleModel(_Strict):
    name: Text
    as_of: dt.date
    enterprise: dict[str, Any]
    eligible: bool | Literal["unknown"]
    amount: NumberText | None = None
    fails: list[Text] | None = None


class PolicyModel(_Strict):
    id: PolicyId
    title: Text
    issuer: Text | None = None
    basis: Text | None = None
    fund: Text
    mode: Literal["免申即享", "即申即享", "承诺兑现"] = "免申即享"
    effective: EffectiveModel | None = None
    priority: int = 100
    frequency: Literal["once", "yearly"] = "once"
    stacking_group: Text | None = None
    eligibility: Any
    amount: Any
    cap: NumberText | None = None
    budget: NumberText | None = None
    #: What happens to the part a budget cut: ``final`` (gone) or ``carry`` (补发 later).
    shortfall: Literal["final", "carry"] = "final"
    near_miss_margin: NumberText | None = None
    examples: list[ExampleModel] = Field(default_factory=list)


class FundModel(_Strict):
    id: PolicyId
    title: Text
    budget: NumberText | None = None
    #: The pool's size (资金池规模): its opening balance in the ledger's journal.
    scale: NumberText | None = None
    #: Annual appropriation: the most the fund pays out in rounds of that calendar year.
    annual: dict[int, NumberText] | None = None
    #: Where 回补 may come from (policymatch pool replenish --source).
    sources: list[Text] | None = None


class FieldExtensionModel(_Strict):
    type: (
        Literal["code", "string", "integer", "money", "rate", "date", "boolean", "enum", "tags"]
        | None
    ) = None
    label: Text | None = None
    aliases: list[Text] = Field(default_factory=list)
    values: list[Text] = Field(default_factory=list)
    sensitive: bool | None = None


class SchemaExtensionModel(_Strict):
    fields: dict[str, FieldExtensionModel]


#: The top-level keys of a policy file, in the order the spec lists them.
FILE_KEYS = ("version", "defaults", "define", "policies", "funds", "schema")
#: Keys of a policy that take an expression or condition rather than plain data.
CONDITION_KEYS = ("all", "any", "not", "label", "when")
