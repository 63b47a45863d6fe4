"""A writer across a real failover: synchronous replication, primary killed, standby promoted.

One failover per client and PostgreSQL major (``tests.ha.writer``), whose outcome every test
here checks from its own side.
"""

from __future__ import annotations

import pytest

from tests.conformance.drivers import PUREPG_FAMILY
from tests.ha.clients import Client
from tests.ha.conftest import connect_params
from tests.ha.writer import FailoverOutcome, run_failover
from tests.harness.replication import ReplicaSet

BEFORE = 20
AFTER = 5

_outcomes: dict[tuple[int, str], FailoverOutcome] = {}


@pytest.fixture
def outcome(pg_major: int, client: Client, pair: ReplicaSet) -> FailoverOutcome:
    """The failover of this client on this major, run on first use."""
    key = (pg_major, client.name)
    if key not in _outcomes:
        _outcomes[key] = run_failover(client, pair, BEFORE, AFTER)
    return _outcomes[key]


def test_every_returned_commit_is_on_the_new_primary_exactly_once(
    outcome: FailoverOutcome,
) -> None:
    found = {number: outcome.found.get(number, 0) for number in outcome.committed}
    assert found == dict.fromkeys(outcome.committed, 1)
    assert len(outcome.committed) == BEFORE + AFTER


def test_the_commit_cut_by_the_failover_raises_operational_error(
    client: Client, outcome: FailoverOutcome
) -> None:
    assert isinstance(outcome.commit_error, client.module.OperationalError)


def test_the_commit_cut_by_the_failover_is_never_retried(outcome: FailoverOutcome) -> None:
    assert outcome.in_doubt is not None
    assert outcome.found.get(outcome.in_doubt, 0) <= 1
    assert set(outcome.found) <= {*outcome.committed, outcome.in_doubt}


def test_the_next_connect_after_the_failover_reaches_the_new_primary(
    outcome: FailoverOutcome,
) -> None:
    assert outcome.first_write_port == outcome.new_primary_port


@pytest.mark.only_clients(*PUREPG_FAMILY)  # libpq does not name the COMMIT
def test_purepg_says_the_outcome_of_the_cut_commit_is_unknown(outcome: FailoverOutcome) -> None:
    assert "may or may not have been committed" in str(outcome.commit_error)


def test_a_commit_the_server_refuses_is_not_reported_in_doubt(
    client: Client, pair: ReplicaSet
) -> None:
    session = client.connect(**connect_params(pair, target_session_attrs="read-write"))
    try:
        session.query("CREATE TEMP TABLE refused (n integer UNIQUE DEFERRABLE INITIALLY DEFERRED)")
        session.query("INSERT INTO refused VALUES (1), (1)")
        with pytest.raises(client.module.IntegrityError) as raised:
            session.commit()
        assert "may or may not" not in str(raised.value)
    finally:
        session.close()
