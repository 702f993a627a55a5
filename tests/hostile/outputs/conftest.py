"""A small round written from hostile registry values: the fixtures of the output attacks."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Protocol

import pytest

from policymatch import load
from policymatch.rounds.draft import draft_round
from policymatch.rounds.round import write_draft
from tests.rounds.helpers import AS_OF, GOLDEN_HISTORY, GOLDEN_RECORDS, Rejected, registry
from tests.rounds.helpers import write_policies as write_golden_policies


class WriteRound(Protocol):
    """Writes the golden round with the enterprises' names replaced (in turn) into ``out``;
    enterprises numbered in ``held`` (from 0) have no bank account (their grants go to held.csv)."""

    def __call__(
        self,
        names: Sequence[str],
        out: Path,
        rejected: Sequence[Rejected] = (),
        held: Collection[int] = (),
    ) -> Path: ...


@pytest.fixture
def write_round(tmp_path: Path) -> WriteRound:
    policy_set = load(str(write_golden_policies(tmp_path / "policies")))

    def write(
        names: Sequence[str],
        out: Path,
        rejected: Sequence[Rejected] = (),
        held: Collection[int] = (),
    ) -> Path:
        records = [
            {**r, "name": names[i % len(names)]} | ({"bank_account": None} if i in held else {})
            for i, r in enumerate(GOLDEN_RECORDS)
        ]
        reg = registry(records, policy_set, rejected)
        draft = draft_round(policy_set, reg, AS_OF, GOLDEN_HISTORY, ledger="sqlite:///x.sqlite")
        write_draft(draft, out)
        return out

    return write
