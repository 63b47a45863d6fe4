"""Faults against real servers: a terminated backend, a crashed server, a stalled network.

Each fault gives the client an OperationalError (bounded by the fault itself or the client's
configured timeouts), the connection is then marked closed, and the server holds every
committed row exactly once and nothing of the transaction that was cut.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pgfacade
import pytest

from tests.harness.cluster import Cluster
from tests.reliability import faults
from tests.reliability.clients import ALL_CLIENTS, PUREPG, client_driver

SCRAM = "scram-sha-256"
COMMITTED = (1, 2, 3)
UNCOMMITTED = 100
STALL_LIMIT = 6.0
"""How long the stalled-query test waits before declaring the client hung."""


@pytest.fixture(params=ALL_CLIENTS)
def driver(request: pytest.FixtureRequest) -> Any:
    return client_driver(request.param)


@pytest.fixture
def table(pg_cluster: Cluster) -> Iterator[str]:
    """A fresh table ``(id int primary key)`` anyone may write."""
    name = f"faults_{uuid.uuid4().hex[:10]}"
    faults.admin_query(pg_cluster, f"CREATE TABLE {name} (id int PRIMARY KEY, note text)")
    faults.admin_query(pg_cluster, f"GRANT ALL ON {name} TO PUBLIC")
    yield name
    faults.admin_query(pg_cluster, f"DROP TABLE IF EXISTS {name}")


def commit_rows(conn: Any, table: str) -> None:
    """Insert and commit the rows that must survive every fault."""
    cursor = conn.cursor()
    for row_id in COMMITTED:
        cursor.execute(f"INSERT INTO {table} (id) VALUES (%s)", [row_id])
    conn.commit()


def assert_only_committed_rows(cluster: Cluster, table: str) -> None:
    rows = faults.admin_query(cluster, f"SELECT id FROM {table} ORDER BY id")
    assert [row[0] for row in rows] == list(COMMITTED)


def expect_operational_error(driver: Any, action: Any) -> BaseException:
    with pytest.raises(BaseException) as caught:
        action()
    exc = caught.value
    assert isinstance(exc, driver.module.OperationalError), f"{type(exc)}: {exc!r}"
    return exc


# --- pg_terminate_backend ------------------------------------------------------------------


def test_a_backend_terminated_during_a_query_fails_it(driver, pg_cluster, table):
    conn = driver.connect(**pg_cluster.params(SCRAM))
    commit_rows(conn, table)
    pid = conn.get_backend_pid()
    cursor = conn.cursor()
    cursor.execute(f"INSERT INTO {table} (id) VALUES (%s)", [UNCOMMITTED])

    def terminate() -> None:
        faults.wait_for_backend(pg_cluster, pid, "wait_event = 'PgSleep'")
        faults.terminate_backend(pg_cluster, pid)

    with faults.in_background(terminate):
        expect_operational_error(driver, lambda: cursor.execute("SELECT pg_sleep(60)"))
    assert conn.closed
    assert_only_committed_rows(pg_cluster, table)


class EndlessCopySource:
    """A file for COPY FROM STDIN that terminates the backend after its first chunks."""

    def __init__(self, cluster: Cluster, pid: int, limit: int = 64 * 1024 * 1024) -> None:
        self.cluster = cluster
        self.pid = pid
        self.reads = 0
        self.sent = 0
        self.limit = limit

    def read(self, size: int = 8192) -> str:
        self.reads += 1
        if self.reads == 4:
            faults.terminate_backend(self.cluster, self.pid)
        if self.sent >= self.limit:
            return ""
        lines = "".join(f"{1000 + self.sent + i}\tcopied\n" for i in range(200))
        self.sent += 200
        return lines

    readline = read


def test_a_backend_terminated_during_copy_fails_it(driver, pg_cluster, table):
    conn = driver.connect(**pg_cluster.params(SCRAM))
    commit_rows(conn, table)
    source = EndlessCopySource(pg_cluster, conn.get_backend_pid())
    cursor = conn.cursor()
    expect_operational_error(
        driver, lambda: driver.copy_expert(cursor, f"COPY {table} FROM STDIN", source)
    )
    assert conn.closed
    assert_only_committed_rows(pg_cluster, table)


def test_a_backend_terminated_inside_a_transaction_fails_the_next_statement(
    driver, pg_cluster, table
):
    conn = driver.connect(**pg_cluster.params(SCRAM))
    commit_rows(conn, table)
    cursor = conn.cursor()
    cursor.execute(f"INSERT INTO {table} (id) VALUES (%s)", [UNCOMMITTED])
    faults.terminate_backend(pg_cluster, conn.get_backend_pid())
    expect_operational_error(driver, conn.commit)
    assert conn.closed
    assert_only_committed_rows(pg_cluster, table)


# --- the server crashes --------------------------------------------------------------------


@pytest.fixture(scope="module")
def crash_cluster(pg_major: int) -> Iterator[Cluster]:
    """A dedicated server to crash (durable commits: synchronous_commit=on)."""
    with Cluster(pg_major, settings={"synchronous_commit": "on"}) as cluster:
        yield cluster


def test_a_killed_server_fails_running_and_idle_connections(driver, crash_cluster):
    cluster = crash_cluster
    table = f"crash_{uuid.uuid4().hex[:10]}"
    faults.admin_query(cluster, f"CREATE TABLE {table} (id int PRIMARY KEY, note text)")
    faults.admin_query(cluster, f"GRANT ALL ON {table} TO PUBLIC")
    running = driver.connect(**cluster.params(SCRAM))
    in_transaction = driver.connect(**cluster.params(SCRAM))
    commit_rows(running, table)
    in_transaction.cursor().execute(f"INSERT INTO {table} (id) VALUES (%s)", [UNCOMMITTED])
    pid = running.get_backend_pid()
    outcome: list[BaseException] = []

    def sleep() -> None:
        try:
            running.cursor().execute("SELECT pg_sleep(60)")
        except BaseException as exc:
            outcome.append(exc)

    with faults.in_background(sleep):
        faults.wait_for_backend(cluster, pid, "wait_event = 'PgSleep'")
        # From the main thread: the restarted server lives as long as the thread starting it.
        cluster.restart(crash=True)
    assert outcome, "the query survived the crash"
    assert isinstance(outcome[0], driver.module.OperationalError), repr(outcome[0])
    expect_operational_error(driver, in_transaction.commit)
    assert running.closed
    assert in_transaction.closed
    assert_only_committed_rows(cluster, table)


# --- the network stalls --------------------------------------------------------------------


@pytest.fixture
def proxy(pg_cluster: Cluster) -> Iterator[faults.StallingProxy]:
    stalling = faults.StallingProxy(pg_cluster.host, pg_cluster.port)
    yield stalling
    stalling.stop()


def test_a_network_stalled_while_connecting_fails_at_connect_timeout(driver, pg_cluster, proxy):
    proxy.stall()
    params = pg_cluster.params(SCRAM, port=proxy.port, connect_timeout=2)
    exc = expect_operational_error(driver, lambda: driver.connect(**params))
    assert "timeout expired" in str(exc)


def test_a_network_stalled_during_a_query_fails_at_the_clients_timeout(pg_cluster, proxy, table):
    driver = client_driver(PUREPG)
    params = pg_cluster.params(SCRAM, port=proxy.port, connect_timeout=2)
    conn = driver.connect(**params, statement_timeout=1000, socket_timeout=2)
    commit_rows(conn, table)
    outcome: list[BaseException] = []

    def query() -> None:
        try:
            conn.cursor().execute(f"INSERT INTO {table} (id) VALUES (%s)", [UNCOMMITTED])
            conn.commit()
        except BaseException as exc:
            outcome.append(exc)

    proxy.stall()
    thread = threading.Thread(target=query, daemon=True)
    thread.start()
    thread.join(STALL_LIMIT)
    hung = thread.is_alive()
    proxy.stop()  # releases a hung client
    thread.join(5)
    assert not hung, f"the query still waits after {STALL_LIMIT}s: no client-side timeout"
    assert isinstance(outcome[0], driver.module.OperationalError)
    assert conn.closed


# --- the facade replaces a dead reused connection ------------------------------------------


@pytest.mark.parametrize("backend", ["purepg", "psycopg2"])
def test_a_reused_facade_connection_is_replaced_after_its_backend_was_terminated(
    backend, pg_cluster
):
    client_driver(f"pgfacade-{backend}")
    params = pg_cluster.params(SCRAM)
    first = pgfacade.connect(**params, driver=backend, reuse=True)
    first_pid = first.get_backend_pid()
    faults.terminate_backend(pg_cluster, first_pid)
    second = pgfacade.connect(**params, driver=backend, reuse=True)
    cursor = second.cursor()
    cursor.execute("SELECT 1")
    assert cursor.fetchone() == (1,)
    assert second.get_backend_pid() != first_pid
    second.close()
