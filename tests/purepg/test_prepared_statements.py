"""Automatic and explicit named prepared statements against a real server."""

from __future__ import annotations

import datetime

import purepg
import pytest
from purepg import errors


@pytest.fixture
def params(pg_cluster):
    return pg_cluster.params("scram-sha-256")


def connect(params, **options):
    connection = purepg.connect(**params, **options)
    connection.autocommit = True
    return connection


@pytest.fixture
def conn(params):
    connection = connect(params, prepare_threshold=2)
    yield connection
    connection.close()


def test_a_query_is_prepared_once_it_ran_prepare_threshold_times(conn):
    cur = conn.cursor()
    cur.execute("SELECT %s::int", (1,))
    assert conn.prepared_statements == 0
    cur.execute("SELECT %s::int", (2,))
    assert conn.prepared_statements == 1
    assert cur.fetchall() == [(2,)]


def test_statement_cache_size_zero_never_names_a_statement(params):
    conn = connect(params, statement_cache_size=0, prepare_threshold=1)
    cur = conn.cursor()
    for value in range(3):
        cur.execute("SELECT %s::int", (value,))
    assert conn.prepared_statements == 0
    cur.execute("SELECT count(*) FROM pg_prepared_statements")
    assert cur.fetchone() == (0,)
    conn.close()


def test_prepared_executions_take_one_round_trip_each(conn):
    cur = conn.cursor()
    for value in range(3):
        cur.execute("SELECT %s::int", (value,))
    before = conn._round_trips
    cur.execute("SELECT %s::int", (7,))
    assert conn._round_trips - before == 1
    assert cur.fetchone() == (7,)


def test_executions_after_the_first_prepared_one_fetch_binary_results(conn):
    cur = conn.cursor()
    query = "SELECT %s::date, %s::int, true"
    day = datetime.date(2024, 2, 29)
    for _ in range(2):
        cur.execute(query, (day, 1))
        assert cur.result_formats == [0, 0, 0]
    cur.execute(query, (day, 1))
    assert cur.result_formats == [1, 0, 1]
    assert cur.fetchall() == [(day, 1, True)]


def test_the_cache_evicts_the_least_recently_used_statement(params):
    conn = connect(params, statement_cache_size=2, prepare_threshold=1)
    cur = conn.cursor()
    for value in range(4):
        cur.execute(f"SELECT %s::int + {value}", (value,))
    assert conn.prepared_statements == 2
    cur.execute("SELECT count(*) FROM pg_prepared_statements")
    assert cur.fetchone() == (2,)
    conn.close()


def test_a_changed_result_type_is_reprepared_transparently_in_autocommit(conn):
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE changing (a int)")
    cur.execute("INSERT INTO changing VALUES (1)")
    for _ in range(3):
        cur.execute("SELECT * FROM changing WHERE a = %s", (1,))
    cur.execute("ALTER TABLE changing ADD COLUMN b text DEFAULT 'new'")
    cur.execute("SELECT * FROM changing WHERE a = %s", (1,))
    assert cur.fetchall() == [(1, "new")]


def test_a_changed_result_type_is_reprepared_when_it_starts_the_transaction(params):
    conn = connect(params, prepare_threshold=1)
    conn.autocommit = False
    cur = conn.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS changing_tx (a int)")
    cur.execute("TRUNCATE changing_tx")
    cur.execute("INSERT INTO changing_tx VALUES (1)")
    conn.commit()
    for _ in range(2):
        cur.execute("SELECT * FROM changing_tx WHERE a = %s", (1,))
        conn.commit()
    cur.execute("ALTER TABLE changing_tx ADD COLUMN b int DEFAULT 2")
    conn.commit()
    cur.execute("SELECT * FROM changing_tx WHERE a = %s", (1,))
    assert cur.fetchall() == [(1, 2)]
    cur.execute("DROP TABLE changing_tx")
    conn.commit()
    conn.close()


def test_a_result_type_changed_by_ddl_of_the_transaction_is_reprepared(params):
    conn = connect(params, prepare_threshold=1)
    conn.autocommit = False
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE changing_mid (a int)")
    cur.execute("INSERT INTO changing_mid VALUES (1)")
    cur.execute("SELECT * FROM changing_mid WHERE a = %s", (1,))
    cur.execute("SELECT * FROM changing_mid WHERE a = %s", (1,))
    cur.execute("ALTER TABLE changing_mid ADD COLUMN b int DEFAULT 2")
    cur.execute("SELECT * FROM changing_mid WHERE a = %s", (1,))
    assert cur.fetchall() == [(1, 2)]
    conn.close()


def test_deallocate_all_by_the_user_is_recovered_from(conn):
    cur = conn.cursor()
    for _ in range(3):
        cur.execute("SELECT %s::text", ("a",))
    cur.execute("DEALLOCATE ALL")
    cur.execute("SELECT %s::text", ("b",))
    assert cur.fetchall() == [("b",)]


def test_an_explicitly_prepared_query_is_named_on_its_first_execution(params):
    conn = connect(params, prepare_threshold=100)
    query = conn.prepare("SELECT %(x)s::int * 2")
    cur = conn.cursor()
    cur.execute(query, {"x": 21})
    assert cur.fetchone() == (42,)
    assert conn.prepared_statements == 1
    query.close()
    assert conn.prepared_statements == 0
    conn.close()


def test_a_failed_execution_of_a_prepared_statement_keeps_the_connection_usable(conn):
    cur = conn.cursor()
    for _ in range(3):
        cur.execute("SELECT 1 / %s::int", (1,))
    with pytest.raises(errors.DivisionByZero):
        cur.execute("SELECT 1 / %s::int", (0,))
    cur.execute("SELECT 1 / %s::int", (1,))
    assert cur.fetchone() == (1,)


def test_a_bad_statement_cache_size_is_refused_before_connecting(params):
    with pytest.raises(purepg.ProgrammingError, match="statement_cache_size"):
        purepg.connect(**params, statement_cache_size=-1)
