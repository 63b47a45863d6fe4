"""Prepared statements made stale by schema changes: re-prepared where safe, a clear error where
not (inside a transaction that already did work)."""

from __future__ import annotations

import uuid

import purepg
import pytest
from purepg import errors


@pytest.fixture
def params(pg_cluster):
    return pg_cluster.params("scram-sha-256")


@pytest.fixture
def table(admin):
    """A fresh table ``name (id int, v int)`` with one row, dropped afterwards."""
    name = f"stale_{uuid.uuid4().hex[:8]}"
    cur = admin.cursor()
    cur.execute(f"CREATE TABLE {name} (id int, v int)")
    cur.execute(f"INSERT INTO {name} VALUES (1, 10)")
    cur.execute(f"GRANT ALL ON {name} TO PUBLIC")
    yield name
    cur.execute(f"DROP TABLE IF EXISTS {name}")


@pytest.fixture
def enum(admin):
    """A fresh enum type name (``a``, ``b``), dropped afterwards with what uses it."""
    name = f"mood_{uuid.uuid4().hex[:8]}"
    admin.cursor().execute(f"CREATE TYPE {name} AS ENUM ('a', 'b')")
    yield name
    admin.cursor().execute(f"DROP TYPE IF EXISTS {name} CASCADE")


def connect(params, autocommit):
    connection = purepg.connect(**params, prepare_threshold=1)
    connection.autocommit = autocommit
    return connection


def test_an_enum_recreated_elsewhere_is_reprepared_transparently(params, admin, enum):
    conn = connect(params, autocommit=True)
    cur = conn.cursor()
    cur.execute(f"SELECT %s::{enum}::text", ("a",))
    admin.cursor().execute(f"DROP TYPE {enum}; CREATE TYPE {enum} AS ENUM ('a', 'b', 'c')")

    cur.execute(f"SELECT %s::{enum}::text", ("c",))

    assert cur.fetchall() == [("c",)]
    conn.close()


def test_a_table_and_enum_recreated_elsewhere_are_compared_again(params, admin, enum):
    conn = connect(params, autocommit=True)
    cur = conn.cursor()
    recreate = f"CREATE TABLE {enum}_t (m {enum}); INSERT INTO {enum}_t VALUES ('a')"
    admin.cursor().execute(f"{recreate}; GRANT ALL ON {enum}_t TO PUBLIC")
    cur.execute(f"SELECT count(*) FROM {enum}_t WHERE m = %s", ("a",))
    admin.cursor().execute(
        f"DROP TABLE {enum}_t; DROP TYPE {enum}; CREATE TYPE {enum} AS ENUM ('a', 'b');"
        f" {recreate}; GRANT ALL ON {enum}_t TO PUBLIC"
    )

    cur.execute(f"SELECT count(*) FROM {enum}_t WHERE m = %s", ("a",))

    assert cur.fetchall() == [(1,)]
    conn.close()


def test_a_stale_statement_inside_a_transaction_says_to_roll_back_and_retry(params, admin, table):
    conn = connect(params, autocommit=False)
    cur = conn.cursor()
    cur.execute(f"SELECT v FROM {table} WHERE id = %s", (1,))
    conn.commit()
    cur.execute("SELECT 1")  # the transaction did work before the stale statement
    admin.cursor().execute(f"ALTER TABLE {table} ALTER COLUMN v TYPE text")

    with pytest.raises(errors.FeatureNotSupported, match="roll it back and run it again"):
        cur.execute(f"SELECT v FROM {table} WHERE id = %s", (1,))

    conn.rollback()
    cur.execute(f"SELECT v FROM {table} WHERE id = %s", (1,))
    assert cur.fetchall() == [("10",)]
    conn.close()


def test_ddl_on_the_connection_closes_its_prepared_statements(params):
    conn = connect(params, autocommit=False)
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE own (id int, v int)")
    cur.execute("INSERT INTO own VALUES (1, 10)")
    cur.execute("SELECT v FROM own WHERE id = %s", (1,))
    assert conn.prepared_statements == 1

    cur.execute("ALTER TABLE own ALTER COLUMN v TYPE text")
    assert conn.prepared_statements == 0
    cur.execute("SELECT v FROM own WHERE id = %s", (1,))

    assert cur.fetchall() == [("10",)]
    conn.rollback()
    conn.close()


def test_a_table_recreated_elsewhere_then_here_is_read_in_the_same_transaction(
    params, admin, table
):
    conn = connect(params, autocommit=False)
    cur = conn.cursor()
    cur.execute(f"SELECT v FROM {table} WHERE id = %s", (1,))
    conn.commit()
    admin.cursor().execute(f"DROP TABLE {table}")

    cur.execute(f"CREATE TABLE {table} (id int, v text)")
    cur.execute(f"INSERT INTO {table} VALUES (1, 'x')")
    cur.execute(f"SELECT v FROM {table} WHERE id = %s", (1,))

    assert cur.fetchall() == [("x",)]
    conn.rollback()
    conn.close()


def test_a_genuinely_missing_operator_is_raised_after_one_retry(params):
    conn = connect(params, autocommit=True)
    cur = conn.cursor()
    cur.execute("SELECT %s::int", (1,))

    with pytest.raises(errors.UndefinedFunction):
        cur.execute("SELECT %s::int @@@ 1", (1,))
    cur.execute("SELECT %s::int", (2,))
    assert cur.fetchall() == [(2,)]
    conn.close()


def test_an_explicitly_prepared_query_is_reprepared_after_ddl_on_the_connection(params):
    conn = connect(params, autocommit=False)
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE pinned (id int, v int)")
    cur.execute("INSERT INTO pinned VALUES (1, 10)")
    query = conn.prepare("SELECT v FROM pinned WHERE id = %s")
    cur.execute(query, (1,))

    cur.execute("ALTER TABLE pinned ALTER COLUMN v TYPE text")
    cur.execute(query, (1,))

    assert cur.fetchall() == [("10",)]
    assert conn.prepared_statements == 1
    conn.rollback()
    conn.close()
