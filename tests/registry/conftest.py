"""Fixtures of the registry tests: files made on the spot, and the two database servers.

No data file is committed: every registry a test reads is written by the test (or by these
fixtures) into a temporary folder. The database fixtures connect to the servers that
``scripts/services.sh`` starts; an unreachable server skips its tests, except under
``CI=true``, where it fails them (CI must never pass by skipping).
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from policymatch.registry.uscc import make_uscc

POSTGRES_URL = os.environ.get(
    "POLICYMATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MARIADB_URL = os.environ.get("POLICYMATCH_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test")


def _database(url: str, name: str) -> Iterator[str]:
    import sqlalchemy as sa

    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "the server is not there"
        reason = f"{name} at {url} is unreachable ({type(exc).__name__}); run scripts/services.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} -- under CI=true this is a failure, not a skip")
        pytest.skip(reason)
    finally:
        engine.dispose()
    yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    yield from _database(POSTGRES_URL, "PostgreSQL")


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    yield from _database(MARIADB_URL, "MariaDB")


@pytest.fixture
def table_name() -> str:
    """A table name of this test's own; tests that create it drop it through ``drop_table``."""
    return f"pm_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def drop_table() -> Iterator[Callable[[str, str], None]]:
    """Register (url, table) pairs to drop after the test, whatever its outcome."""
    import sqlalchemy as sa

    made: list[tuple[str, str]] = []
    yield lambda url, table: made.append((url, table))
    for url, table in made:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        finally:
            engine.dispose()


@pytest.fixture
def write_bytes(tmp_path: Path) -> Callable[[str, bytes], Path]:
    """Write a registry file of the given name and bytes; its path."""

    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def write_text(write_bytes: Callable[[str, bytes], Path]) -> Callable[..., Path]:
    """Write CSV text (UTF-8 unless told) as ``name``; its path."""

    def write(text: str, name: str = "registry.csv", encoding: str = "utf-8") -> Path:
        return write_bytes(name, text.encode(encoding))

    return write


@pytest.fixture(scope="session")
def sample_frame() -> pd.DataFrame:
    """A small generated typed frame with some nulls, unique codes."""
    from policymatch.registry.generate import generate_frame

    return generate_frame(120, seed=20240601, null_rate=0.1)


@pytest.fixture(scope="session")
def code() -> Callable[[int], str]:
    """``code(n)``: the n-th valid unified social credit code (distinct for distinct n)."""
    return lambda n: make_uscc(f"91361126MA{n:07d}")


@pytest.fixture(scope="session")
def digits_code() -> str:
    """A valid unified social credit code made of digits only (a number, to a spreadsheet)."""
    bodies = (f"913611260000{i:05d}" for i in range(1000))
    return next(c for c in map(make_uscc, bodies) if c.isdigit())


@pytest.fixture(scope="session")
def csv_of() -> Callable[[list[str], list[list[str]]], str]:
    """CSV text of a header and rows, quoted as needed (as office software writes it)."""

    def render(header: list[str], rows: list[list[str]]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue()

    return render
