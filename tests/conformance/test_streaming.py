"""Streaming large results through named (server-side) cursors: rows arrive in batches of
``itersize`` from a cursor the server keeps, so the client never holds the whole result."""

from __future__ import annotations

ROWS = 25_000


def test_named_cursor_iterates_every_row_in_order(conn):
    with conn.cursor("big_result") as cur:
        cur.itersize = 1000
        cur.execute("SELECT g, md5(g::text) FROM generate_series(1, %s) AS g", (ROWS,))
        count = 0
        for number, (value, digest) in enumerate(cur, 1):
            assert value == number
            assert len(digest) == 32
            count += 1
    assert count == ROWS


def test_named_cursor_is_a_cursor_on_the_server(conn):
    with conn.cursor("visible_on_server") as cur:
        cur.execute("SELECT g FROM generate_series(1, 10) AS g")
        assert cur.fetchone() == (1,)
        with conn.cursor() as plain:
            plain.execute("SELECT name FROM pg_cursors WHERE name = %s", ("visible_on_server",))
            assert plain.fetchall() == [("visible_on_server",)]


def test_named_cursor_fetchmany_returns_batches_of_the_asked_size(conn):
    with conn.cursor("batched") as cur:
        cur.execute("SELECT g FROM generate_series(1, 10) AS g")
        assert [row[0] for row in cur.fetchmany(4)] == [1, 2, 3, 4]
        assert [row[0] for row in cur.fetchmany(4)] == [5, 6, 7, 8]
        assert [row[0] for row in cur.fetchall()] == [9, 10]
        assert cur.fetchone() is None


def test_named_cursor_without_hold_ends_with_the_transaction(conn):
    with conn.cursor("short_lived") as cur:
        cur.execute("SELECT g FROM generate_series(1, 3) AS g")
        assert cur.fetchone() == (1,)
    conn.commit()
    with conn.cursor() as plain:
        plain.execute("SELECT count(*) FROM pg_cursors WHERE name = %s", ("short_lived",))
        assert plain.fetchone() == (0,)


def test_named_cursor_with_hold_survives_commit(conn):
    cur = conn.cursor("held", withhold=True)
    try:
        cur.execute("SELECT g FROM generate_series(1, 5) AS g")
        conn.commit()
        assert [row[0] for row in cur.fetchall()] == [1, 2, 3, 4, 5]
    finally:
        cur.close()
        conn.commit()
