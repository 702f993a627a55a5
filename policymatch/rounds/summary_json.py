"""``policymatch run --format json``: the run's summary as data (docs/json-schema.md).

Money in fen (int) and yuan (text, two places), as in every JSON form of the project; the
counts reconcile as the text summary's do (rows read = matched + set aside).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..moneytext import fen_text
from .round import RoundReport

#: The version of this form; raised when a key changes meaning or goes away.
JSON_VERSION = 1


def run_summary(
    report: RoundReport, demand_fen: int, files: Sequence[tuple[str, str]], next_command: str
) -> dict[str, Any]:
    draft = report.draft
    alloc = draft.allocation
    reg = draft.registry
    granted = sum(g.amount_fen for g in alloc.grants)
    return {
        "kind": "policymatch/run-summary",
        "version": JSON_VERSION,
        "round_id": report.round_id,
        "as_of": draft.as_of.isoformat(),
        "grants": len(alloc.grants),
        "granted_fen": granted,
        "granted_yuan": fen_text(granted),
        "demand_fen": demand_fen,
        "demand_yuan": fen_text(demand_fen),
        "push": len(alloc.push),
        "missing": len(draft.match.batch.unknown),
        "excluded": len(alloc.excluded),
        "registry": {
            "source": reg.source,
            "rows_read": reg.rows_read,
            "rows_matched": len(draft.frame),
            "rows_set_aside": len(reg.rejected),
        },
        "ledger": draft.ledger,
        "out_dir": str(report.out_dir),
        "files": [{"path": str(report.out_dir / name), "what": what} for name, what in files],
        "next": next_command,
    }
