"""What commit checks of a round against the policy set it is given, not against the folder.

A round folder is only files: someone who rewrites a list *and* its manifest can make the
hashes agree. So commit takes the policy terms from the policy set (whose files must be the
ones the manifest names), refuses a manifest whose terms contradict it, and recomputes the
bounds every grant must fit: a policy of the set, in force and paid in rounds (免申即享); a valid
USCC; once per enterprise, policy and stacking group; ``0 < amount <= demand <= the most the
policy can compute``; every policy budget and fund budget respected.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import pandas as pd

from ..errors import LedgerError, simple
from ..money import to_fen
from ..moneytext import fen_text
from ..registry.uscc import uscc_problem
from ..rules import PolicySet, ir
from .allocate import Terms, budget_fen
from .draft import candidates_of
from .manifest_model import Manifest, policy_entry

#: At most this many problems are listed in one refusal.
SHOWN = 10


def _refuse(code: str, folder: Path, headline: str, problems: Sequence[str]) -> LedgerError:
    listed = "\n  ".join(problems[:SHOWN])
    more = f"\n  ... and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    return LedgerError(
        [
            simple(
                code,
                f"{headline}:\n  {listed}{more}",
                file=str(folder),
                hint="commit only a round as 'policymatch run' wrote it, with the policies it "
                "was run with (--policies)",
            )
        ]
    )


def same_policy_set(manifest: Manifest, policy_set: PolicySet) -> bool:
    """The policy set holds the files the manifest names (by content: the set's digest also
    depends on the folder it was read from)."""
    if manifest.policy_set.sha256 == policy_set.digest:
        return True
    return sorted(manifest.policy_set.files.values()) == sorted(h for _, h in policy_set.sources)


def round_terms(manifest: Manifest, policy_set: PolicySet, folder: Path) -> dict[str, Terms]:
    """Each policy's terms, from the policy set (PM720 if it is not the round's set, PM721 if
    the manifest says otherwise)."""
    if not same_policy_set(manifest, policy_set):
        raise LedgerError(
            [
                simple(
                    "PM720",
                    f"the policy set given to commit ({policy_set.digest[:12]}) is not the one "
                    f"the round was run with ({manifest.policy_set.sha256[:12]})",
                    file=str(folder),
                    hint="commit with the policies the round was run with: --policies DIR",
                )
            ]
        )
    as_of = manifest.as_of
    problems = []
    written = {pid: t.model_dump() for pid, t in manifest.policies.items()}
    for p in sorted(policy_set.policies, key=lambda p: p.id):
        expected = policy_entry(p, as_of)
        got = written.pop(p.id, None)
        if got is None:
            problems.append(f"{p.id}: missing from the manifest")
            continue
        problems.extend(
            f"{p.id}: {key} is {got[key]!r} in the manifest, {value!r} in the policy set"
            for key, value in expected.items()
            if got[key] != value
        )
    problems.extend(f"{pid}: not a policy of the set" for pid in sorted(written))
    if problems:
        raise _refuse(
            "PM721", folder, "refused: manifest.json contradicts the policy set", problems
        )
    return {p.id: Terms.of(p) for p in policy_set.policies}


def ceiling_fen(policy: ir.Policy) -> int | None:
    """The most the policy's amount can be for any enterprise, in fen, when the policy file
    says it (a fixed amount, tiers of fixed values, or a ``cap``); None when it depends on the
    data. Rounded half-up like the amount itself (once, after the cap)."""
    values = [policy.amount.expr] if policy.amount.expr is not None else []
    values += [t.value for t in policy.amount.tiers]
    most: Decimal | None = None
    if values and all(isinstance(v, ir.Const) for v in values):
        most = max(Decimal(str(v.value)) for v in values if isinstance(v, ir.Const))
        most = max(most, Decimal(0))  # no tier matching is 0
    if policy.cap is not None:
        most = policy.cap if most is None else min(most, policy.cap)
    return None if most is None else int(to_fen(most) * 100)


def computed_demands(
    policy_set: PolicySet, frame: pd.DataFrame, as_of: dt.date, usccs: Iterable[str]
) -> dict[tuple[str, str], int]:
    """What each policy computes for each of ``usccs`` from the registry ``frame``: the amount
    every grant's demand must equal (only those enterprises are matched)."""
    from ..engine import Engine

    rows = frame[frame["uscc"].isin(set(usccs))].reset_index(drop=True)
    match = Engine(policy_set).match(rows, as_of)
    return {(c.uscc, c.policy_id): c.demand_fen for c in candidates_of(match)}


