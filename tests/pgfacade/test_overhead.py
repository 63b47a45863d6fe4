"""The facade adds (almost) nothing over its driver: light imports, no extra round trip per
connect, values psycopg2 already returns left alone."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
import uuid
from typing import Any

import pgfacade
import psycopg2


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (sys.modules starts clean)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
    )


def modules_loaded_by(setup: str, code: str) -> set[str]:
    """The modules ``code`` imports beyond those ``setup`` imported first."""
    result = run_python(
        f"""
        import json, sys
        {setup}
        before = set(sys.modules)
        {code}
        print(json.dumps(sorted(set(sys.modules) - before)))
        """
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_importing_pgfacade_imports_only_pgfacade() -> None:
    loaded = modules_loaded_by("", "import pgfacade")
    assert loaded <= {"pgfacade", "__future__"}


def test_connecting_over_psycopg2_imports_no_logging_aws_or_heavy_purepg_module(
    params: dict[str, str],
) -> None:
    loaded = modules_loaded_by(
        "import psycopg2",
        f"import pgfacade; pgfacade.connect(driver='psycopg2', **{params!r}).close()",
    )
    unexpected = {
        "logging",
        "dataclasses",
        "inspect",
        "pathlib",
        "psycopg2.extras",
        "pgfacade.aws",
        "pgfacade.lambda_runtime",
        "purepg.conninfo",
        "purepg.connection",
        "purepg.codecs.registry",
    }
    assert loaded & unexpected == set()
    assert "purepg.errors" in loaded  # the one exception hierarchy


def test_a_uuid_value_is_a_complete_uuid(connect: Any) -> None:
    text = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    with connect().cursor() as cursor:
        cursor.execute(f"SELECT '{text}'::uuid")
        value = cursor.fetchone()[0]
    expected = uuid.UUID(text)
    assert type(value) is uuid.UUID
    assert (value, hash(value), str(value), value.version) == (
        expected,
        hash(expected),
        text,
        expected.version,
    )
    assert value.is_safe is uuid.SafeUUID.unknown
    assert pickle.loads(pickle.dumps(value)) == expected


def test_hstore_is_looked_up_once_per_database_in_a_process(
    pg_cluster: Any, admin: Any, params: dict[str, Any]
) -> None:
    with admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS pgfacade_hstore_later")
        cursor.execute("CREATE DATABASE pgfacade_hstore_later")
    try:
        target = {**params, "dbname": "pgfacade_hstore_later"}
        pgfacade.connect(driver="psycopg2", **target).close()  # no hstore: remembered
        creator = psycopg2.connect(**{**pg_cluster.admin_params(), "dbname": target["dbname"]})
        creator.autocommit = True
        with creator.cursor() as cursor:
            cursor.execute("CREATE EXTENSION hstore")
        creator.close()
        connection = pgfacade.connect(driver="psycopg2", **target)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 'a=>1'::hstore")
            value = cursor.fetchone()[0]
        connection.close()
        assert value == '"a"=>"1"'  # psycopg2's text: a new process would see the extension
    finally:
        with admin.cursor() as cursor:
            cursor.execute("DROP DATABASE pgfacade_hstore_later WITH (FORCE)")
