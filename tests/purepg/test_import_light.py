"""``purepg.errors`` and ``purepg.types`` (what pgfacade's psycopg2 backend uses) do not import
the driver: the package ``__init__`` loads ``connect``, ``Connection``, ``Cursor`` lazily."""

from __future__ import annotations

import json
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


def test_connecting_with_scram_loads_no_third_party_or_metadata_modules(pg_cluster):
    """A cold start (AWS Lambda) pays for every import: SCRAM needs only hashlib, hmac, base64.

    With an ASCII password not even purepg's SASLprep is loaded.
    """
    heavy = ("scramp", "asn1crypto", "importlib.metadata", "purepg.protocol.saslprep", "gssapi")
    code = (
        "import json, sys, purepg\n"
        "purepg.connect(**json.loads(sys.argv[1])).close()\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
    )
    params = json.dumps(pg_cluster.params("scram-sha-256"))
    result = subprocess.run(
        [sys.executable, "-c", code, params], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_tcp_connect_loads_neither_dataclasses_nor_the_idna_codec(pg_cluster):
    """``dataclasses`` (it pulls in inspect, ast, dis) and ``encodings.idna`` (stringprep,
    unicodedata) cost a cold start milliseconds: an ASCII host name needs neither."""
    heavy = ("dataclasses", "inspect", "encodings.idna", "stringprep", "ssl")
    code = (
        "import json, sys, purepg\n"
        "purepg.connect(**json.loads(sys.argv[1])).close()\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
    )
    params = {**pg_cluster.params("scram-sha-256"), "host": "localhost"}
    result = subprocess.run(
        [sys.executable, "-S", "-c", code, json.dumps(params)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": ":".join(sys.path)},
    )
    assert result.stdout.strip() == "[]"
