"""Fixtures of the hostile registry inputs: each test makes its own file, small on disk."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from policymatch.registry import writers
from policymatch.registry.generate import generate_frame
from policymatch.registry.uscc import make_uscc
from policymatch.schema import STANDARD_SCHEMA


@pytest.fixture
def twenty_records(tmp_path: Path) -> list[list[str]]:
    """A generated registry of 20 records as CSV cells, header first (as office software
    writes it: every name a plain cell)."""
    path = tmp_path / "clean.csv"
    writers.write_csv(generate_frame(20, seed=11, null_rate=0.0), path, STANDARD_SCHEMA)
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


@pytest.fixture(scope="session")
def code() -> Callable[[int], str]:
    """``code(n)``: the n-th valid unified social credit code (distinct for distinct n)."""
    return lambda n: make_uscc(f"91361126MA{n:07d}")
