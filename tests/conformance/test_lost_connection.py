"""A connection lost under a statement or a COMMIT: the application sees OperationalError,
and a COMMIT cut short says that the transaction may or may not have been committed."""

from __future__ import annotations

import threading
import time

import pytest

from tests.conformance.drivers import PSYCOPG2
from tests.conformance.expectations import Differs, Expectation
from tests.conformance.test_transactions import insert_token, setting
from tests.reliability.faults import (
    BACKEND_WAIT,
    admin_connection,
    admin_query,
    in_background,
    terminate_backend,
    wait_for_backend,
)

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


def backend_pid(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def test_an_error_in_a_with_block_of_a_lost_connection_is_operational_error(
    driver, pg_cluster, conn
):
    terminate_backend(pg_cluster, backend_pid(conn))
    _, expected = ERROR_FROM_WITH_BLOCK.for_driver(driver.name)
    with pytest.raises(driver.module.Error) as caught, conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
    assert isinstance(caught.value, getattr(driver.module, expected))
    assert conn.closed


def wait_until_commits_wait_for_a_standby(cluster) -> None:
    """Wait until a probe COMMIT waits for the standby (then cancel its wait).

    A backend sees the new ``synchronous_standby_names`` as soon as it reloads, but COMMITs
    wait only once the checkpointer has reloaded too and published that a standby is named.
    """
    probe = admin_connection(cluster)
    try:
        cursor = probe.cursor()
        cursor.execute("SET synchronous_commit = on")
        pid = backend_pid(probe)
        deadline = time.monotonic() + BACKEND_WAIT
        while time.monotonic() < deadline:
            writer = threading.Thread(  # a catalog write, so its COMMIT has WAL to wait for
                target=cursor.execute, args=("CREATE TEMP TABLE probe (x int) ON COMMIT DROP",)
            )
            writer.start()
            while writer.is_alive():
                waiting = admin_query(
                    cluster,
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event = 'SyncRep'",
                    [pid],
                )
                if waiting:
                    admin_query(cluster, "SELECT pg_cancel_backend(%s)", [pid])
                    writer.join()
                    return
                time.sleep(0.02)
            time.sleep(0.05)
    finally:
        probe.close()
    raise AssertionError("COMMITs never waited for the synchronous standby")


@pytest.fixture
def stalling_commits(pg_cluster, conn):
    """COMMITs of ``conn`` that wrote wait for a synchronous standby that does not exist."""
    with conn.cursor() as cur:
        cur.execute("SET synchronous_commit = on")  # the test clusters turn it off
    admin_query(pg_cluster, "ALTER SYSTEM SET synchronous_standby_names = 'nobody'")
    admin_query(pg_cluster, "SELECT pg_reload_conf()")
    try:
        deadline = time.monotonic() + BACKEND_WAIT
        while setting(conn, "synchronous_standby_names") != "nobody":
            assert time.monotonic() < deadline, "the server did not reload its configuration"
            time.sleep(0.05)
        conn.commit()  # keeps the SET (a rollback would undo it)
        wait_until_commits_wait_for_a_standby(pg_cluster)
        yield
    finally:
        admin_query(pg_cluster, "ALTER SYSTEM RESET synchronous_standby_names")
        admin_query(pg_cluster, "SELECT pg_reload_conf()")


@pytest.mark.parametrize("how", ["commit", "with block"])
def test_a_commit_cut_by_a_lost_connection_says_it_may_have_committed(
    driver, pg_cluster, conn, shared_schema, stalling_commits, token, how
):
    pid = backend_pid(conn)
    conn.commit()

    def terminate_in_commit() -> None:
        try:
            wait_for_backend(pg_cluster, pid, "wait_event = 'SyncRep'")
        finally:  # a COMMIT that never waited must not hang the test
            terminate_backend(pg_cluster, pid)

    with (
        in_background(terminate_in_commit),
        pytest.raises(driver.module.OperationalError) as caught,
    ):
        if how == "commit":
            insert_token(conn, token)
            conn.commit()
        else:
            with conn:
                insert_token(conn, token)
    _, expected = IN_DOUBT_COMMIT.for_driver(driver.name)
    assert (IN_DOUBT_WORDING in str(caught.value)) is expected
    assert conn.closed
