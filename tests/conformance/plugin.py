"""pytest plugin of the conformance suite: ``--drivers``, and the ``driver`` and ``conn`` fixtures.

Loaded by ``tests/conftest.py`` next to ``tests.harness.plugin`` (which provides ``pg_cluster``
and ``auth_mode``). Every test that uses ``driver`` is parametrised over the selected drivers
(parameter ``driver_name``); a driver that cannot be imported or cannot connect yet is skipped
with the reason, per test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conformance.drivers import (
    DRIVER_NAMES,
    PSYCOPG2,
    Driver,
    DriverUnavailableError,
    load_driver,
    parse_driver_names,
)

CONN_AUTH_MODE = "scram-sha-256"
"""The auth mode of the ``conn`` fixture (every mode is covered by the auth tests)."""

ENUM_TYPE = "conformance_mood"
ENUM_LABELS = ("sad", "ok", "happy")
ADD_FUNCTION = "conformance_add"
VISIBILITY_TABLE = "conformance_visibility"

_SHARED_SCHEMA_SQL = f"""
SELECT pg_advisory_xact_lock(20251121);
DO $$ BEGIN
    CREATE TYPE {ENUM_TYPE} AS ENUM ('sad', 'ok', 'happy');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
CREATE OR REPLACE FUNCTION {ADD_FUNCTION}(a integer, b integer) RETURNS integer
    LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
CREATE TABLE IF NOT EXISTS {VISIBILITY_TABLE} (token text PRIMARY KEY, value integer);
GRANT ALL ON {VISIBILITY_TABLE} TO PUBLIC;
"""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--drivers",
        default=None,
        help=(
            "comma-separated drivers for the conformance suite "
            f"(default: $TEST_DRIVERS, else all: {','.join(DRIVER_NAMES)})"
        ),
    )


def selected_drivers(config: pytest.Config) -> list[str]:
    """The drivers chosen by ``--drivers``, else ``$TEST_DRIVERS``, else all of them."""
    text = config.getoption("--drivers") or os.environ.get("TEST_DRIVERS") or ""
    if not text.strip():
        return list(DRIVER_NAMES)
    try:
        return parse_driver_names(text)
    except ValueError as exc:
        raise pytest.UsageError(f"--drivers / TEST_DRIVERS: {exc}") from None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "driver_name" in metafunc.fixturenames:
        names = selected_drivers(metafunc.config)
        metafunc.parametrize("driver_name", names, ids=names, scope="session")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which psycopg2 (file and libpq version) the ``psycopg2`` driver is, once per run."""
    if PSYCOPG2 not in selected_drivers(config):
        return []
    try:
        driver = load_driver(PSYCOPG2)
    except DriverUnavailableError as exc:
        return [f"conformance: {exc}"]
    libpq = driver.module.extensions.libpq_version()
    return [
        f"conformance: psycopg2 {driver.module.__version__} from {driver.module.__file__}, "
        f"libpq {libpq // 10000}.{libpq % 10000}"
    ]


@pytest.fixture
def driver(driver_name: str) -> Driver:
    """The driver under test; skipped with the reason when it is not importable yet."""
    try:
        return load_driver(driver_name)
    except DriverUnavailableError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def shared_schema(pg_cluster: Any) -> Any:
    """Objects the tests share on each cluster (enum type, function, visibility table).

    Created once per cluster as the superuser (with psycopg2 as a plain tool, whatever the
    driver under test; see ``admin_connect``), so that no test needs DDL rights beyond
    temporary tables.
    """
    from tests.harness.admin import admin_connect

    admin = admin_connect(pg_cluster.admin_params())
    try:
        with admin, admin.cursor() as cur:
            cur.execute(_SHARED_SCHEMA_SQL)
    finally:
        admin.close()
    return pg_cluster


@pytest.fixture
def conn(driver: Driver, pg_cluster: Any, shared_schema: Any) -> Iterator[Any]:
    """A connection of ``driver`` to ``pg_cluster`` in mode scram-sha-256, closed afterwards."""
    connection = driver.connect(**pg_cluster.params(CONN_AUTH_MODE))
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def observer(driver: Driver, pg_cluster: Any, shared_schema: Any) -> Iterator[Any]:
    """A second connection (autocommit) that checks what other sessions can see."""
    connection = driver.connect(**pg_cluster.params(CONN_AUTH_MODE))
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def token() -> str:
    """A key unique to this test, for rows of the shared visibility table."""
    return uuid.uuid4().hex
