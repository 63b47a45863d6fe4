"""The facade adds (almost) nothing over its driver: light imports, no extra round trip per
connect, values psycopg2 already returns left alone."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from typing import Any

import pgfacade
import pytest

pytest.importorskip("psycopg2", reason="psycopg2 is a CPython C extension: PyPy cannot load it")
import psycopg2
import psycopg2.extensions
from psycopg2.extensions import TRANSACTION_STATUS_IDLE


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


def test_connecting_and_querying_over_psycopg2_imports_only_a_few_pgfacade_modules(
    params: dict[str, str],
) -> None:
    loaded = modules_loaded_by(
        "import psycopg2",
        f"""
        import pgfacade
        connection = pgfacade.connect(driver='psycopg2', **{params!r})
        cursor = connection.cursor()
        cursor.execute("SELECT 1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::text")
        cursor.fetchall()
        connection.close()
        """,
    )
    facade_modules = {name for name in loaded if name.startswith("pgfacade")}
    assert loaded - facade_modules <= {"__future__"}  # no typing, uuid, ipaddress, purepg...
    assert len(facade_modules) <= 6


def test_a_failure_over_psycopg2_imports_the_purepg_exception_classes(
    params: dict[str, str],
) -> None:
    result = run_python(
        f"""
        import pgfacade, psycopg2
        connection = pgfacade.connect(driver='psycopg2', **{params!r})
        try:
            connection.cursor().execute("SELECT 1/0")
        except Exception as exc:
            from purepg import errors
            print(type(exc) is errors.DivisionByZero, connection.Error is errors.Error)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


