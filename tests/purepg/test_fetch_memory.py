"""fetchall frees the raw DataRow payloads as it decodes them (the result is held once, decoded);
the other fetch methods keep them; scrolling back still returns every row."""

from __future__ import annotations

import asyncio

import purepg
import pytest
from purepg import aio
from purepg.core import cursor_state as cursor_module

ROWS = 2500  # more than one decoding chunk
QUERY = f"SELECT i, 'row ' || i, md5(i::text)::uuid FROM generate_series(1, {ROWS}) AS i"


@pytest.fixture
def conn(pg_cluster):
    connection = purepg.connect(**pg_cluster.params("scram-sha-256"))
    yield connection
    connection.close()


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(cursor_module, "DECODE_CHUNK", 1000)


def expected(start: int = 1, stop: int = ROWS) -> list[int]:
    return list(range(start, stop + 1))


def test_fetchall_leaves_no_raw_payloads_behind(conn, small_chunks):
    cur = conn.cursor()
    cur.execute(QUERY)
    assert cur._raw_rows == ROWS
    rows = cur.fetchall()
    assert (cur._raw_rows, [row[0] for row in rows]) == (0, expected())


def test_fetchone_and_fetchmany_keep_the_payloads_of_what_they_decoded(conn):
    cur = conn.cursor()
    cur.execute(QUERY)
    cur.fetchone()
    cur.fetchmany(1500)
    assert (cur._raw_rows, cur.rownumber) == (ROWS, 1501)


def test_scrolling_back_after_fetchall_returns_the_same_rows_again(conn, small_chunks):
    cur = conn.cursor()
    cur.execute(QUERY)
    first = cur.fetchall()
    cur.scroll(0, mode="absolute")
    assert cur.fetchone() == first[0]
    assert cur.fetchmany(1200) == first[1:1201]
    assert cur.fetchall() == first[1201:]


def test_fetchall_after_partial_fetches_and_scrolls_returns_every_remaining_row(conn, small_chunks):
    cur = conn.cursor()
    cur.execute(QUERY)
    cur.scroll(2000, mode="absolute")
    assert [row[0] for row in cur.fetchall()] == expected(2001)
    cur.scroll(10, mode="absolute")
    cur.fetchmany(5)
    rows = cur.fetchall()  # 15..2000 still raw, 2001.. decoded: one chunk holds both
    assert ([row[0] for row in rows], cur._raw_rows) == (expected(16), 15)
    cur.scroll(-ROWS + 3, mode="relative")
    assert [row[0] for row in cur.fetchall()] == expected(4)


def test_iterating_after_fetchall_and_scroll_yields_decoded_rows(conn):
    cur = conn.cursor()
    cur.execute("SELECT generate_series(1, 5)")
    cur.fetchall()
    cur.scroll(2, mode="absolute")
    assert list(cur) == [(3,), (4,), (5,)]


def test_asyncio_fetchall_leaves_no_raw_payloads_behind(pg_cluster, small_chunks):

    async def fetch() -> tuple[int, int, list[int]]:
        connection = await aio.connect(**pg_cluster.params("scram-sha-256"))
        try:
            cur = connection.cursor()
            await cur.execute(QUERY)
            before = cur._raw_rows
            rows = await cur.fetchall()
            return before, cur._raw_rows, [row[0] for row in rows]
        finally:
            await connection.close()

    assert asyncio.run(fetch()) == (ROWS, 0, expected())
