"""A writer committing numbered rows across a failover: what returned, what raised, what is found.

The failover is staged so that exactly one COMMIT is in doubt: after ``before`` synchronously
replicated commits, the primary waits for a standby that does not exist, the writer's next COMMIT
blocks there (locally written, unacknowledged), and the primary is killed under it. The standby
is promoted and the writer reconnects (``target_session_attrs=read-write``) and commits ``after``
more rows, never retrying the row whose COMMIT raised.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.ha.clients import Client, Session
from tests.ha.conftest import TABLE, connect_params, server_port
from tests.harness.replication import Node, ReplicaSet, admin_connection, admin_value, wait_for

RECONNECT_LIMIT = 60.0
"""Seconds the writer keeps reconnecting after the kill before it gives up (a limit only)."""
STALLED_COMMIT = (
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query = 'COMMIT'"
)


@dataclass
class FailoverOutcome:
    """What the writer saw and what the new primary holds."""

    committed: list[int] = field(default_factory=list)
    """Rows whose COMMIT returned."""
    in_doubt: int | None = None
    """The row whose COMMIT raised."""
    commit_error: BaseException | None = None
    seconds_to_first_write: float = 0.0
    """From the kill to the first COMMIT that returned on the new primary."""
    seconds_to_promotion: float = 0.0
    """From the kill to the end of ``pg_ctl promote --wait`` (the server's share)."""
    first_write_port: int = 0
    """The server the writer reached after the failover."""
    new_primary_port: int = 0
    found: dict[int, int] = field(default_factory=dict)
    """Row number -> how many times it is on the new primary."""


def insert(session: Session, number: int) -> None:
    """One transaction: the row ``number``, committed."""
    session.query(f"INSERT INTO {TABLE} (n) VALUES (%s)", (number,))
    session.commit()


def run_failover(client: Client, pair: ReplicaSet, before: int, after: int) -> FailoverOutcome:
    """Commit ``before`` rows, fail over during the next COMMIT, commit ``after`` rows."""
    outcome = FailoverOutcome()
    params = connect_params(pair, target_session_attrs="read-write")
    admin_value(pair.primary, f"TRUNCATE {TABLE}", dbname=pair.primary.dbname)
    pair.make_synchronous()
    session = client.connect(**params)
    for number in range(1, before + 1):
        insert(session, number)
        outcome.committed.append(number)
    outcome.in_doubt = before + 1
    old = pair.primary
    old.set_synchronous_standbys("nobody")
    writer = threading.Thread(target=_commit_expecting_failure, args=(session, outcome))
    writer.start()
    wait_for(
        lambda: admin_value(old, STALLED_COMMIT, dbname=old.dbname) == 1, "a stalled COMMIT", old
    )
    killed_at = time.monotonic()
    pair.kill_primary()
    writer.join()
    session.close()
    new = pair.promote_standby()
    outcome.seconds_to_promotion = time.monotonic() - killed_at
    session = _reconnect(client, params, killed_at)
    outcome.first_write_port = server_port(session)
    outcome.new_primary_port = new.port
    for number in range(before + 2, before + 2 + after):
        insert(session, number)
        if number == before + 2:
            outcome.seconds_to_first_write = time.monotonic() - killed_at
        outcome.committed.append(number)
    session.close()
    outcome.found = _rows_on(new)
    pair.reseed(old)
    pair.make_asynchronous()
    return outcome


def _commit_expecting_failure(session: Session, outcome: FailoverOutcome) -> None:
    assert outcome.in_doubt is not None
    try:
        insert(session, outcome.in_doubt)
    except Exception as error:
        outcome.commit_error = error
    else:  # the COMMIT returned although it was never acknowledged: a committed row after all
        outcome.committed.append(outcome.in_doubt)
        outcome.in_doubt = None


def _reconnect(client: Client, params: dict[str, Any], since: float) -> Session:
    """Connect until a read-write server answers (the standby is being promoted meanwhile)."""
    while True:
        try:
            return client.connect(**params)
        except client.module.OperationalError:
            if time.monotonic() - since > RECONNECT_LIMIT:
                raise
            time.sleep(0.05)


def _rows_on(node: Node) -> dict[int, int]:
    """Row number -> copies of it in the table on ``node``."""
    connection = admin_connection(node, node.dbname)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT n, count(*) FROM {TABLE} GROUP BY n")
            return {int(n): int(count) for n, count in cursor.fetchall()}
    finally:
        connection.close()