@pytest.mark.parametrize("backend", ["psycopg2", "purepg"])
def test_connecting_sends_no_query_of_its_own(params: dict[str, str], backend: str) -> None:
    result = run_python(
        f"""
        import pgfacade, psycopg2
        connection = pgfacade.connect(driver={backend!r}, **{params!r})
        pid = connection.get_backend_pid()
        observer = psycopg2.connect(**{params!r})
        cursor = observer.cursor()
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,))
        print(repr(cursor.fetchone()[0]))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "''"  # the last statement the server ran for it: none


def test_a_uuid_fetched_before_the_application_imported_uuid_can_be_sent_back(
    params: dict[str, str],
) -> None:
    result = run_python(
        f"""
        import pgfacade
        connection = pgfacade.connect(driver='psycopg2', **{params!r})
        cursor = connection.cursor()
        cursor.execute("SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid")
        value = cursor.fetchone()[0]
        cursor.execute("SELECT %s, pg_typeof(%s)::text", (value, value))
        print(cursor.fetchone())
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("(UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), 'uuid')")


def test_values_of_modules_imported_after_connecting_are_sent_with_their_types(
    params: dict[str, str],
) -> None:
    result = run_python(
        f"""
        import pgfacade
        connection = pgfacade.connect(driver='psycopg2', **{params!r})
        import ipaddress, uuid
        from purepg.types import Range
        cursor = connection.cursor()
        values = (
            uuid.UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
            ipaddress.ip_interface('10.0.0.1/8'),
            Range(1, 5),
        )
        cursor.execute("SELECT pg_typeof(%s)::text, pg_typeof(%s)::text, %s::int4range", values)
        print(cursor.fetchone())
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('uuid', 'inet', Range(1, 5, '[)'))"


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


def test_hstore_is_looked_up_once_per_database_by_the_first_type_that_is_not_built_in(
    pg_cluster: Any, admin: Any, params: dict[str, Any]
) -> None:
    name = f"pgfacade_hstore_later_{uuid.uuid4().hex[:8]}"  # not looked up in this process
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        target = {**params, "dbname": name}
        first = pgfacade.connect(driver="psycopg2", **target)
        with first.cursor() as cursor:
            cursor.execute("SELECT 'green'::text")  # built-in types only: nothing looked up
            create_extension(pg_cluster, name)
            cursor.execute("SELECT 'a=>1'::hstore")  # not a built-in type: looked up now
            assert cursor.fetchone()[0] == {"a": "1"}
        first.close()
        drop_and_create_extension(pg_cluster, name)  # new OIDs: this process keeps the old
        second = pgfacade.connect(driver="psycopg2", **target)
        with second.cursor() as cursor:
            cursor.execute("SELECT 'a=>1'::hstore")
            value = cursor.fetchone()[0]
        second.close()
        assert value == '"a"=>"1"'  # psycopg2's text: a new process would see the extension
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")


def create_extension(pg_cluster: Any, dbname: str) -> None:
    run_as_admin(pg_cluster, dbname, "CREATE EXTENSION hstore")


def drop_and_create_extension(pg_cluster: Any, dbname: str) -> None:
    run_as_admin(pg_cluster, dbname, "DROP EXTENSION hstore", "CREATE EXTENSION hstore")


def run_as_admin(pg_cluster: Any, dbname: str, *statements: str) -> None:
    connection = psycopg2.connect(**{**pg_cluster.admin_params(), "dbname": dbname})
    connection.autocommit = True
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    connection.close()


@pytest.fixture
def fresh_hstore_database(pg_cluster: Any, admin: Any, params: dict[str, Any]) -> Iterator[Any]:
    """A facade psycopg2 connection to a new database with hstore, unseen by this process."""
    name = f"pgfacade_hstore_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    create_extension(pg_cluster, name)
    connection = pgfacade.connect(driver="psycopg2", **{**params, "dbname": name})
    yield connection
    connection.close()
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")


HSTORE_ROWS = "SELECT 'a=>1'::hstore, 2, ARRAY['b=>NULL'::hstore] FROM generate_series(1, 3)"
EXPECTED_ROW = ({"a": "1"}, 2, [{"b": None}])


@pytest.mark.parametrize(
    "fetch",
    [
        pytest.param(lambda cursor: [cursor.fetchone() for _ in range(3)], id="fetchone"),
        pytest.param(lambda cursor: cursor.fetchmany(2) + cursor.fetchmany(), id="fetchmany"),
        pytest.param(lambda cursor: cursor.fetchall(), id="fetchall"),
        pytest.param(list, id="iteration"),
    ],
)
def test_hstore_is_a_dict_in_the_result_that_first_shows_it(
    fresh_hstore_database: Any, fetch: Any
) -> None:
    with fresh_hstore_database.cursor() as cursor:
        cursor.arraysize = 1
        cursor.execute(HSTORE_ROWS)
        rows = fetch(cursor)
        assert rows == [EXPECTED_ROW] * 3
        assert cursor.fetchone() is None
        cursor.execute("SELECT 1")
        assert cursor.fetchall() == [(1,)]  # the next result has nothing left to convert


def test_hstore_is_a_dict_in_a_named_cursor_that_first_shows_it(
    fresh_hstore_database: Any,
) -> None:
    with fresh_hstore_database.cursor("stream") as cursor:
        cursor.execute(HSTORE_ROWS)
        assert cursor.fetchall() == [EXPECTED_ROW] * 3


def test_user_defined_types_other_than_hstore_stay_text(
    pg_cluster: Any, fresh_hstore_database: Any
) -> None:
    dbname = fresh_hstore_database.info.dbname
    run_as_admin(pg_cluster, dbname, "CREATE TYPE mood AS ENUM ('happy')")
    with fresh_hstore_database.cursor() as cursor:
        cursor.execute("SELECT 'happy'::mood, 'a=>1'::hstore")
        assert cursor.fetchone() == ("happy", {"a": "1"})


def test_a_cursor_of_another_factory_gets_hstore_as_a_dict_without_opening_a_transaction(
    fresh_hstore_database: Any,
) -> None:
    with fresh_hstore_database.cursor(cursor_factory=psycopg2.extensions.cursor) as cursor:
        assert fresh_hstore_database.info.transaction_status == TRANSACTION_STATUS_IDLE
        cursor.execute("SELECT 'a=>1'::hstore")
        assert cursor.fetchone() == ({"a": "1"},)


def test_a_cursor_factory_the_application_set_is_kept_once_hstore_is_settled(
    fresh_hstore_database: Any,
) -> None:
    fresh_hstore_database.cursor_factory = psycopg2.extensions.cursor
    with fresh_hstore_database.cursor() as cursor:
        cursor.execute("SELECT 'a=>1'::hstore")
        assert cursor.fetchone() == ({"a": "1"},)
    assert fresh_hstore_database.cursor_factory is psycopg2.extensions.cursor
