"""``commit --withhold FILE``: grants held back after an objection in 公示 (公示异议).

FILE has the columns uscc, policy_id, reason, reference (文号 or 异议登记号; may be empty).
Each row must name a grant of the round. The round is committed without those grants; they are
recorded in the pool journal as withheld, with the reason, and stay payable: nothing keys them
as paid, so a later round pays them once the objection is settled. Their money is not advanced
and stays in the pool. It is not re-allocated to the other grants of this round: the reviewed
and published lists are committed as they are (re-allocating would change amounts people
already saw in 公示); the next round draws on it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .csvin import read_rows, required_cell
from .journal import Withheld
from .ledger import RoundEntry

COLUMNS = ("uscc", "policy_id", "reason", "reference")
HINT = "列为 uscc, policy_id, reason, reference；每行须是本轮 grants.csv 中的一笔兑现"


def withhold(entry: RoundEntry, path: Path) -> RoundEntry:
    """The round without the grants ``path`` lists, which become ``entry.withheld``."""
    grants = {(g.uscc, g.policy_id): g for g in entry.grants}
    seen: set[tuple[str, str]] = set()

    def parse(row: dict[str, str], where: str) -> Withheld:
        key = required_cell(row, "uscc"), required_cell(row, "policy_id")
        reason = required_cell(row, "reason")
        if key not in grants:
            raise ValueError(f"本轮没有向 {key[0]} 兑现政策 {key[1]}")
        if key in seen:
            raise ValueError(f"{key[0]} {key[1]} 重复列出")
        seen.add(key)
        return Withheld(
            key[0], key[1], grants[key].amount_fen, reason, row.get("reference") or None
        )

    withheld = read_rows(path, COLUMNS[:3], parse, "PM770", HINT)
    keep = [g for g in entry.grants if (g.uscc, g.policy_id) not in seen]
    return replace(entry, grants=keep, withheld=withheld)
