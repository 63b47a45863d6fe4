"""Fixtures of the high-availability tests: one replicated pair per PostgreSQL major.

The pair is shared by the session (one alive at a time: tests run grouped by major) and left
as every test found it: a primary and one streaming asynchronous standby, whichever node is
which after failovers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conformance.plugin import selected_drivers
from tests.ha.clients import Client
from tests.harness.replication import Node, ReplicaSet, admin_value

AUTH_MODE = "scram-sha-256"
CONNECT_TIMEOUT = 5
TABLE = "ha_rows"

_pairs: dict[int, ReplicaSet] = {}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "client_name" in metafunc.fixturenames:
        names = selected_drivers(metafunc.config)
        only = metafunc.definition.get_closest_marker("only_clients")
        if only is not None:
            names = [name for name in names if name in only.args]
        metafunc.parametrize("client_name", names, ids=names)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "only_clients(*names): the test is for these clients")


@pytest.fixture(scope="session")
def replica_sets() -> Iterator[dict[int, ReplicaSet]]:
    """The session's replicated pairs, all stopped at the end."""
    yield _pairs
    for pair in list(_pairs.values()):
        pair.stop()
    _pairs.clear()


@pytest.fixture
def pair(pg_major: int, replica_sets: dict[int, ReplicaSet]) -> ReplicaSet:
    """A running primary with one asynchronous streaming standby, of PostgreSQL ``pg_major``."""
    current = replica_sets.get(pg_major)
    if current is None:
        for other in list(replica_sets):
            replica_sets.pop(other).stop()
        current = replica_sets[pg_major] = ReplicaSet(pg_major)
        current.start()
        create = f"CREATE TABLE {TABLE} (n integer NOT NULL); GRANT ALL ON {TABLE} TO PUBLIC"
        admin_value(current.primary, create, dbname=current.primary.dbname)
    return current


@pytest.fixture
def client(client_name: str) -> Client:
    """The driver under test, as a ``Client``; skipped when it cannot be loaded."""
    from tests.conformance.drivers import DriverUnavailableError

    try:
        return Client(client_name)
    except DriverUnavailableError as exc:
        pytest.skip(str(exc))


def connect_params(
    pair: ReplicaSet, *nodes: Node, auth_mode: str = AUTH_MODE, **overrides: Any
) -> dict[str, Any]:
    """libpq keywords listing ``nodes`` (all of the pair by default) in that order."""
    params = pair.primary.params(auth_mode, connect_timeout=CONNECT_TIMEOUT)
    params.update(pair.hosts(*nodes))
    params.update({key: str(value) for key, value in overrides.items()})
    return params


def server_port(session: Any) -> int:
    """The port of the server a session reached."""
    ((port,),) = session.query("SELECT inet_server_port()")
    return int(port)
