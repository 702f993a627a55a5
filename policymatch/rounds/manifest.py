"""``manifest.json``: what a round was made from and what it wrote, and reading a round back.

The manifest holds the as-of date, the SHA-256 of the registry input and of every policy file,
the policy set's digest, the software version, each policy's terms (fund, mode, priority,
frequency, stacking group, budget), the funds, the counts (rows read = matched + set aside) and
the SHA-256 of every file the run wrote. It holds nothing time-based, so it is as reproducible as
the lists. The round id is the SHA-256 of the manifest's bytes: it names the round in the ledger,
and any edit to a list (its hash no longer matches) or to the manifest (the id changes) shows.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import LedgerError, simple
from ..rules import ir
from .allocate import Terms, budget_fen
from .draft import Draft
from .ledger import LedgerGrant, RoundEntry
from .outputs import ENCODING, sha256_file
from .tables import fen_text

FORMAT = "policymatch-round/1"
MANIFEST = "manifest.json"


def build_manifest(
    draft: Draft, outputs: dict[str, str], registry_options: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The manifest's content; ``registry_options`` are the ``table``/``query`` of a database."""
    alloc = draft.allocation
    reg = draft.registry
    granted = sum(g.amount_fen for g in alloc.grants)
    return {
        "format": FORMAT,
        "software": {"name": "policymatch", "version": __version__},
        "as_of": draft.as_of.isoformat(),
        "registry": {
            "source": reg.source,
            **(registry_options or {}),
            "sha256": reg.sha256,
            "ignored_columns": list(reg.ignored_columns),
            "missing_fields": list(reg.missing_fields),
        },
        "policy_set": {
            "sha256": draft.policy_set.digest,
            "files": dict(draft.policy_set.sources),
        },
        "ledger": {"url": draft.ledger, "grants_seen": draft.ledger_grants},
        "counts": {
            "rows_read": reg.rows_read,
            "rows_matched": len(draft.frame),
            "rows_set_aside": len(reg.rejected),
            "eligible": len(draft.match.batch.grants),
            "grants": len(alloc.grants),
            "push": len(alloc.push),
            "missing": len(draft.match.batch.unknown),
            "near_miss": len(draft.match.batch.near),
            "excluded": len(alloc.excluded),
        },
        "totals": {
            "demand": fen_text(sum(g.candidate.demand_fen for g in alloc.grants)),
            "granted": fen_text(granted),
        },
        "funds": {
            use.id: {
                "budget": None if use.budget_fen is None else fen_text(use.budget_fen),
                "demand": fen_text(use.demand_fen),
                "granted": fen_text(use.granted_fen),
            }
            for use in alloc.fund_budgets
        },
        "policies": {
            p.id: {
                "title": p.title,
                "fund": p.fund,
                "mode": p.mode.value,
                "priority": p.priority,
                "frequency": p.frequency.value,
                "stacking_group": p.stacking_group,
                "budget": None if p.budget is None else str(p.budget),
                "in_force": p.in_force(draft.as_of),
            }
            for p in sorted(draft.policy_set.policies, key=lambda p: p.id)
        },
        "outputs": dict(sorted(outputs.items())),
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def round_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- reading a round back (policymatch commit) -----------------------------------------------


def _refuse(folder: Path, message: str, hint: str | None = None) -> LedgerError:
    return LedgerError([simple("PM704", message, file=str(folder), hint=hint)])


def read_round(folder: Path) -> RoundEntry:
    """The reviewed round in ``folder``, checked against its manifest, ready to commit."""
    path = folder / MANIFEST
    if not path.is_file():
        raise _refuse(
            folder, f"no {MANIFEST} here: not a round folder written by 'policymatch run'"
        )
    data = path.read_bytes()
    try:
        manifest = json.loads(data.decode("utf-8"))
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format is {manifest.get('format')!r}, expected {FORMAT!r}")
        outputs: dict[str, str] = manifest["outputs"]
        as_of = dt.date.fromisoformat(manifest["as_of"])
        terms = {pid: _terms(pid, t) for pid, t in manifest["policies"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _refuse(folder, f"{MANIFEST} cannot be read: {exc}") from exc
    changed = [
        name
        for name, digest in outputs.items()
        if not (folder / name).is_file() or sha256_file(folder / name) != digest
    ]
    if changed:
        raise _refuse(
            folder,
            "refused: files changed or missing since the run: " + ", ".join(sorted(changed)),
            hint="a reviewed round is committed as written; run it again to change it",
        )
    grants = _read_grants(folder / "grants.csv", terms, as_of)
    expected = manifest["counts"]["grants"], manifest["totals"]["granted"]
    actual = len(grants), fen_text(sum(g.amount_fen for g in grants))
    if actual != expected:
        raise _refuse(folder, f"grants.csv holds {actual}, the manifest says {expected}")
    return RoundEntry(
        round_id=round_id(data),
        as_of=as_of,
        policy_set_sha256=manifest["policy_set"]["sha256"],
        registry_sha256=manifest["registry"]["sha256"],
        software_version=manifest["software"]["version"],
        folder=str(folder.resolve()),
        terms=terms,
        grants=grants,
    )


def _terms(pid: str, t: dict[str, Any]) -> Terms:
    return Terms(
        id=pid,
        fund=t["fund"],
        mode=ir.Mode(t["mode"]),
        priority=int(t["priority"]),
        frequency=ir.Frequency(t["frequency"]),
        stacking_group=t["stacking_group"],
        budget_fen=None if t["budget"] is None else budget_fen(Decimal(t["budget"])),
    )


def _fen(text: str) -> int:
    value = Decimal(text) * 100
    if value != value.to_integral_value():
        raise ValueError(f"'{text}' is not an amount in fen")
    return int(value)


def _read_grants(path: Path, terms: dict[str, Terms], as_of: dt.date) -> list[LedgerGrant]:
    """The grants to record; each row's period must be the one its policy has on ``as_of``."""
    out: list[LedgerGrant] = []
    with path.open(encoding=ENCODING, newline="") as f:
        for n, rec in enumerate(csv.DictReader(f), start=2):
            try:
                t = terms.get(rec["policy_id"])
                if t is None:
                    raise ValueError(f"policy '{rec['policy_id']}' is not in the manifest")
                if rec["period"] != t.period(as_of):
                    raise ValueError(
                        f"period '{rec['period']}' is not {t.id}'s period on {as_of} "
                        f"('{t.period(as_of)}'): grants.csv and manifest.json disagree"
                    )
                out.append(
                    LedgerGrant(
                        uscc=rec["uscc"],
                        name=rec["name"] or None,
                        policy_id=rec["policy_id"],
                        demand_fen=_fen(rec["demand"]),
                        amount_fen=_fen(rec["amount"]),
                    )
                )
            except (KeyError, ValueError, InvalidOperation) as exc:
                raise _refuse(path.parent, f"grants.csv line {n}: {exc}") from exc
    return out
