"""The superuser connection tests use as a tool (setup, pg_terminate_backend): psycopg2, or
purepg where psycopg2 cannot load (PyPy: psycopg2 is a CPython C extension)."""

from __future__ import annotations

from typing import Any


def admin_connect(params: dict[str, str]) -> Any:
    """A connection with ``params`` (a cluster's ``admin_params()``)."""
    driver: Any
    try:
        import psycopg2 as driver
    except ImportError:
        import purepg as driver
    return driver.connect(**params)
