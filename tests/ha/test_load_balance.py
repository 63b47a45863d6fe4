"""``load_balance_hosts``: ``random`` spreads sessions over the hosts, ``disable`` keeps order.

With two hosts and a fair choice, one host getting none of ``CONNECTS`` sessions has the
probability 2 * 2**-60 (about 2e-18): the spread assertion cannot flake.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.ha.clients import Client
from tests.ha.conftest import connect_params, server_port
from tests.harness.replication import ReplicaSet

CONNECTS = 60
FAST_AUTH = "trust"


def ports_reached(client: Client, pair: ReplicaSet, count: int, **keywords: str) -> Counter[int]:
    """How many of ``count`` sessions reached each port."""
    params = connect_params(pair, auth_mode=FAST_AUTH, **keywords)
    ports: Counter[int] = Counter()
    for _ in range(count):
        session = client.connect(**params)
        try:
            ports[server_port(session)] += 1
        finally:
            session.close()
    return ports


def test_random_spreads_sessions_over_every_host(client: Client, pair: ReplicaSet) -> None:
    ports = ports_reached(client, pair, CONNECTS, load_balance_hosts="random")
    assert set(ports) == {node.port for node in pair.nodes}


@pytest.mark.parametrize("attrs", ["read-write", "standby"])
def test_random_still_honours_target_session_attrs(
    client: Client, pair: ReplicaSet, attrs: str
) -> None:
    wanted = pair.primary if attrs == "read-write" else pair.standby
    ports = ports_reached(client, pair, 10, load_balance_hosts="random", target_session_attrs=attrs)
    assert set(ports) == {wanted.port}


def test_disable_always_takes_the_first_host(client: Client, pair: ReplicaSet) -> None:
    ports = ports_reached(client, pair, 10, load_balance_hosts="disable")
    assert set(ports) == {pair.nodes[0].port}
