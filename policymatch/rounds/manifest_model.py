"""The schema of ``manifest.json`` (pydantic), so that commit reads a manifest it can trust the
shape of: a key removed, a value of the wrong type, a duplicated key or an extra key is refused
with ``PM704`` and the place, before anything else is read from the folder.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
)

from ..errors import LedgerError, simple
from ..rules import ir

FORMAT = "policymatch-round/1"
MANIFEST = "manifest.json"

Sha256 = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9a-f]{64}$")]
#: Money as the manifest writes it: a plain decimal with two places.
MoneyText = Annotated[str, StringConstraints(strict=True, pattern=r"^-?[0-9]+\.[0-9]{2}$")]
Count = Annotated[StrictInt, Field(ge=0)]
Name = Annotated[str, StringConstraints(strict=True, min_length=1)]


def _plain_name(name: str) -> str:
    if name in ("", ".", "..") or any(c in name for c in "/\\\x00"):
        raise ValueError(f"'{name}' is not the name of a file of the round folder")
    return name


#: A file of the round folder: a plain name, never a path out of the folder.
FileName = Annotated[StrictStr, AfterValidator(_plain_name)]


def _iso_date(value: object) -> dt.date:
    if not isinstance(value, str):
        raise ValueError("a date is written YYYY-MM-DD")  # not a number of seconds since 1970
    return dt.date.fromisoformat(value)


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Software(_Model):
    name: StrictStr
    version: Name


class Registry(_Model):
    source: StrictStr
    table: StrictStr | None = None
    query: StrictStr | None = None
    sha256: Sha256 | None
    ignored_columns: list[StrictStr]
    missing_fields: list[StrictStr]


class PolicySetRef(_Model):
    sha256: Sha256
    files: dict[str, Sha256]


class LedgerRef(_Model):
    url: StrictStr
    grants_seen: Count


class Counts(_Model):
    rows_read: Count
    rows_matched: Count
    rows_set_aside: Count
    eligible: Count
    grants: Count
    push: Count
    missing: Count
    near_miss: Count
    excluded: Count
    held: Count


class Totals(_Model):
    demand: MoneyText
    granted: MoneyText


class FundUse(_Model):
    budget: MoneyText | None
    demand: MoneyText
    granted: MoneyText


class PolicyTerms(_Model):
    title: StrictStr
    fund: Name
    mode: Literal["免申即享", "即申即享", "承诺兑现"]
    priority: StrictInt
    frequency: Literal["once", "yearly"]
    stacking_group: Name | None
    budget: StrictStr | None
    in_force: StrictBool


class PoolFund(_Model):
    scale: MoneyText | None
    annual: dict[StrictStr, MoneyText]
    sources: list[StrictStr]
    available: MoneyText | None


class Pool(_Model):
    funds: dict[str, PoolFund]
    issuers: dict[str, StrictStr | None]
    carry: list[StrictStr]


class Manifest(_Model):
    format: Literal["policymatch-round/1"]
    software: Software
    as_of: IsoDate
    registry: Registry
    policy_set: PolicySetRef
    ledger: LedgerRef
    counts: Counts
    totals: Totals
    funds: dict[str, FundUse]
    policies: dict[str, PolicyTerms]
    pool: Pool
    outputs: dict[FileName, Sha256]


def policy_entry(policy: ir.Policy, as_of: dt.date) -> dict[str, object]:
    """What the manifest says of a policy (commit compares it with the policy set's)."""
    return {
        "title": policy.title,
        "fund": policy.fund,
        "mode": policy.mode.value,
        "priority": policy.priority,
        "frequency": policy.frequency.value,
        "stacking_group": policy.stacking_group,
        "budget": None if policy.budget is None else str(policy.budget),
        "in_force": policy.in_force(as_of),
    }


def _refuse(folder: Path, message: str) -> LedgerError:
    return LedgerError([simple("PM704", f"{MANIFEST} {message}", file=str(folder))])


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key '{key}' is given twice")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a value a manifest holds")


def parse_manifest(data: bytes, folder: Path) -> Manifest:
    """The manifest in ``data``, or PM704 saying what is wrong and where (never a traceback)."""
    try:
        raw = json.loads(
            data.decode("utf-8"), object_pairs_hook=_no_repeats, parse_constant=_no_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _refuse(folder, f"cannot be read: {exc}") from exc
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {_what(err)}"
            for err in exc.errors(include_url=False)
        ]
        shown = "\n  ".join(problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise _refuse(folder, f"is not a round manifest:\n  {shown}{more}") from exc


def _what(err: Any) -> str:
    if err["type"] == "missing":
        return "missing"
    if err["type"] == "extra_forbidden":
        return "not a key of a round manifest"
    return str(err["msg"])
