"""Optional DB-API parts every driver shares with psycopg2: the tpc extension's xid is the
triple (format_id, gtrid, bqual), ``nextset()`` is not supported, and misuse raises the
driver's own DB-API exceptions (never another driver's)."""

from __future__ import annotations

import pytest

from tests.conformance.test_transactions import insert_token


def test_an_xid_is_the_triple_format_id_gtrid_bqual(conn):
    xid = conn.xid(42, "gtrid", "bqual")
    assert len(xid) == 3
    assert (xid[0], xid[1], xid[2]) == (42, "gtrid", "bqual")
    assert tuple(xid) == (42, "gtrid", "bqual")
    assert (xid.format_id, xid.gtrid, xid.bqual) == (42, "gtrid", "bqual")


def test_a_recovered_xid_is_a_triple_with_prepared_owner_and_database_as_attributes(
    conn, observer, pg_cluster, token
):
    conn.tpc_begin(conn.xid(3, f"attributes-{token}", "b"))
    insert_token(conn, token)
    conn.tpc_prepare()
    conn.close()
    (xid,) = [xid for xid in observer.tpc_recover() if xid[1] == f"attributes-{token}"]
    observer.autocommit = False
    observer.tpc_rollback(xid)
    params = pg_cluster.params("scram-sha-256")
    assert len(xid) == 3
    assert (xid.owner, xid.database) == (params["user"], params["dbname"])
    assert xid.prepared is not None


def test_an_invalid_xid_is_a_programming_error(driver, conn):
    expected = ValueError if driver.is_raw_psycopg2 else driver.module.ProgrammingError
    with pytest.raises(expected):
        conn.xid(-1, "gtrid", "bqual")


def test_nextset_raises_the_drivers_not_supported_error(driver, conn):
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
        with pytest.raises(driver.module.NotSupportedError):
            cur.nextset()


def test_setting_readonly_inside_a_transaction_raises_the_drivers_programming_error(driver, conn):
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
    with pytest.raises(driver.module.ProgrammingError):
        conn.readonly = True


def test_setting_isolation_level_inside_a_transaction_raises_the_drivers_programming_error(
    driver, conn
):
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
    with pytest.raises(driver.module.ProgrammingError):
        conn.isolation_level = 3
