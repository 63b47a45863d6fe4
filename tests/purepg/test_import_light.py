"""``purepg.errors`` and ``purepg.types`` (what pgfacade's psycopg2 backend uses) do not import
the driver: the package ``__init__`` loads ``connect``, ``Connection``, ``Cursor`` lazily."""

from __future__ import annotations

import subprocess
import sys

import purepg

DRIVER_MODULES = ("purepg.connection", "purepg.protocol.machine", "socket", "ssl")


def test_importing_pgfacade_errors_and_types_does_not_import_the_driver():
    code = (
        "import sys, pgfacade, purepg.errors, purepg.types\n"
        f"print([m for m in {DRIVER_MODULES!r} if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_driver_names_still_resolve_on_the_package():
    from purepg.connection import Connection, connect
    from purepg.cursor import Cursor

    assert purepg.connect is connect
    assert purepg.Connection is Connection
    assert purepg.Cursor is Cursor
    assert purepg.ISOLATION_LEVEL_SERIALIZABLE == 3
    assert "connect" in dir(purepg)
