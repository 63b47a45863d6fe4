"""Stress: threads with their own purepg connections hammer a server with tiny shared buffers
(``shared_buffers=128kB``) with mixed reads and writes; no error, and the rows on the server are
exactly the committed ones.

The normal run is short (``STRESS_THREADS`` x ``STRESS_SECONDS``, default 4 x 3 s); set
``STRESS_SECONDS=600`` (and ``STRESS_THREADS``) for the long mode.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import purepg
import pytest

from tests.harness.cluster import Cluster
from tests.reliability import faults

STRESS_SECONDS = float(os.environ.get("STRESS_SECONDS", "3"))
STRESS_THREADS = int(os.environ.get("STRESS_THREADS", "4"))
SCRAM = "scram-sha-256"


@pytest.fixture(scope="module")
def small_cluster(pg_major: int) -> Iterator[Cluster]:
    """A dedicated server with the smallest shared buffers PostgreSQL accepts."""
    with Cluster(pg_major, settings={"shared_buffers": "128kB", "max_connections": "20"}) as c:
        yield c


class Worker:
    """One thread's work: inserts, updates, deletes, reads, rolled-back transactions; it keeps
    the set of ids it committed (with their counters)."""

    def __init__(self, index: int, params: dict[str, Any], deadline: float) -> None:
        self.index = index
        self.params = params
        self.deadline = deadline
        self.committed: dict[int, int] = {}
        self.statements = 0
        self.errors: list[BaseException] = []
        self.rng = random.Random(index)

    def run(self) -> None:
        try:
            conn = purepg.connect(**self.params)
            try:
                self._loop(conn)
            finally:
                conn.close()
        except BaseException as exc:
            self.errors.append(exc)

    def _loop(self, conn: Any) -> None:
        cursor = conn.cursor()
        next_id = self.index * 10_000_000
        while time.monotonic() < self.deadline:
            action = self.rng.random()
            if action < 0.4:  # a transaction of several inserts, committed
                batch = {}
                for _ in range(self.rng.randrange(1, 6)):
                    next_id += 1
                    batch[next_id] = 0
                    cursor.execute(
                        "INSERT INTO stress (id, owner, counter, pad) VALUES (%s, %s, 0, %s)",
                        [next_id, self.index, "x" * self.rng.randrange(0, 2000)],
                    )
                conn.commit()
                self.committed.update(batch)
            elif action < 0.55 and self.committed:  # an update of one of ours, committed
                row_id = self.rng.choice(list(self.committed))
                cursor.execute("UPDATE stress SET counter = counter + 1 WHERE id = %s", [row_id])
                conn.commit()
                self.committed[row_id] += 1
            elif action < 0.65:  # inserts rolled back
                next_id += 1
                cursor.execute(
                    "INSERT INTO stress (id, owner, counter) VALUES (%s, %s, -1)",
                    [next_id, self.index],
                )
                conn.rollback()
            elif action < 0.7 and self.committed:  # a delete, committed
                row_id = self.rng.choice(list(self.committed))
                cursor.execute("DELETE FROM stress WHERE id = %s", [row_id])
                conn.commit()
                del self.committed[row_id]
            else:  # reads: a scan through the tiny buffer pool, and our own rows
                cursor.execute(
                    "SELECT count(*), coalesce(sum(length(pad)), 0) FROM stress WHERE owner <> %s",
                    [self.index],
                )
                cursor.fetchall()
                cursor.execute(
                    "SELECT count(*) FROM stress WHERE owner = %s AND counter >= 0", [self.index]
                )
                assert cursor.fetchone()[0] == len(self.committed)
                conn.commit()
            self.statements += 1


def test_threads_with_mixed_reads_and_writes_keep_every_committed_row(small_cluster):
    faults.admin_query(
        small_cluster,
        "CREATE TABLE stress (id bigint PRIMARY KEY, owner int, counter int, pad text)",
    )
    faults.admin_query(small_cluster, "GRANT ALL ON stress TO PUBLIC")
    deadline = time.monotonic() + STRESS_SECONDS
    params = small_cluster.params(SCRAM)
    workers = [Worker(index, params, deadline) for index in range(STRESS_THREADS)]
    threads = [threading.Thread(target=worker.run, daemon=True) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(STRESS_SECONDS + 120)
    assert not any(thread.is_alive() for thread in threads), "a worker is stuck"
    errors = [error for worker in workers for error in worker.errors]
    assert errors == []
    expected = {}
    for worker in workers:
        expected.update(worker.committed)
    rows = faults.admin_query(small_cluster, "SELECT id, counter FROM stress")
    assert dict(rows) == expected
    assert sum(worker.statements for worker in workers) > 0
    print(
        f"stress: {STRESS_THREADS} threads x {STRESS_SECONDS}s, "
        f"{sum(w.statements for w in workers)} operations, {len(rows)} rows checked"
    )
