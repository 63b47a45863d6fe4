"""An iterator left half-read (``stream()``, ``copy_out()``) no longer holds the connection once
its cursor is closed or the iterator is dropped: the portal is closed (or the COPY drained) and
the next query runs."""

from __future__ import annotations

import gc

import purepg
import pytest

LONG_QUERY = "SELECT g FROM generate_series(1, 100000) g"
LONG_COPY = "COPY (SELECT g FROM generate_series(1, 100000) g) TO STDOUT"


@pytest.fixture(params=[True, False], ids=["autocommit", "transaction"])
def conn(request, pg_cluster):
    connection = purepg.connect(**pg_cluster.params("scram-sha-256"))
    connection.autocommit = request.param
    yield connection
    connection.close()


def assert_usable(conn):
    cur = conn.cursor()
    cur.execute("SELECT 42")
    assert cur.fetchone() == (42,)


def test_closing_the_cursor_of_a_half_read_stream_frees_the_connection(conn):
    cur = conn.cursor()
    rows = cur.stream(LONG_QUERY, size=10)
    assert next(rows) == (1,)
    cur.close()
    assert_usable(conn)


def test_a_stream_whose_cursor_was_closed_yields_no_more_rows(conn):
    cur = conn.cursor()
    rows = cur.stream(LONG_QUERY, size=10)
    next(rows)
    cur.close()
    assert list(rows) == []


def test_dropping_a_half_read_stream_frees_the_connection(conn):
    cur = conn.cursor()
    rows = cur.stream(LONG_QUERY, size=10)
    next(rows)
    del rows
    gc.collect()
    assert_usable(conn)


def test_closing_the_cursor_of_a_half_read_copy_out_frees_the_connection(conn):
    cur = conn.cursor()
    chunks = cur.copy_out(LONG_COPY)
    assert next(chunks) == b"1\n"
    cur.close()
    assert_usable(conn)


def test_closing_a_named_cursor_with_a_half_read_stream_closes_it_on_the_server(conn):
    if conn.autocommit:
        pytest.skip("a named cursor without hold needs a transaction")
    named = conn.cursor("abandoned")
    named.execute(LONG_QUERY)
    rows = named.stream("SELECT 1 UNION ALL SELECT 2", size=1)
    next(rows)
    named.close()
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM pg_cursors WHERE name = 'abandoned'")
    assert cur.fetchone() == (0,)


def test_closing_the_connection_during_a_stream_closes_it(pg_cluster):
    conn = purepg.connect(**pg_cluster.params("scram-sha-256"))
    cur = conn.cursor()
    rows = cur.stream(LONG_QUERY, size=10)
    next(rows)
    conn.close()
    assert conn.closed == 1
    cur.close()  # nothing left to release: no error
