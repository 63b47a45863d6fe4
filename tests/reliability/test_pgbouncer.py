"""Behind PgBouncer in transaction pooling mode: parameters, transactions, errors and recovery
work for purepg (statement cache off) and pgfacade in pooler-safe mode, over both backends.

What a transaction pooler cannot support, whatever the driver (each transaction may run on a
different server connection): LISTEN/NOTIFY (the listening session is not yours), session
``SET`` / ``set_session`` defaults (they stick to a server connection you lose), named prepared
statements across transactions (purepg: ``statement_cache_size=0``), named (server-side)
cursors and ``WITH HOLD`` cursors across transactions, session advisory locks, temporary tables
across transactions, ``pg_backend_pid()``-based cancellation.

PgBouncer comes from Debian (``apt-get install pgbouncer``, installed by the fixture when
missing and we are root, else the tests skip) and runs as the ``postgres`` user on a free port.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness import apt
from tests.harness.cluster import Cluster
from tests.reliability import faults
from tests.reliability.clients import FACADE_PSYCOPG2, FACADE_PUREPG, PUREPG, client_driver

SCRAM = "scram-sha-256"
PGBOUNCER = "/usr/sbin/pgbouncer"
START_WAIT = 15.0


def _ensure_pgbouncer() -> str:
    found = shutil.which("pgbouncer")
    if found:
        return found
    try:
        installed = apt.ensure_packages({PGBOUNCER: "pgbouncer"})
    except apt.PackagesUnavailableError as exc:
        pytest.skip(str(exc))
    except apt.PackagesInstallError as exc:
        # As root the test command installs what it needs: a failure here is a failure.
        pytest.fail(str(exc))
    if installed:
        # A system service the package may have started is not ours: stop it.
        subprocess.run(["service", "pgbouncer", "stop"], capture_output=True, check=False)
    return PGBOUNCER


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def pgbouncer(pg_cluster: Cluster) -> Iterator[int]:
    """A PgBouncer in transaction mode in front of ``pg_cluster``, default settings; yields
    its port."""
    with running_pgbouncer(pg_cluster) as port:
        yield port


@contextlib.contextmanager
def running_pgbouncer(pg_cluster: Cluster, ignore: str = "") -> Iterator[int]:
    """PgBouncer in transaction mode, ``ignore_startup_parameters = ignore``; yields its port."""
    binary = _ensure_pgbouncer()
    params = pg_cluster.params(SCRAM)
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))  # readable by postgres
    port = _free_port()
    (directory / "userlist.txt").write_text(f'"{params["user"]}" "{params["password"]}"\n')
    (directory / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"{pg_cluster.dbname} = host={pg_cluster.host} port={pg_cluster.port} "
        f"dbname={pg_cluster.dbname}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = scram-sha-256\nauth_file = {directory / 'userlist.txt'}\n"
        "pool_mode = transaction\nmax_client_conn = 50\ndefault_pool_size = 2\n"
        f"logfile = {directory / 'pgbouncer.log'}\npidfile = {directory / 'pgbouncer.pid'}\n"
        f"ignore_startup_parameters = {ignore}\n"
    )
    user = None
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        user = entry.pw_uid
        for path in [directory, *directory.iterdir()]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
    output = (directory / "output.txt").open("wb")
    process = subprocess.Popen(
        [binary, str(directory / "pgbouncer.ini")],
        stdout=output,
        stderr=subprocess.STDOUT,
        user=user,
    )
    try:
        deadline = time.monotonic() + START_WAIT
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                output.flush()
                log = (directory / "output.txt").read_text(errors="replace")[-2000:]
                pytest.fail(f"pgbouncer did not start: {log}")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()
        shutil.rmtree(directory, ignore_errors=True)


POOLER_CLIENTS = (PUREPG, FACADE_PUREPG, FACADE_PSYCOPG2)


@pytest.fixture(params=POOLER_CLIENTS)
def pooled(request: pytest.FixtureRequest, pg_cluster: Cluster, pgbouncer: int) -> Iterator[Any]:
    """A connection through PgBouncer, in the client's pooler-safe configuration."""
    driver = client_driver(request.param)
    params = pg_cluster.params(SCRAM, port=pgbouncer)
    if request.param == PUREPG:
        conn = driver.connect(**params, statement_cache_size=0)
    else:
        conn = driver.connect(**params, pooler_safe=True)
    yield conn, driver
    conn.close()


@pytest.fixture
def table(pg_cluster: Cluster) -> Iterator[str]:
    name = f"pooled_{uuid.uuid4().hex[:10]}"
    faults.admin_query(pg_cluster, f"CREATE TABLE {name} (id int PRIMARY KEY, note text)")
    faults.admin_query(pg_cluster, f"GRANT ALL ON {name} TO PUBLIC")
    yield name
    faults.admin_query(pg_cluster, f"DROP TABLE IF EXISTS {name}")


def test_queries_with_parameters_repeat_through_the_pooler(pooled):
    conn, _ = pooled
    cursor = conn.cursor()
    for value in range(20):  # often enough for any statement cache to kick in
        cursor.execute("SELECT %s::int + %s", [value, 1])
        assert cursor.fetchone()[0] == value + 1
        conn.commit()


def test_transactions_commit_and_roll_back_through_the_pooler(pooled, pg_cluster, table):
    conn, _ = pooled
    cursor = conn.cursor()
    cursor.execute(f"INSERT INTO {table} VALUES (%s, %s)", [1, "kept"])
    conn.commit()
    cursor.execute(f"INSERT INTO {table} VALUES (%s, %s)", [2, "rolled back"])
    conn.rollback()
    rows = faults.admin_query(pg_cluster, f"SELECT id, note FROM {table}")
    assert rows == [(1, "kept")]


def test_an_error_is_reported_and_the_connection_recovers_through_the_pooler(pooled):
    conn, driver = pooled
    cursor = conn.cursor()
    with pytest.raises(driver.module.DataError) as caught:
        cursor.execute("SELECT 1 / %s", [0])
    assert caught.value.sqlstate == "22012"
    conn.rollback()
    cursor.execute("SELECT %s", ["after the error"])
    assert cursor.fetchone() == ("after the error",)


def test_purepg_connects_through_a_pgbouncer_with_default_startup_parameters(pg_cluster):
    driver = client_driver(PUREPG)
    with running_pgbouncer(pg_cluster) as port:
        conn = driver.connect(**pg_cluster.params(SCRAM, port=port), statement_cache_size=0)
        conn.close()
