"""``target_session_attrs`` on a real primary and standby: the server libpq would choose.

Raw psycopg2 is libpq itself: the expectations hold for it first.
"""

from __future__ import annotations

import pytest

from tests.ha.clients import Client
from tests.ha.conftest import connect_params, server_port
from tests.harness.replication import ReplicaSet


def reached(client: Client, pair: ReplicaSet, order: str, attrs: str) -> int:
    """The port that a connect with the hosts in ``order`` ("primary,standby"...) reaches."""
    nodes = [pair.primary if name == "primary" else pair.standby for name in order.split(",")]
    session = client.connect(**connect_params(pair, *nodes, target_session_attrs=attrs))
    try:
        return server_port(session)
    finally:
        session.close()


@pytest.mark.parametrize("order", ["primary,standby", "standby,primary"])
@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        ("read-write", "primary"),
        ("primary", "primary"),
        ("read-only", "standby"),
        ("standby", "standby"),
        ("prefer-standby", "standby"),
    ],
)
def test_target_session_attrs_reaches_the_server_of_that_kind_in_any_host_order(
    client: Client, pair: ReplicaSet, order: str, attrs: str, expected: str
) -> None:
    wanted = pair.primary if expected == "primary" else pair.standby
    assert reached(client, pair, order, attrs) == wanted.port


@pytest.mark.parametrize("order", ["primary,standby", "standby,primary"])
def test_any_takes_the_first_host(client: Client, pair: ReplicaSet, order: str) -> None:
    first = pair.primary if order.startswith("primary") else pair.standby
    assert reached(client, pair, order, "any") == first.port


def test_prefer_standby_falls_back_to_the_primary_when_the_standby_is_down(
    client: Client, pair: ReplicaSet
) -> None:
    with pair.standby_down():
        assert reached(client, pair, "standby,primary", "prefer-standby") == pair.primary.port


@pytest.mark.parametrize("attrs", ["standby", "read-only"])
def test_standby_only_attrs_fail_with_operational_error_when_the_standby_is_down(
    client: Client, pair: ReplicaSet, attrs: str
) -> None:
    with pair.standby_down(), pytest.raises(client.module.OperationalError):
        reached(client, pair, "standby,primary", attrs)


def test_read_write_skips_a_standby_that_is_down(client: Client, pair: ReplicaSet) -> None:
    with pair.standby_down():
        assert reached(client, pair, "standby,primary", "read-write") == pair.primary.port
