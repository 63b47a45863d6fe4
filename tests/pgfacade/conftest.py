"""Fixtures for the pgfacade tests: both backends against the harness clusters."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pgfacade
import purepg
import pytest
from pgfacade import aws, lambda_runtime
from pgfacade.connecting import current_selection

from tests.harness.admin import admin_connect

BACKENDS = ("psycopg2", "purepg")
SCRAM = "scram-sha-256"


def require_backend(name: str) -> None:
    """Skip when the backend cannot connect yet (purepg is being written)."""
    try:
        current_selection(name)
    except ImportError as exc:
        pytest.skip(f"{name} is not importable: {exc}")
    if name == "purepg" and not hasattr(purepg, "connect"):
        pytest.skip("purepg.connect does not exist yet")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of a pgfacade backend (skipped when it is not usable)."""
    require_backend(request.param)
    return str(request.param)


@pytest.fixture
def psycopg2_module() -> Any:
    """psycopg2 itself, for tests of the psycopg2 backend; they skip where it cannot load."""
    return pytest.importorskip(
        "psycopg2", reason="psycopg2 is a CPython C extension: PyPy cannot load it"
    )


@pytest.fixture
def params(pg_cluster: Any) -> dict[str, str]:
    """libpq keywords for the cluster's scram-sha-256 role."""
    return dict(pg_cluster.params(SCRAM))


@pytest.fixture
def admin(pg_cluster: Any) -> Iterator[Any]:
    """A superuser connection in autocommit (for pg_terminate_backend and friends)."""
    connection = admin_connect(pg_cluster.admin_params())
    connection.autocommit = True
    yield connection
    connection.close()


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Every test starts without cached connections, secrets or tokens."""
    lambda_runtime.close_all()
    aws.clear_caches()
    yield
    lambda_runtime.close_all()
    aws.clear_caches()


@pytest.fixture
def connect(backend: str, params: dict[str, str]) -> Iterator[Any]:
    """``connect(**overrides)`` through the facade on ``backend``; connections closed after."""
    opened: list[Any] = []

    def open_one(**overrides: Any) -> Any:
        connection = pgfacade.connect(driver=backend, **{**params, **overrides})
        opened.append(connection)
        return connection

    yield open_one
    for connection in opened:
        connection.close()


class FakeContext:
    """The part of a Lambda context the facade reads: the remaining time, fixed."""

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def backend_pid(connection: Any) -> int:
    """The server process id serving ``connection``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid: int = cursor.fetchone()[0]
    return pid


def terminate_backend(admin: Any, pid: int) -> None:
    """Make the server end ``pid``'s session and wait until it is gone (works on 13+)."""
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(200):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"backend {pid} did not exit")
