"""A connection lost under a statement or a COMMIT: the application sees OperationalError,
and a COMMIT cut short says that the transaction may or may not have been committed."""

from __future__ import annotations

import threading
import time

import pytest

from tests.conformance.drivers import PSYCOPG2
from tests.conformance.expectations import Differs, Expectation
from tests.conformance.test_transactions import insert_token
from tests.harness.admin import admin_connect

LIMIT = 10.0
"""Seconds a wait for the server gives up after (a bound against a hang, never asserted)."""

ERROR_FROM_WITH_BLOCK = Expectation(
    None,
    "OperationalError",
    {
        PSYCOPG2: Differs(
            "psycopg2's __exit__ rolls back on the lost connection and raises its "
            "InterfaceError('connection already closed') instead",
            expected="InterfaceError",
        )
    },
)
IN_DOUBT_WORDING = "the transaction may or may not have been committed"
IN_DOUBT_COMMIT = Expectation(
    None,
    True,
    {PSYCOPG2: Differs("psycopg2 shows libpq's text, which does not say so", expected=False)},
)


@pytest.fixture
def admin(pg_cluster):
    connection = admin_connect(pg_cluster.admin_params())
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


def admin_query(admin, sql: str, params=None) -> list:
    with admin.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description is not None else []


def backend_pid(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def terminate(admin, pid: int) -> None:
    """Terminate the backend ``pid`` and wait until it is gone."""
    admin_query(admin, "SELECT pg_terminate_backend(%s)", (pid,))
    deadline = time.monotonic() + LIMIT
    while admin_query(admin, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)):
        assert time.monotonic() < deadline, "the backend outlived pg_terminate_backend"
        time.sleep(0.05)


def test_an_error_in_a_with_block_of_a_lost_connection_is_operational_error(driver, conn, admin):
    terminate(admin, backend_pid(conn))
    _, expected = ERROR_FROM_WITH_BLOCK.for_driver(driver.name)
    with pytest.raises(driver.module.Error) as caught, conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
    assert isinstance(caught.value, getattr(driver.module, expected))
    assert conn.closed


@pytest.fixture
def stalling_commits(admin, conn):
    """COMMITs of ``conn`` wait for a synchronous standby that does not exist."""
    admin_query(conn, "SET synchronous_commit = on")  # the test clusters turn it off
    admin_query(admin, "ALTER SYSTEM SET synchronous_standby_names = 'nobody'")
    admin_query(admin, "SELECT pg_reload_conf()")
    try:
        deadline = time.monotonic() + LIMIT
        while admin_query(conn, "SHOW synchronous_standby_names") != [("nobody",)]:
            assert time.monotonic() < deadline, "the server did not reload its configuration"
            time.sleep(0.05)
        conn.commit()  # keeps the SET (a rollback would undo it)
        yield
    finally:
        admin_query(admin, "ALTER SYSTEM RESET synchronous_standby_names")
        admin_query(admin, "SELECT pg_reload_conf()")


def terminate_when_waiting_for_sync_rep(admin, pid: int) -> None:
    """Terminate ``pid`` once its COMMIT waits for the standby (or after ``LIMIT`` anyway)."""
    deadline = time.monotonic() + LIMIT
    while time.monotonic() < deadline:
        waiting = "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event = 'SyncRep'"
        if admin_query(admin, waiting, (pid,)):
            break
        time.sleep(0.05)
    admin_query(admin, "SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.parametrize("how", ["commit", "with block"])
def test_a_commit_cut_by_a_lost_connection_says_it_may_have_committed(
    driver, pg_cluster, conn, shared_schema, stalling_commits, token, how
):
    pid = backend_pid(conn)
    conn.commit()
    killer_admin = admin_connect(pg_cluster.admin_params())
    killer_admin.autocommit = True
    killer = threading.Thread(target=terminate_when_waiting_for_sync_rep, args=(killer_admin, pid))
    killer.start()
    try:
        with pytest.raises(driver.module.OperationalError) as caught:
            if how == "commit":
                insert_token(conn, token)
                conn.commit()
            else:
                with conn:
                    insert_token(conn, token)
    finally:
        killer.join()
        killer_admin.close()
    _, expected = IN_DOUBT_COMMIT.for_driver(driver.name)
    assert (IN_DOUBT_WORDING in str(caught.value)) is expected
    assert driver.sqlstate(caught.value) in ("57P01", None)
    assert conn.closed
