"""Fixtures of the round tests: the small policy set, and a ledger on each database.

The database server fixtures are the registry tests' (skip when unreachable, fail under
CI=true); each ledger test gets a schema (PostgreSQL) or database (MariaDB) of its own there,
so concurrent runs never meet.
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
from policymatch.rounds.reconcile import check
from policymatch.rules import PolicySet
from tests.registry.conftest import mariadb_url, postgres_url  # noqa: F401 - fixtures, by name
from tests.rounds.helpers import write_policies


@pytest.fixture
def policy_set(tmp_path: Path) -> PolicySet:
    return load(str(write_policies(tmp_path / "policies")))


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]
)
def ledger_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a test's ledger lives: a SQLite file, a fresh schema on the PostgreSQL server, or a
    fresh database on the MariaDB server."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.sqlite")
        return
    url: str = request.getfixturevalue(f"{request.param}_url")
    name = f"pm_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    kind = "SCHEMA" if request.param == "postgres" else "DATABASE"
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE {kind} {name}"))
    try:
        if request.param == "postgres":
            yield f"{url}?options={quote(f'-csearch_path={name}')}"
        else:
            yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP {kind} {name}" + (" CASCADE" if kind == "SCHEMA" else "")))
        admin.dispose()


@pytest.fixture
def ledger(ledger_target: str) -> Iterator[Ledger]:
    ledger = Ledger(ledger_target)
    yield ledger
    # Every test ledger reconciles (policymatch ledger check), whatever the test did with it.
    assert check(ledger).problems == []
    ledger.dispose()
