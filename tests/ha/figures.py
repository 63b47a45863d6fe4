"""Failover figures per PostgreSQL major and driver: ``python -m tests.ha.figures [13,14,...]``.

For each client, one staged failover (``tests.ha.writer``): seconds from the kill to the end of
the promotion and to the first COMMIT that returned on the new primary, rows whose COMMIT
returned, how many of them the new primary holds, and whether the in-doubt row is there.
"""

from __future__ import annotations

import sys

from tests.conformance.drivers import DRIVER_NAMES
from tests.ha.clients import Client
from tests.ha.conftest import TABLE
from tests.ha.writer import run_failover
from tests.harness.binaries import SUPPORTED_MAJORS
from tests.harness.replication import ReplicaSet, admin_value

BEFORE = 200
AFTER = 50


def main(argv: list[str]) -> None:
    """Print one line per major and client."""
    majors = [int(part) for part in argv[0].split(",")] if argv else list(SUPPORTED_MAJORS)
    print("pg  client             promoted_s  first_write_s  committed  found  in_doubt_found")
    for major in majors:
        pair = ReplicaSet(major)
        pair.start()
        try:
            create = f"CREATE TABLE {TABLE} (n integer NOT NULL); GRANT ALL ON {TABLE} TO PUBLIC"
            admin_value(pair.primary, create, dbname=pair.primary.dbname)
            for name in DRIVER_NAMES:
                client = Client(name)
                outcome = run_failover(client, pair, BEFORE, AFTER)
                found = sum(outcome.found.get(number, 0) for number in outcome.committed)
                doubt = outcome.found.get(outcome.in_doubt, 0) if outcome.in_doubt else "-"
                print(
                    f"{major:<3} {name:<18} {outcome.seconds_to_promotion:10.3f} "
                    f"{outcome.seconds_to_first_write:14.3f} {len(outcome.committed):10d} "
                    f"{found:6d}  {doubt}",
                    flush=True,
                )
        finally:
            pair.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
