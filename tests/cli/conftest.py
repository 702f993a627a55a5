"""The working folder of the CLI's round tests."""

from pathlib import Path

import pytest

from policymatch import load
from policymatch.registry.writers import write_csv
from tests.rounds.helpers import GOLDEN_RECORDS, registry, write_policies


@pytest.fixture
def county(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with policies/ and registry.csv (the golden enterprises)."""
    monkeypatch.chdir(tmp_path)
    policy_set = load(str(write_policies(tmp_path / "policies")))
    write_csv(
        registry(GOLDEN_RECORDS, policy_set).frame, tmp_path / "registry.csv", policy_set.schema
    )
    return tmp_path
