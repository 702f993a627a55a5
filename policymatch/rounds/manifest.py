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
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..errors import LedgerError, simple
from ..moneytext import fen_text
from ..rules import PolicySet
from .allocate import Terms
from .bounds import check_grants, computed_demands, round_terms
from .draft import Draft
from .ledger_records import LedgerGrant, RoundEntry
from .manifest_model import FORMAT, MANIFEST, Manifest, parse_manifest, policy_entry
from .outputs import ENCODING, restore, sha256_file
from .pool import pool_manifest, round_pool


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
            "held": len(alloc.held),
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
            p.id: policy_entry(p, draft.as_of)
            for p in sorted(draft.policy_set.policies, key=lambda p: p.id)
        },
        "pool": pool_manifest(round_pool(draft.policy_set), draft.limits),
        "outputs": dict(sorted(outputs.items())),
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def round_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- reading a round back (policymatch commit) -----------------------------------------------

GRANTS = "grants.csv"
_MONEY = re.compile(r"-?[0-9]+\.[0-9]{2}")


def _refuse(folder: Path, message: str, hint: str | None = None) -> LedgerError:
    return LedgerError([simple("PM704", message, file=str(folder), hint=hint)])


def read_round(
    folder: Path,
    policy_set: PolicySet,
    *,
    registry: str | bool = False,
    carried: Mapping[tuple[str, str, str], int] | None = None,
) -> RoundEntry:
    """The reviewed round in ``folder``, checked against its manifest and against the policy
    set it was run with (:mod:`.bounds`), ready to commit.

    With ``registry`` (True: the registry the manifest names; or a path or URL), the registry
    is read again and every grant's demand must be what its policy computes for the enterprise;
    a registry file must be the one the round was run with (PM727). A 补发 (a ``shortfall:
    carry`` grant paid in part before) demands only what is still due: ``carried`` is what the
    ledger says each (policy, enterprise, period) still owes (:func:`.pool.carried_due`)."""
    path = folder / MANIFEST
    if not path.is_file():
        raise _refuse(
            folder, f"no {MANIFEST} here: not a round folder written by 'policymatch run'"
        )
    data = path.read_bytes()
    manifest = parse_manifest(data, folder)
    if GRANTS not in manifest.outputs:
        raise _refuse(folder, f"refused: {MANIFEST} names no SHA-256 for {GRANTS}")
    changed = [
        name
        for name, digest in manifest.outputs.items()
        if not (folder / name).is_file() or sha256_file(folder / name) != digest
    ]
    if changed:
        raise _refuse(
            folder,
            "refused: files changed or missing since the run: " + ", ".join(sorted(changed)),
            hint="a reviewed round is committed as written; run it again to change it",
        )
    terms = round_terms(manifest, policy_set, folder)
    grants = _read_grants(folder / GRANTS, terms, manifest.as_of)
    computed = None
    if registry is not False:
        frame = _registry_again(manifest, policy_set, folder, registry)
        computed = computed_demands(policy_set, frame, manifest.as_of, (g.uscc for g in grants))
        for g in grants:
            due = (carried or {}).get(
                (g.policy_id, g.uscc, terms[g.policy_id].period(manifest.as_of))
            )
            if due is not None and (g.uscc, g.policy_id) in computed:
                computed[(g.uscc, g.policy_id)] = due
    check_grants(
        [(g.uscc, g.policy_id, g.demand_fen, g.amount_fen) for g in grants],
        policy_set,
        manifest.as_of,
        folder,
        computed,
    )
    expected = manifest.counts.grants, manifest.totals.granted
    actual = len(grants), fen_text(sum(g.amount_fen for g in grants))
    if actual != expected:
        raise _refuse(folder, f"grants.csv holds {actual}, the manifest says {expected}")
    return RoundEntry(
        round_id=round_id(data),
        as_of=manifest.as_of,
        policy_set_sha256=manifest.policy_set.sha256,
        registry_sha256=manifest.registry.sha256,
        software_version=manifest.software.version,
        folder=str(folder.resolve()),
        terms=terms,
        grants=grants,
        # the pool's terms come from the policy set, like the policies' (the folder's block
        # only says what the run saw)
        pool=round_pool(policy_set),
    )


def _registry_again(
    manifest: Manifest, policy_set: PolicySet, folder: Path, registry: str | bool
) -> pd.DataFrame:
    from ..registry.load import read_registry

    named = manifest.registry
    source = named.source if registry is True else str(registry)
    load = read_registry(source, policy_set.schema, table=named.table, query=named.query)
    if named.sha256 is not None and load.sha256 != named.sha256:
        raise LedgerError(
            [
                simple(
                    "PM727",
                    f"the registry '{source}' is not the one the round was run with "
                    f"(SHA-256 {str(load.sha256)[:12]}, the manifest says {named.sha256[:12]})",
                    file=str(folder),
                    hint="commit with the registry file the round was run with: --registry PATH",
                )
            ]
        )
    return load.frame


def _fen(text: str) -> int:
    if not _MONEY.fullmatch(text):
        raise ValueError(f"'{text}' is not an amount with two decimal places")
    return int(text.replace(".", ""))


def _read_grants(path: Path, terms: Mapping[str, Terms], as_of: dt.date) -> list[LedgerGrant]:
    """The grants to record; each row's period must be the one its policy has on ``as_of``.
    Line ``n`` is the n-th row of the file, the header being row 1."""
    out: list[LedgerGrant] = []
    try:
        with path.open(encoding=ENCODING, newline="") as f:
            for written in csv.DictReader(f):
                # the ledger records the registry's text, not the escape the lists carry
                rec = {k: restore(v) if isinstance(v, str) else v for k, v in written.items()}
                out.append(_grant(rec, terms, as_of))
    except (KeyError, ValueError, TypeError, csv.Error) as exc:
        # the row being read is the one after the last one read
        raise _refuse(path.parent, f"grants.csv line {len(out) + 2}: {exc}") from exc
    return out


def _grant(rec: dict[str, str], terms: Mapping[str, Terms], as_of: dt.date) -> LedgerGrant:
    t = terms.get(rec["policy_id"])
    if t is None:
        raise ValueError(f"policy '{rec['policy_id']}' is not in the policy set")
    if rec["period"] != t.period(as_of):
        raise ValueError(
            f"period '{rec['period']}' is not {t.id}'s period on {as_of} "
            f"('{t.period(as_of)}'): grants.csv and the policy set disagree"
        )
    return LedgerGrant(
        uscc=rec["uscc"],
        name=rec["name"] or None,
        policy_id=rec["policy_id"],
        demand_fen=_fen(rec["demand"]),
        amount_fen=_fen(rec["amount"]),
    )
