"""Registries in SQL databases: what can go wrong, and that it is said clearly, without a
traceback and without the password."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from policymatch.errors import RegistryError
from policymatch.registry.load import RejectedRow, iter_registry, merge_loads, read_registry
from policymatch.registry.writers import write_table
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA


def refusal(url: str, **kw: str) -> tuple[str, str]:
    with pytest.raises(RegistryError) as info:
        read_registry(url, S, **kw)
    text = info.value.render()
    assert "Traceback" not in text
    return info.value.diagnostics[0].code, text


def run(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.db'}"


def test_sqlite_missing_table(sqlite_url: str) -> None:
    code, text = refusal(sqlite_url, table="nowhere")
    assert code == "PM505"
    assert "table 'nowhere' does not exist" in text


def test_sqlite_query_error_is_reported(sqlite_url: str) -> None:
    code, text = refusal(sqlite_url, query="SELEC uscc FROM nowhere")
    assert code == "PM504"
    assert "the query failed" in text
    assert "syntax error" in text


def test_sqlite_no_uscc_column(sqlite_url: str) -> None:
    run(sqlite_url, "CREATE TABLE t (name TEXT, revenue NUMERIC)", "INSERT INTO t VALUES ('甲', 1)")
    code, text = refusal(sqlite_url, table="t")
    assert code == "PM503"
    assert "'name', 'revenue'" in text


def test_sqlite_mixed_cell_types_are_typed_one_by_one(
    sqlite_url: str, code: Callable[[int], str]
) -> None:
    """SQLite stores what it is given: a code column may hold numbers and text."""
    run(
        sqlite_url,
        "CREATE TABLE t (uscc TEXT, region, employees, revenue)",
        f"INSERT INTO t VALUES ('{code(1)}', 361126, '12', 1234.5)",
        f"INSERT INTO t VALUES ('{code(2)}', '036112', 12.0, '50万')",
        f"INSERT INTO t VALUES ('{code(3)}', '361126', 'x', NULL)",
    )
    load = read_registry(sqlite_url, S, table="t")
    assert load.rejected == [RejectedRow(3, code(3), "从业人数: 'x' 不是数字")]
    assert load.frame["region"].tolist() == ["361126", "036112"]
    assert load.frame["employees"].tolist() == [12, 12]
    assert load.frame["revenue"].tolist() == [123450, 50_000_000]


def test_unknown_driver_says_what_to_install() -> None:
    code, text = refusal("postgresql+nosuchdriver://u:pw@127.0.0.1/db", table="t")
    assert code == "PM504"
    assert "pip install" in text
    assert ":pw@" not in text


def test_unreachable_host_masks_the_password() -> None:
    code, text = refusal("postgresql+psycopg://someone:hunter2@127.0.0.1:1/db", table="t")
    assert code == "PM504"
    assert "cannot read the registry from the database" in text
    assert "hunter2" not in text
    assert "someone:***@127.0.0.1:1/db" in text


@pytest.mark.postgres
def test_postgres_missing_table_and_column(
    postgres_url: str, table_name: str, drop_table: Callable[[str, str], None]
) -> None:
    assert refusal(postgres_url, table=table_name)[0] == "PM505"
    drop_table(postgres_url, table_name)
    run(postgres_url, f"CREATE TABLE {table_name} (name TEXT)")
    assert refusal(postgres_url, table=table_name)[0] == "PM503"
    code, text = refusal(postgres_url, query=f"SELECT nope FROM {table_name}")
    assert code == "PM504"
    assert "nope" in text


@pytest.mark.postgres
def test_postgres_unknown_role(postgres_url: str) -> None:
    url = sa.engine.make_url(postgres_url).set(username="pm_no_such_role", password="s3cret-pw")
    code, text = refusal(url.render_as_string(hide_password=False), table="t")
    assert code == "PM504"
    assert "pm_no_such_role" in text
    assert "s3cret-pw" not in text


@pytest.mark.mariadb
def test_mariadb_wrong_password(mariadb_url: str) -> None:
    url = sa.engine.make_url(mariadb_url).set(password="wrong-s3cret")
    code, text = refusal(url.render_as_string(hide_password=False), table="t")
    assert code == "PM504"
    assert "Access denied" in text
    assert "wrong-s3cret" not in text


@pytest.mark.mariadb
def test_mariadb_missing_table(mariadb_url: str, table_name: str) -> None:
    assert refusal(mariadb_url, table=table_name)[0] == "PM505"


@pytest.mark.postgres
def test_postgres_duplicates_across_chunks(
    postgres_url: str,
    table_name: str,
    drop_table: Callable[[str, str], None],
    sample_frame: pd.DataFrame,
) -> None:
    drop_table(postgres_url, table_name)
    repeated = pd.concat([sample_frame, sample_frame.iloc[[5, 40]]], ignore_index=True)
    changed = repeated.copy()
    changed.loc[len(changed) - 1, "employees"] = 99_999  # row 40 again, with different data
    write_table(changed, postgres_url, table_name, S)
    query = f"SELECT * FROM {table_name} ORDER BY uscc, employees"
    whole = read_registry(postgres_url, S, query=query)
    merged = merge_loads(iter_registry(postgres_url, S, query=query, chunk_rows=16))
    pd.testing.assert_frame_equal(merged.frame, whole.frame)
    assert merged.rejected == whole.rejected
    assert whole.rows_read == len(sample_frame) + 2
    assert len(whole.frame) == len(sample_frame) - 1  # row 40's code set aside twice
    reasons = sorted(r.reason.split(" ")[0] for r in whole.rejected)
    assert reasons == ["与第", "统一社会信用代码", "统一社会信用代码"]
