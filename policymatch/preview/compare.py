"""Two drafts of the same round, one per policy set, and what differs between them.

Each side is an ordinary :func:`~policymatch.rounds.draft.draft_round` (match, ledger,
stacking, budgets, pool limits) on the same registry read and ledger; nothing is written. The
figures per policy and fund are those of the round's summary (:func:`summary_rows`,
:func:`fund_rows`), so a preview says what the two rounds would say.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..backends.base import Backend
from ..rounds.allocate import BudgetUse
from ..rounds.draft import Draft, RegistryInput
from ..rounds.ledger_reads import LedgerReads
from ..rounds.lists import FUNDS, SUMMARY, fund_rows, summary_rows
from ..rules import PolicySet, ir
from .sources import on_schema, shared_schema

NEW, REMOVED, CHANGED, SAME = "新增", "删除", "修改", "未变"
EMPTY = "（空）"


@dataclass(frozen=True)
class Pair:
    """A figure in the round in force (``before``) and in the proposed one (``after``)."""

    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class PolicyRow:
    id: str
    title: str
    status: str
    fund: str
    mode: str
    eligible: Pair
    grants: Pair
    demand: Pair
    granted: Pair
    unknown: Pair

    @property
    def round_demand(self) -> Pair | None:
        """What the policy asks of a round (应兑现); None for a push-list policy, which asks
        nothing of one (what it would pay is the push list's 推送测算金额): shown blank, as in
        the round's summary.csv, never as a misleading 0.00."""
        return self.demand if self.mode == ir.Mode.AUTOMATIC.value else None


@dataclass(frozen=True)
class FundRow:
    id: str
    title: str
    budget: tuple[int | None, int | None]
    demand: Pair
    granted: Pair
    #: Demand the budget leaves unpaid (应兑现 − 兑现): what full payment would need on top.
    shortfall: Pair
    #: The pro-rata rate the fund applies to its scaled priority level (1 when all fits).
    rate: tuple[Fraction, Fraction]
    scaled_level: tuple[int | None, int | None]


@dataclass(frozen=True)
class EnterpriseRow:
    uscc: str
    name: str
    region: str
    section: str
    granted: Pair
    #: (policy id, before, after) for each policy whose grant to this enterprise differs.
    changes: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class GroupRow:
    """A township (region code) or an industry section: how its enterprises fare."""

    key: str
    enterprises: int
    gainers: int
    losers: int
    granted: Pair


@dataclass(frozen=True)
class Reach:
    """A policy only the proposed set has: who it reaches and what it costs."""

    policy: PolicyRow
    near_miss: int
    regions: tuple[tuple[str, int, int], ...]  # key, grants, fen
    sections: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Preview:
    as_of: dt.date
    base_label: str
    proposed_label: str
    base: Draft
    proposed: Draft
    policies: tuple[PolicyRow, ...]
    funds: tuple[FundRow, ...]
    #: Enterprises whose granted total differs, the largest gain first, then the largest loss.
    enterprises: tuple[EnterpriseRow, ...]
    regions: tuple[GroupRow, ...]
    sections: tuple[GroupRow, ...]
    new: tuple[Reach, ...]

    @property
    def gainers(self) -> tuple[EnterpriseRow, ...]:
        return tuple(e for e in self.enterprises if e.granted.delta > 0)

    @property
    def losers(self) -> tuple[EnterpriseRow, ...]:
        return tuple(
            sorted(
                (e for e in self.enterprises if e.granted.delta < 0),
                key=lambda e: (e.granted.delta, e.uscc),
            )
        )

    def total(self, attr: str) -> Pair:
        rows = [getattr(p, attr) for p in self.policies]
        return Pair(sum(r.before for r in rows), sum(r.after for r in rows))


def preview(
    proposed: PolicySet,
    base: PolicySet,
    registry: RegistryInput,
    as_of: dt.date,
    ledger: LedgerReads | None = None,
    *,
    backend: str | Backend | None = None,
    labels: tuple[str, str] = ("现行", "拟议"),
) -> Preview:
    """Both rounds in memory on ``registry`` (typed by :func:`shared_schema`) and their deltas;
    ``ledger``: what each reads of the ledger (None: one that holds nothing yet), the pool
    limits by each side's own funds."""
    schema = shared_schema(proposed, base)
    reads = ledger or LedgerReads()
    before = reads.draft(on_schema(base, schema), registry, as_of, backend=backend)
    after = reads.draft(on_schema(proposed, schema), registry, as_of, backend=backend)
    return compare(before, after, labels)


def compare(before: Draft, after: Draft, labels: tuple[str, str] = ("现行", "拟议")) -> Preview:
    """The differences of two drafts of one registry read (rows are compared by position)."""
    if before.frame is not after.frame:
        raise ValueError("a preview compares two drafts of the same registry read")
    frame = after.frame
    lookup = _Lookup(frame)
    grants_b, grants_a = _grants(before), _grants(after)
    enterprises = _enterprises(grants_b, grants_a, lookup)
    policies = _policies(before, after)
    return Preview(
        as_of=after.as_of,
        base_label=labels[0],
        proposed_label=labels[1],
        base=before,
        proposed=after,
        policies=policies,
        funds=_funds(before, after),
        enterprises=enterprises,
        regions=_groups(lookup.region, enterprises, grants_b, grants_a, lambda e: e.region),
        sections=_groups(lookup.section, enterprises, grants_b, grants_a, lambda e: e.section),
        new=tuple(_reach(p, after, lookup) for p in policies if p.status == NEW),
    )


class _Lookup:
    """The registry columns a preview groups by, one array each, by frame row."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.uscc = frame["uscc"].to_numpy(dtype=object)
        self.name = _texts(frame["name"]) if "name" in frame else np.full(len(frame), "")
        self.region = _texts(frame["region"])
        self.section = np.array(
            [EMPTY if s == EMPTY else s[:1].upper() for s in _texts(frame["industry"])],
            dtype=object,
        )


def _texts(column: pd.Series) -> npt.NDArray[np.object_]:
    values = column.to_numpy(dtype=object)
    return np.array([EMPTY if v is None or v != v else str(v) for v in values], dtype=object)


#: Grants of one side: (row, policy id) -> granted fen.
_Grants = dict[tuple[int, str], int]


def _grants(draft: Draft) -> _Grants:
    return {(g.candidate.row, g.candidate.policy_id): g.amount_fen for g in draft.allocation.grants}


def _per_row(grants: _Grants) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for (row, _), fen in grants.items():
        out[row] += fen
    return out


def _enterprises(b: _Grants, a: _Grants, lookup: _Lookup) -> tuple[EnterpriseRow, ...]:
    per_b, per_a = _per_row(b), _per_row(a)
    changed_by_row: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for row, pid in sorted(set(b) | set(a), key=lambda k: (k[1], k[0])):
        x, y = b.get((row, pid), 0), a.get((row, pid), 0)
        if x != y:
            changed_by_row[row].append((pid, x, y))
    rows = [
        EnterpriseRow(
            uscc=str(lookup.uscc[row]),
            name=str(lookup.name[row]),
            region=str(lookup.region[row]),
            section=str(lookup.section[row]),
            granted=Pair(per_b.get(row, 0), per_a.get(row, 0)),
            changes=tuple(changes),
        )
        for row, changes in changed_by_row.items()
    ]
    rows = [r for r in rows if r.granted.delta != 0]
    return tuple(sorted(rows, key=lambda e: (-e.granted.delta, e.uscc)))


def _summary(draft: Draft) -> dict[str, dict[str, Any]]:
    names = [c.name for c in SUMMARY]
    return {row[0]: dict(zip(names, row, strict=True)) for row in summary_rows(draft)}


def _signature(p: ir.Policy) -> ir.Policy:
    """What makes a policy pay what it pays: everything but its examples and place."""
    return replace(p, examples=(), file="", line=0)


def _policies(before: Draft, after: Draft) -> tuple[PolicyRow, ...]:
    sb, sa = _summary(before), _summary(after)
    pb = {p.id: p for p in before.policy_set.policies}
    pa = {p.id: p for p in after.policy_set.policies}
    out: list[PolicyRow] = []
    for pid in sorted(set(pb) | set(pa)):
        policy = pa.get(pid) or pb[pid]
        if pid not in pb:
            status = NEW
        elif pid not in pa:
            status = REMOVED
        else:
            status = SAME if _signature(pb[pid]) == _signature(pa[pid]) else CHANGED
        xb, xa = sb.get(pid, {}), sa.get(pid, {})

        def pair(key: str, xb: dict[str, Any] = xb, xa: dict[str, Any] = xa) -> Pair:
            return Pair(int(xb.get(key) or 0), int(xa.get(key) or 0))

        out.append(
            PolicyRow(
                id=pid,
                title=policy.title,
                status=status,
                fund=policy.fund,
                mode=policy.mode.value,
                eligible=pair("eligible"),
                grants=pair("grants"),
                demand=pair("demand"),
                granted=pair("granted"),
                unknown=pair("unknown"),
            )
        )
    return tuple(out)


def rate(use: BudgetUse | None) -> Fraction:
    """The share of its demand the scaled priority level gets (1: everything fits)."""
    if use is None or use.factor is None:
        return Fraction(1)
    left, demand = use.factor
    return Fraction(left, demand)


def _funds(before: Draft, after: Draft) -> tuple[FundRow, ...]:
    names = [c.name for c in FUNDS]
    # by the fund's id (the rows lead with its title, for people)
    rows = [
        {row["fund"]: row for row in (dict(zip(names, r, strict=True)) for r in fund_rows(d))}
        for d in (before, after)
    ]
    uses = [{u.id: u for u in d.allocation.fund_budgets} for d in (before, after)]
    titles = {**before.policy_set.funds, **after.policy_set.funds}
    out: list[FundRow] = []
    for fid in sorted(set(rows[0]) | set(rows[1])):
        xb, xa = rows[0].get(fid, {}), rows[1].get(fid, {})
        ub, ua = uses[0].get(fid), uses[1].get(fid)
        out.append(
            FundRow(
                id=fid,
                title=titles[fid].title if fid in titles else "",
                budget=(xb.get("budget"), xa.get("budget")),
                demand=Pair(int(xb.get("demand") or 0), int(xa.get("demand") or 0)),
                granted=Pair(int(xb.get("granted") or 0), int(xa.get("granted") or 0)),
                shortfall=Pair(int(xb.get("shortfall") or 0), int(xa.get("shortfall") or 0)),
                rate=(rate(ub), rate(ua)),
                scaled_level=(xb.get("scaled_level"), xa.get("scaled_level")),
            )
        )
    return tuple(out)


def _groups(
    keys: npt.NDArray[np.object_],
    enterprises: Iterable[EnterpriseRow],
    b: _Grants,
    a: _Grants,
    key_of: Callable[[EnterpriseRow], str],
) -> tuple[GroupRow, ...]:
    sizes = Counter(keys.tolist())
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    for grants, total in ((b, before), (a, after)):
        for (row, _), fen in grants.items():
            total[str(keys[row])] += fen
    gainers: Counter[str] = Counter()
    losers: Counter[str] = Counter()
    for e in enterprises:
        (gainers if e.granted.delta > 0 else losers)[key_of(e)] += 1
    groups = [
        GroupRow(k, sizes[k], gainers[k], losers[k], Pair(before[k], after[k]))
        for k in sorted(set(before) | set(after))
    ]
    return tuple(groups)


def _reach(policy: PolicyRow, after: Draft, lookup: _Lookup) -> Reach:
    regions: Counter[str] = Counter()
    sections: Counter[str] = Counter()
    fen_r: Counter[str] = Counter()
    fen_s: Counter[str] = Counter()
    for g in after.allocation.grants:
        if g.candidate.policy_id == policy.id:
            r, s = str(lookup.region[g.candidate.row]), str(lookup.section[g.candidate.row])
            regions[r] += 1
            sections[s] += 1
            fen_r[r] += g.amount_fen
            fen_s[s] += g.amount_fen
    near = int((after.match.batch.near["policy_id"] == policy.id).sum())
    return Reach(policy, near, _ranked(regions, fen_r), _ranked(sections, fen_s))


def _ranked(counts: Mapping[str, int], fen: Mapping[str, int]) -> tuple[tuple[str, int, int], ...]:
    return tuple(sorted(((k, counts[k], fen[k]) for k in counts), key=lambda t: (-t[2], t[0])))
