"""The most a policy can give, as commit bounds a grant's demand by it."""

from __future__ import annotations

from pathlib import Path

import pytest

from policymatch import load
from policymatch.rounds.bounds import ceiling_fen

POLICY = """\
version: 1
funds: [{{id: f, title: 资金}}]
policies:
  - id: X
    title: 测试
    fund: f
    eligibility: employees > 0
{amount}
"""


@pytest.mark.parametrize(
    ("amount", "most"),
    [
        ("    amount: 300", 30_000),
        ("    amount: 0.125", 13),  # half-up, as the amount itself
        (
            "    amount:\n      tiers:\n        - {when: employees > 9, value: 50}\n"
            "        - {when: employees > 0, value: 80}",
            8_000,
        ),
        ("    amount:\n      tiers:\n        - {when: employees > 9, value: -5}", 0),
        ("    amount: ui_paid * 60%", None),  # depends on the data
        ("    amount: ui_paid * 60%\n    cap: 100.005", 10_001),
        ("    amount: 300\n    cap: 200", 20_000),
        (
            "    amount:\n      tiers:\n        - {when: employees > 9, value: revenue}\n"
            "        - {when: employees > 0, value: 80}",
            None,
        ),
    ],
)
def test_ceiling(tmp_path: Path, amount: str, most: int | None) -> None:
    (tmp_path / "p.yaml").write_text(POLICY.format(amount=amount), "utf-8")
    assert ceiling_fen(load(str(tmp_path / "p.yaml")).policy("X")) == most
