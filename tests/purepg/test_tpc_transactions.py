"""The DB-API two-phase commit extension (psycopg2's semantics)."""

from __future__ import annotations

import purepg
import pytest


@pytest.fixture
def conn(pg_cluster):
    connection = purepg.connect(**pg_cluster.params("scram-sha-256"))
    cur = connection.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS tpc_rows (label text)")
    cur.execute("TRUNCATE tpc_rows")
    connection.commit()
    yield connection
    connection.close()
    cleaner = purepg.connect(**pg_cluster.params("scram-sha-256"))
    for xid in cleaner.tpc_recover():
        if xid.database == pg_cluster.dbname and xid.owner == cleaner.get_parameter_status(
            "session_authorization"
        ):
            cleaner.tpc_rollback(xid)
    cleaner.close()


def labels(conn):
    cur = conn.cursor()
    cur.execute("SELECT label FROM tpc_rows ORDER BY label")
    rows = [label for (label,) in cur.fetchall()]
    conn.rollback()
    return rows


def test_prepared_then_committed_transaction_is_visible(conn):
    conn.tpc_begin(conn.xid(42, "global", "branch"))
    conn.cursor().execute("INSERT INTO tpc_rows VALUES ('two-phase')")
    conn.tpc_prepare()
    conn.tpc_commit()
    assert labels(conn) == ["two-phase"]


def test_prepared_transaction_is_listed_by_tpc_recover(conn):
    xid = conn.xid(7, "recover-me", "b")
    conn.tpc_begin(xid)
    conn.cursor().execute("INSERT INTO tpc_rows VALUES ('pending')")
    conn.tpc_prepare()
    found = [x for x in conn.tpc_recover() if x.gtrid == "recover-me"]
    assert [(x.format_id, x.gtrid, x.bqual) for x in found] == [(7, "recover-me", "b")]
    conn.tpc_rollback()


def test_recovered_transaction_can_be_committed_by_xid_from_another_connection(conn, pg_cluster):
    conn.tpc_begin(conn.xid(1, "later", "x"))
    conn.cursor().execute("INSERT INTO tpc_rows VALUES ('recovered')")
    conn.tpc_prepare()
    other = purepg.connect(**pg_cluster.params("scram-sha-256"))
    (xid,) = [x for x in other.tpc_recover() if x.gtrid == "later"]
    other.tpc_commit(xid)
    assert labels(other) == ["recovered"]
    other.close()


def test_rolled_back_prepared_transaction_leaves_nothing(conn):
    conn.tpc_begin(conn.xid(1, "undo", "x"))
    conn.cursor().execute("INSERT INTO tpc_rows VALUES ('undone')")
    conn.tpc_prepare()
    conn.tpc_rollback()
    assert labels(conn) == []


def test_tpc_commit_without_prepare_is_a_one_phase_commit(conn):
    conn.tpc_begin(conn.xid(1, "one-phase", "x"))
    conn.cursor().execute("INSERT INTO tpc_rows VALUES ('direct')")
    conn.tpc_commit()
    assert labels(conn) == ["direct"]


def test_commit_is_refused_during_a_two_phase_transaction(conn):
    conn.tpc_begin(conn.xid(1, "refused", "x"))
    with pytest.raises(purepg.ProgrammingError, match="two-phase"):
        conn.commit()
    conn.tpc_rollback()


def test_tpc_begin_is_refused_in_autocommit_mode(conn):
    conn.autocommit = True
    with pytest.raises(purepg.ProgrammingError, match="autocommit"):
        conn.tpc_begin(conn.xid(1, "auto", "x"))


def test_xid_refuses_a_too_long_gtrid(conn):
    with pytest.raises(purepg.ProgrammingError, match="gtrid"):
        conn.xid(1, "g" * 65, "b")
