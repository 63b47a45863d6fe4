"""Streaming: protocol-level row-limited portals (cursor.stream) and named server cursors."""

from __future__ import annotations

import purepg
import pytest
from purepg import errors


@pytest.fixture
def conn(pg_cluster):
    connection = purepg.connect(**pg_cluster.params("scram-sha-256"))
    yield connection
    connection.close()


def test_stream_yields_every_row_holding_at_most_one_batch(conn):
    cur = conn.cursor()
    total = 0
    for (value,) in cur.stream("SELECT g FROM generate_series(1, 200000) g", size=1000):
        total += value
    assert total == 200000 * 200001 // 2
    assert cur.max_buffered_rows <= 1000
    assert cur.rowcount == 200000


def test_stream_sets_the_description_from_the_first_batch(conn):
    cur = conn.cursor()
    rows = cur.stream("SELECT 1 AS one, 'x' AS letter")
    assert next(rows) == (1, "x")
    assert [column.name for column in cur.description] == ["one", "letter"]


def test_stream_binds_parameters(conn):
    cur = conn.cursor()
    rows = list(cur.stream("SELECT g FROM generate_series(1, %s) g", (5,), size=2))
    assert rows == [(1,), (2,), (3,), (4,), (5,)]


def test_stream_in_autocommit_mode(conn):
    conn.autocommit = True
    cur = conn.cursor()
    assert len(list(cur.stream("SELECT g FROM generate_series(1, 50) g", size=7))) == 50


def test_leaving_a_stream_early_frees_the_connection(conn):
    conn.autocommit = True
    cur = conn.cursor()
    rows = cur.stream("SELECT g FROM generate_series(1, 100000) g", size=10)
    for (value,) in rows:
        if value == 15:
            break
    rows.close()
    cur.execute("SELECT 42")
    assert cur.fetchone() == (42,)


def test_another_query_while_streaming_is_refused(conn):
    cur = conn.cursor()
    rows = cur.stream("SELECT g FROM generate_series(1, 100) g", size=10)
    next(rows)
    with pytest.raises(purepg.ProgrammingError, match="streaming"):
        conn.cursor().execute("SELECT 1")
    rows.close()


def test_a_server_error_during_a_stream_is_raised_and_the_connection_recovers(conn):
    conn.autocommit = True
    cur = conn.cursor()
    query = "SELECT 1 / (g - 25) FROM generate_series(1, 50) g"
    with pytest.raises(errors.DivisionByZero):
        for _ in cur.stream(query, size=10):
            pass
    cur.execute("SELECT 1")
    assert cur.fetchone() == (1,)


def test_stream_of_a_statement_without_rows_yields_nothing(conn):
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE streamed (a int)")
    assert list(cur.stream("INSERT INTO streamed VALUES (1)")) == []
    assert cur.statusmessage == "INSERT 0 1"


def test_named_cursor_fetches_in_itersize_batches(conn):
    cur = conn.cursor("batches")
    cur.itersize = 100
    cur.execute("SELECT g FROM generate_series(1, 1000) g")
    before = conn._round_trips
    assert sum(value for (value,) in cur) == 500500
    assert conn._round_trips - before == 11  # 10 batches and the empty one that ends them


def test_named_cursor_fetchone_fetchmany_fetchall(conn):
    cur = conn.cursor("mixed")
    cur.execute("SELECT g FROM generate_series(1, %s) g", (6,))
    assert cur.fetchone() == (1,)
    assert cur.fetchmany(2) == [(2,), (3,)]
    assert cur.fetchall() == [(4,), (5,), (6,)]
    assert cur.rowcount == 6
    assert cur.description[0].name == "g"


def test_named_cursor_without_hold_needs_a_transaction(conn):
    conn.autocommit = True
    with pytest.raises(errors.NoActiveSqlTransaction):
        conn.cursor("no_tx").execute("SELECT 1")


def test_named_cursor_with_hold_survives_commit(conn):
    cur = conn.cursor("held", withhold=True)
    cur.execute("SELECT g FROM generate_series(1, 3) g")
    conn.commit()
    assert cur.fetchall() == [(1,), (2,), (3,)]
    cur.close()


def test_scrollable_named_cursor_scrolls_back(conn):
    cur = conn.cursor("scrolled", scrollable=True)
    cur.execute("SELECT g FROM generate_series(1, 5) g")
    assert cur.fetchmany(3) == [(1,), (2,), (3,)]
    cur.scroll(1, mode="absolute")
    assert cur.fetchone() == (2,)


def test_closing_a_named_cursor_closes_it_on_the_server(conn):
    cur = conn.cursor("closed_one")
    cur.execute("SELECT 1")
    cur.close()
    check = conn.cursor()
    check.execute("SELECT count(*) FROM pg_cursors WHERE name = 'closed_one'")
    assert check.fetchone() == (0,)
