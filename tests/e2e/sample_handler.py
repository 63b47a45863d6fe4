"""The sample Lambda handler of the end-to-end tests and the demo (deployed as
``sample_handler.handler``).

Settings come from the function's environment (PG* variables; ``DB_SECRET_ID`` for an RDS secret
in Secrets Manager). Each invocation takes the reused connection from
``pgfacade.lambda_connection(context)``, records itself in a table inside one transaction,
optionally sleeps in the database (``{"sleep": seconds}``), and returns JSON describing the
backend and the process it ran in.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import pgfacade

_LIBRARY_NAMES = ("libpq", "libssl", "libcrypto")


def _loaded_libraries() -> list[str]:
    """Mapped files of libpq / libssl / libcrypto (any copy), from /proc/self/maps."""
    found = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if any(name in os.path.basename(path) for name in _LIBRARY_NAMES):
                    found.add(path)
    except OSError:
        return []
    return sorted(found)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run one transaction through pgfacade and describe what ran it."""
    started = time.perf_counter()
    options: dict[str, Any] = {}
    if os.environ.get("DB_SECRET_ID"):
        options["secret_id"] = os.environ["DB_SECRET_ID"]
    conn = pgfacade.lambda_connection(context, **options)
    with conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS lambda_invocations "
            "(request_id text PRIMARY KEY, driver text, at timestamptz NOT NULL DEFAULT now())"
        )
        info = pgfacade.driver_info()
        cur.execute(
            "INSERT INTO lambda_invocations (request_id, driver) VALUES (%s, %s)",
            (context.aws_request_id, info["driver"]),
        )
        if event.get("sleep"):
            cur.execute("SELECT pg_sleep(%s)", (float(event["sleep"]),))
        cur.execute(
            "SELECT pg_backend_pid(), current_user, current_setting('server_version'), "
            "(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), "
            "(SELECT count(*) FROM lambda_invocations)"
        )
        backend_pid, user, server_version, ssl_used, recorded = cur.fetchone()
    return {
        "driver": info["driver"],
        "reason": info["reason"],
        "driver_file": info.get("file"),
        "libpq_version": info.get("libpq_runtime_version"),
        "import_errors": info.get("import_errors", {}),
        "pgfacade_file": pgfacade.__file__,
        "backend_pid": backend_pid,
        "user": user,
        "server_version": server_version,
        "ssl": ssl_used,
        "invocations_recorded": recorded,
        "sys_path": sys.path,
        "loaded_libraries": _loaded_libraries(),
        "remaining_ms": context.get_remaining_time_in_millis(),
        "handler_ms": (time.perf_counter() - started) * 1000.0,
    }
