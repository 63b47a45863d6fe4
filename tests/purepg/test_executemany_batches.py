"""executemany: one pipelined batch, one Sync, all or nothing."""

from __future__ import annotations

import purepg
import pytest
from purepg import errors


@pytest.fixture
def conn(pg_cluster):
    connection = purepg.connect(**pg_cluster.params("scram-sha-256"))
    cur = connection.cursor()
    cur.execute("CREATE TEMP TABLE batch (a int PRIMARY KEY)")
    connection.commit()
    yield connection
    connection.close()


def count_rows(conn):
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM batch")
    (count,) = cur.fetchone()
    return count


def test_executemany_of_10000_rows_takes_one_round_trip(conn):
    cur = conn.cursor()
    before = conn._round_trips
    cur.executemany("INSERT INTO batch VALUES (%s)", [(i,) for i in range(10000)])
    assert conn._round_trips - before == 1


def test_executemany_rowcount_is_the_total_of_affected_rows(conn):
    cur = conn.cursor()
    cur.executemany("INSERT INTO batch VALUES (%s)", [(i,) for i in range(10)])
    assert cur.rowcount == 10
    cur.executemany("UPDATE batch SET a = a + 100 WHERE a < %s", [(3,), (5,)])
    assert cur.rowcount == 5


def test_executemany_failing_row_loads_nothing_in_autocommit(conn):
    conn.autocommit = True
    cur = conn.cursor()
    with pytest.raises(errors.UniqueViolation):
        cur.executemany("INSERT INTO batch VALUES (%s)", [(1,), (2,), (2,), (3,)])
    assert count_rows(conn) == 0


def test_executemany_failing_row_loads_nothing_in_a_transaction(conn):
    cur = conn.cursor()
    with pytest.raises(errors.UniqueViolation):
        cur.executemany("INSERT INTO batch VALUES (%s)", [(1,), (1,)])
    conn.rollback()
    assert count_rows(conn) == 0


def test_executemany_of_a_huge_batch_does_not_deadlock(conn):
    conn.autocommit = True
    cur = conn.cursor()
    cur.executemany("INSERT INTO batch VALUES (%s)", [(i,) for i in range(100000)])
    assert cur.rowcount == 100000