def check_grants(
    grants: Sequence[tuple[str, str, int, int]],
    policy_set: PolicySet,
    as_of: dt.date,
    folder: Path,
    computed: Mapping[tuple[str, str], int] | None = None,
) -> None:
    """Every grant (uscc, policy id, demand in fen, amount in fen; line n of grants.csv is
    ``grants[n - 2]``) within the bounds the policy set gives (PM722), and the budgets (PM723).
    With ``computed`` (:func:`computed_demands`), each demand must be what its policy computes
    for the enterprise."""
    policies = {p.id: p for p in policy_set.policies}
    ceilings = {pid: ceiling_fen(p) for pid, p in policies.items()}
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    per_policy: dict[str, int] = defaultdict(int)
    per_fund: dict[str, int] = defaultdict(int)
    for n, (uscc, pid, demand, amount) in enumerate(grants, start=2):
        where = f"grants.csv line {n} ({pid} {uscc})"
        policy = policies.get(pid)
        if policy is None:
            problems.append(f"{where}: no policy '{pid}' in the policy set")
            continue
        if not policy.in_force(as_of):
            problems.append(f"{where}: the policy is not in force on {as_of}")
        if policy.mode is not ir.Mode.AUTOMATIC:
            problems.append(f"{where}: a {policy.mode.value} policy is not paid in a round")
        bad_code = uscc_problem(uscc)
        if bad_code is not None:
            problems.append(f"{where}: {bad_code}")
        if amount <= 0:
            problems.append(f"{where}: amount {fen_text(amount)} is not above zero")
        if amount > demand:
            problems.append(
                f"{where}: amount {fen_text(amount)} is above the demand {fen_text(demand)}"
            )
        ceiling = ceilings[pid]
        if ceiling is not None and demand > ceiling:
            problems.append(
                f"{where}: demand {fen_text(demand)} is above the most the policy gives "
                f"({fen_text(ceiling)})"
            )
        if computed is not None and computed.get((uscc, pid)) != demand:
            due = computed.get((uscc, pid))
            problems.append(
                f"{where}: demand {fen_text(demand)}, but on the registry the policy gives "
                + ("the enterprise nothing" if due is None else f"it {fen_text(due)}")
            )
        key = (policy.stacking_group or f"policy {pid}", uscc)
        if key in seen:
            problems.append(
                f"{where}: the enterprise is paid twice under "
                f"{'stacking group ' if policy.stacking_group else ''}{key[0]} (also line {seen[key]})"
            )
        seen.setdefault(key, n)
        per_policy[pid] += amount
        per_fund[policy.fund] += amount
    if problems:
        raise _refuse(
            "PM722", folder, "refused: grants.csv holds grants the policies do not allow", problems
        )
    over = [
        f"policy {pid}: {fen_text(total)} granted, budget {fen_text(budget_fen(budget))}"
        for pid, total in sorted(per_policy.items())
        if (budget := policies[pid].budget) is not None and total > budget_fen(budget)
    ]
    over += [
        f"fund {fid}: {fen_text(total)} granted, budget {fen_text(budget_fen(budget))}"
        for fid, total in sorted(per_fund.items())
        if (budget := policy_set.funds[fid].budget) is not None and total > budget_fen(budget)
    ]
    if over:
        raise _refuse("PM723", folder, "refused: grants.csv pays more than a budget allows", over)
