"""Fixtures of the round tests: the small policy set, and a ledger on each database.

The PostgreSQL server fixture is the registry tests' (skip when unreachable, fail under
CI=true); each ledger test gets a schema of its own there, so concurrent runs never meet.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from policymatch import load
from policymatch.rounds.ledger import Ledger
from policymatch.rules import PolicySet
from tests.registry.conftest import postgres_url  # noqa: F401 - a fixture, used by name
from tests.rounds.helpers import write_policies


@pytest.fixture
def policy_set(tmp_path: Path) -> PolicySet:
    return load(str(write_policies(tmp_path / "policies")))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a test's ledger lives: a SQLite file, or a fresh schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.sqlite")
        return
    url: str = request.getfixturevalue("postgres_url")
    schema = f"pm_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{url}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def ledger(ledger_target: str) -> Iterator[Ledger]:
    ledger = Ledger(ledger_target)
    yield ledger
    ledger.dispose()
