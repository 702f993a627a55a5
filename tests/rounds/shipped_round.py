"""A round of the shipped policies on a seeded sample registry: what a county's clerk looks at
(the demo round, smaller), for the tests that render the outputs as a person sees them."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from policymatch import load
from policymatch.registry.generate import generate_frame
from policymatch.registry.writers import write_csv
from policymatch.rounds.round import RoundReport, RoundRequest, run_round

SHIPPED = Path(__file__).parents[2] / "policies"


def shipped_round(root: Path, rows: int = 4_000) -> RoundReport:
    policy_set = load(str(SHIPPED))
    frame = generate_frame(rows, seed=1, schema=policy_set.schema)
    write_csv(frame, root / "registry.csv", policy_set.schema)
    request = RoundRequest(
        str(root / "registry.csv"),
        dt.date(2024, 3, 1),
        root / "out",
        ledger=f"sqlite:///{root / 'ledger.sqlite'}",
    )
    return run_round(policy_set, request)


def summary_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "summary.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def fen(text: str) -> int:
    """``1,234.50`` or ``1234.50`` (or empty) as integer fen."""
    if not text:
        return 0
    whole, _, cents = text.replace(",", "").partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int(cents.ljust(2, "0")))
