"""``pgfacade.lambda_connection()`` across a failover, the handler doing nothing special.

One story per pgfacade backend and PostgreSQL major: warm invocations of three handlers
(writer: ``read-write``; readers: ``standby`` and ``read-only``) before the failover, the writer
during it (primary dead, standby not promoted yet), and all three after it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest

from tests.ha.clients import Client
from tests.ha.conftest import TABLE, connect_params
from tests.harness.replication import ReplicaSet

CONNECT_TIMEOUT = 2
READERS = ("standby", "read-only")

pytestmark = pytest.mark.only_clients("pgfacade-psycopg2", "pgfacade-purepg")


@dataclass
class Reached:
    """The server one invocation ran on."""

    port: int
    standby: bool


@dataclass
class LambdaStory:
    """What the invocations saw; ports are compared with the pair's nodes at each stage."""

    first_primary: int
    first_standby: int
    before: dict[str, Reached]
    during_error: BaseException | None
    during_seconds: float
    after: dict[str, Reached]
    new_primary: int
    new_standby: int


_stories: dict[tuple[int, str], LambdaStory] = {}


def invocation(client: Client, attrs: str, params: dict[str, Any]) -> Reached:
    """A handler run: a row written (``read-write``) or read, and the server it ran on."""
    import pgfacade

    backend = client.name.split("-", 1)[1]
    connection = pgfacade.lambda_connection(driver=backend, **params[attrs])
    with connection, connection.cursor() as cursor:
        if attrs == "read-write":
            cursor.execute(f"INSERT INTO {TABLE} (n) VALUES (0)")
        cursor.execute("SELECT inet_server_port(), pg_is_in_recovery()")
        port, standby = cursor.fetchone()
        return Reached(int(port), bool(standby))


def live_story(client: Client, pair: ReplicaSet) -> LambdaStory:
    """Run the invocations around one failover."""
    params = {
        attrs: connect_params(pair, target_session_attrs=attrs, connect_timeout=CONNECT_TIMEOUT)
        for attrs in ("read-write", *READERS)
    }
    first_primary, first_standby = pair.primary.port, pair.standby.port
    before = {attrs: invocation(client, attrs, params) for attrs in params}
    old = pair.kill_primary()
    started = time.monotonic()
    during_error = None
    try:
        invocation(client, "read-write", params)
    except Exception as error:
        during_error = error
    during_seconds = time.monotonic() - started
    pair.promote_standby()
    after = {"read-write": invocation(client, "read-write", params)}
    pair.reseed(old)
    after.update({attrs: invocation(client, attrs, params) for attrs in READERS})
    return LambdaStory(
        first_primary,
        first_standby,
        before,
        during_error,
        during_seconds,
        after,
        pair.primary.port,
        pair.standby.port,
    )


@pytest.fixture
def story(pg_major: int, client: Client, pair: ReplicaSet) -> LambdaStory:
    """The story of this pgfacade backend on this major, run on first use."""
    from pgfacade import lambda_runtime

    key = (pg_major, client.name)
    if key not in _stories:
        lambda_runtime.close_all()
        try:
            _stories[key] = live_story(client, pair)
        finally:
            lambda_runtime.close_all()
    return _stories[key]


def test_before_the_failover_each_handler_reaches_its_kind_of_server(story: LambdaStory) -> None:
    assert story.before == {
        "read-write": Reached(story.first_primary, standby=False),
        "standby": Reached(story.first_standby, standby=True),
        "read-only": Reached(story.first_standby, standby=True),
    }


def test_the_invocation_during_a_failover_fails_with_operational_error(
    story: LambdaStory,
) -> None:
    import pgfacade

    assert isinstance(story.during_error, pgfacade.OperationalError), story.during_error


def test_the_invocation_during_a_failover_fails_within_the_connect_timeout(
    story: LambdaStory,
) -> None:
    assert story.during_seconds < CONNECT_TIMEOUT * 3


def test_the_invocation_after_a_failover_writes_to_the_new_primary(story: LambdaStory) -> None:
    assert story.after["read-write"] == Reached(story.new_primary, standby=False)


@pytest.mark.parametrize("attrs", READERS)
def test_a_reused_reader_session_is_replaced_once_its_server_was_promoted(
    story: LambdaStory, attrs: str
) -> None:
    assert story.after[attrs] == Reached(story.new_standby, standby=True)
