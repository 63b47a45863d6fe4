"""The main job, as a smoke run: start an embedded PostgreSQL, query it through the best driver.

``hatch run demo:run`` downloads (once) the PostgreSQL server binaries, starts a throw-away
cluster on 127.0.0.1 with TLS and SCRAM, connects through ``pgfacade.connect()`` (which picks the
static psycopg2 when it is importable, else purepg), runs a small transaction and prints what it
chose and what came back. Every process it starts is stopped before it exits.

Options: ``--pg MAJOR`` (default 18), ``--driver psycopg2|purepg`` to force a backend.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import Any


def run_demo(major: int, driver: str | None) -> int:
    """Start a cluster, run the demo queries through the facade, stop the cluster."""
    from tests.harness.cluster import Cluster

    print(f"Starting an embedded PostgreSQL {major} (binaries are cached after the first run)...")
    started = time.monotonic()
    with Cluster(major) as cluster:
        print(
            f"  PostgreSQL {cluster.version} on {cluster.host}:{cluster.port} "
            f"in {time.monotonic() - started:.1f}s"
        )
        params: dict[str, Any] = dict(cluster.params("scram-sha-256-plus"))
        if driver:
            params["driver"] = driver
        import pgfacade

        began = time.monotonic()
        conn = pgfacade.connect(**params)
        connect_ms = (time.monotonic() - began) * 1000
        info = pgfacade.driver_info()
        print(
            f"  backend: {info.get('backend')} ({info.get('reason')}), "
            f"connect + SCRAM-SHA-256-PLUS over verified TLS: {connect_ms:.1f} ms"
        )
        try:
            with conn, conn.cursor() as cur:
                cur.execute("CREATE TEMP TABLE demo (id serial PRIMARY KEY, note text)")
                cur.executemany(
                    "INSERT INTO demo (note) VALUES (%s)", [("héllo",), ("lambda",), ("world",)]
                )
                cur.execute(
                    "SELECT version(), current_user, "
                    "(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), "
                    "array_agg(note ORDER BY id) FROM demo"
                )
                version, user, ssl_used, notes = cur.fetchone()
        finally:
            conn.close()
        print(f"  server: {version.split(',')[0]}")
        print(f"  user: {user}, TLS: {ssl_used}, rows: {notes}")
    print("Cluster stopped. Demo finished.")
    return 0


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """Turn SIGTERM into KeyboardInterrupt, so the cluster's context manager stops it."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", type=int, default=18, help="PostgreSQL major version (13-18)")
    parser.add_argument("--driver", choices=["psycopg2", "purepg"], help="force a backend")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    return run_demo(args.pg, args.driver)


if __name__ == "__main__":
    sys.exit(main())
