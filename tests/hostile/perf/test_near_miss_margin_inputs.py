"""Hostile near-miss margins: in a policy file and on the command line, each refused with a
message and a code (never a traceback, never silently taken)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from policymatch.errors import PolicyError
from policymatch.rules import compile_policy_set

POLICY = """\
version: 1
funds:
  - {{id: pool, title: 资金池}}
policies:
  - id: P
    title: 纳税奖励
    fund: pool
    near_miss_margin: {margin}
    eligibility:
      all:
        - region == "361126"
        - tax_paid >= 500万
    amount: 1万
"""


@pytest.mark.parametrize(
    ("margin", "code"),
    [
        ("1e400", "PM206"),  # exponents are no number format of the policy language
        ("99999999999999999999999%", "PM103"),  # a share far beyond 100%
        ("200%", "PM103"),
        ("-1%", "PM103"),
        ("'20%; import os'", "PM206"),  # not an expression a margin can be
        ("tax_paid", "PM204"),  # a field, not a fixed share
        ("[0.1, 0.2]", "PM103"),
    ],
)
def test_a_bad_margin_in_a_policy_is_refused(tmp_path: Path, margin: str, code: str) -> None:
    (tmp_path / "p.yaml").write_text(POLICY.format(margin=margin), encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        compile_policy_set(tmp_path)
    assert code in err.value.render()


@pytest.mark.parametrize("margin", ["abc", "150%", "-0.1", "nan"])
def test_a_bad_margin_on_the_command_line_is_a_usage_error(tmp_path: Path, margin: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "policymatch.cli", "run", "--registry", "r.csv", "--as-of",
         "2024-03-01", "--out", str(tmp_path / "out"), "--near-miss-margin", margin],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--near-miss-margin" in done.stderr
    assert "Traceback" not in done.stderr
