"""Both backends return the same Python types and raise the same exception classes."""

from __future__ import annotations

import datetime
import ipaddress
import uuid
from decimal import Decimal
from typing import Any

import pgfacade
import pytest
from pgfacade import errors
from purepg.types import Interval, Json, Range

from tests.harness import auth_modes


def fetch_value(connection, sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid",
            uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        ),
        (
            "SELECT ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid]",
            [uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")],
        ),
        ("SELECT '10.1.2.3/8'::inet", ipaddress.ip_interface("10.1.2.3/8")),
        ("SELECT '10.0.0.0/8'::cidr", ipaddress.ip_network("10.0.0.0/8")),
        ("SELECT ARRAY['::1'::inet]", [ipaddress.ip_interface("::1/128")]),
        ("SELECT '10.1.2.3/32'::inet", ipaddress.ip_interface("10.1.2.3/32")),
        ("SELECT '[1,5)'::int4range", Range(1, 5)),
        ("SELECT '(,5]'::numrange", Range(None, Decimal(5), "(]")),
        ("SELECT 'empty'::int8range", Range(empty=True)),
        (
            "SELECT '[2024-01-01,2024-02-01)'::daterange",
            Range(datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)),
        ),
        ("SELECT ARRAY['[1,2)'::int4range]", [Range(1, 2)]),
        ("SELECT '{\"a\": [1, 2]}'::jsonb", {"a": [1, 2]}),
        ("SELECT '[1, \"x\"]'::json", [1, "x"]),
        ("SELECT '1 day 02:00:00'::interval", datetime.timedelta(days=1, hours=2)),
        (
            "SELECT '-1 days +00:00:00.5'::interval",
            datetime.timedelta(days=-1, microseconds=500000),
        ),
        ("SELECT '1 year 2 mons 3 days 04:05:06.000007'::interval", Interval(14, 3, 14706000007)),
        ("SELECT '-1 mons'::interval", Interval(-1, 0, 0)),
        (
            "SELECT ARRAY['1 mon'::interval, '1 hour'::interval]",
            [Interval(1, 0, 0), datetime.timedelta(hours=1)],
        ),
        ("SELECT '\\x00ff'::bytea", b"\x00\xff"),
        ("SELECT 'a=>1, b=>NULL'::hstore", {"a": "1", "b": None}),
        ("SELECT ARRAY['a=>1'::hstore]", [{"a": "1"}]),
    ],
)
def test_values_come_back_as_purepg_types(connect, sql, expected) -> None:
    value = fetch_value(connect(), sql)
    assert value == expected
    assert type(value) is type(expected)


def test_multiranges_are_lists_of_ranges(connect, pg_cluster) -> None:
    if pg_cluster.major < 14:
        pytest.skip("multiranges exist from PostgreSQL 14")
    value = fetch_value(connect(), "SELECT '{[1,3), [5,7)}'::int4multirange")
    assert value == [Range(1, 3), Range(5, 7)]


@pytest.mark.parametrize(
    ("sql", "value"),
    [
        ("SELECT %s::uuid", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
        ("SELECT %s", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
        ("SELECT %s", ipaddress.ip_interface("192.168.0.1/24")),
        ("SELECT %s", ipaddress.ip_network("192.168.0.0/24")),
        ("SELECT %s::int4range", Range(1, 10)),
        ("SELECT %s", Range(datetime.date(2024, 1, 1), None)),
        ("SELECT %s", {"nested": {"list": [1, None, "x"]}}),
        ("SELECT %s", Interval(14, -3, 5_000_001)),
        ("SELECT %s", datetime.timedelta(days=2, seconds=3)),
        ("SELECT %s", b"\x00\x01binary"),
    ],
)
def test_values_are_sent_and_read_back_unchanged(connect, sql, value) -> None:
    assert fetch_value(connect(), sql, (value,)) == value


def test_json_wrapper_is_sent_as_json(connect) -> None:
    assert fetch_value(connect(), "SELECT pg_typeof(%s)::text", (Json([1, 2]),)) == "json"


def test_a_dict_is_sent_as_jsonb(connect) -> None:
    assert fetch_value(connect(), "SELECT pg_typeof(%s)::text", ({"a": 1},)) == "jsonb"


def test_a_database_without_hstore_still_connects(backend, pg_cluster, admin) -> None:
    with admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS pgfacade_no_hstore")
        cursor.execute("CREATE DATABASE pgfacade_no_hstore")
    try:
        params: dict[str, Any] = pg_cluster.params("scram-sha-256", dbname="pgfacade_no_hstore")
        connection = pgfacade.connect(driver=backend, **params)
        assert fetch_value(connection, "SELECT 1") == 1
        connection.close()
    finally:
        with admin.cursor() as cursor:
            cursor.execute("DROP DATABASE pgfacade_no_hstore")


def test_server_errors_are_purepg_sqlstate_classes_with_diagnostics(connect) -> None:
    connection = connect()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE t (id int PRIMARY KEY)")
        cursor.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(errors.UniqueViolation) as caught:
            cursor.execute("INSERT INTO t VALUES (1)")
    error = caught.value
    assert isinstance(error, pgfacade.IntegrityError)
    assert errors.UniqueViolation is errors.lookup("23505")
    assert error.sqlstate == error.pgcode == "23505"
    assert "duplicate key" in error.message
    assert error.detail == "Key (id)=(1) already exists."


def test_psycopg2_errors_are_chained_as_the_cause(params, psycopg2_module) -> None:
    connection = pgfacade.connect(driver="psycopg2", **params)
    try:
        with pytest.raises(errors.DivisionByZero) as caught, connection.cursor() as cursor:
            cursor.execute("SELECT 1/0")
        assert isinstance(caught.value.__cause__, psycopg2_module.errors.DivisionByZero)
    finally:
        connection.close()


def test_hint_is_carried(connect) -> None:
    with pytest.raises(errors.UndefinedFunction) as caught, connect().cursor() as cursor:
        cursor.execute("SELECT no_such_function(1)")
    assert caught.value.hint is not None


def test_wrong_parameter_count_is_a_programming_error(connect) -> None:
    with pytest.raises(pgfacade.ProgrammingError), connect().cursor() as cursor:
        cursor.execute("SELECT %s", (1, 2))


def test_missing_named_parameter_is_a_programming_error(connect) -> None:
    with pytest.raises(pgfacade.ProgrammingError), connect().cursor() as cursor:
        cursor.execute("SELECT %(a)s", {"b": 1})


def test_commit_failure_is_translated(connect) -> None:
    connection = connect()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE d (id int UNIQUE DEFERRABLE INITIALLY DEFERRED)"
            " ON COMMIT PRESERVE ROWS"
        )
        connection.commit()
        cursor.execute("INSERT INTO d VALUES (1), (1)")
    with pytest.raises(errors.UniqueViolation):
        connection.commit()


def test_with_connection_commits_and_does_not_close(connect) -> None:
    connection = connect()
    with connection, connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE w (x int) ON COMMIT PRESERVE ROWS")
        cursor.execute("INSERT INTO w VALUES (1)")
    assert not connection.closed
    connection.rollback()
    assert fetch_value(connection, "SELECT count(*) FROM w") == 1


def test_with_connection_rolls_back_on_error(connect) -> None:
    connection = connect()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE r (x int) ON COMMIT PRESERVE ROWS")
    connection.commit()
    with pytest.raises(RuntimeError), connection:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO r VALUES (1)")
        raise RuntimeError("handler failed")
    assert fetch_value(connection, "SELECT count(*) FROM r") == 0


def test_autocommit_runs_each_statement_in_its_own_transaction(connect, params) -> None:
    connection = connect()
    connection.autocommit = True
    fetch_value(connection, "CREATE TABLE IF NOT EXISTS pgfacade_auto (x int); SELECT 1")
    try:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO pgfacade_auto VALUES (1)")
        other = connect()
        assert fetch_value(other, "SELECT count(*) FROM pgfacade_auto") == 1
        other.close()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE pgfacade_auto")


def test_wrong_password_error_never_shows_the_password(backend, params) -> None:
    wrong: dict[str, Any] = auth_modes.with_wrong_password(params)
    with pytest.raises(pgfacade.OperationalError) as caught:
        pgfacade.connect(driver=backend, **wrong)
    assert caught.value.sqlstate == "28P01"
    chain = [caught.value, caught.value.__cause__]
    for error in chain:
        if error is not None:
            assert wrong["password"] not in str(error)
            assert wrong["password"] not in repr(error)


def test_a_malformed_dsn_error_never_shows_the_password(backend) -> None:
    with pytest.raises(pgfacade.Error) as caught:
        pgfacade.connect("host=h password=top secret-value", driver=backend)
    for error in (caught.value, caught.value.__cause__):
        if error is not None:
            assert "secret-value" not in str(error)


def test_connection_repr_never_shows_the_password(connect, params) -> None:
    assert params["password"] not in repr(connect())


def test_connection_and_cursor_are_the_backend_dbapi_objects(connect) -> None:
    connection = connect()
    cursor = connection.cursor()
    for name in ("execute", "executemany", "fetchone", "fetchmany", "fetchall", "close"):
        assert callable(getattr(cursor, name))
    for name in ("commit", "rollback", "cursor", "close", "cancel"):
        assert callable(getattr(connection, name))
    assert connection.Error is pgfacade.Error
    cursor.close()


def test_backend_methods_on_a_closed_connection_raise_the_facade_interface_error(connect) -> None:
    connection = connect()
    connection.close()
    with pytest.raises(errors.InterfaceError):
        connection.get_backend_pid()
    with pytest.raises(errors.InterfaceError):
        connection.cursor()


def test_a_socket_timeout_is_accepted_by_both_backends(connect) -> None:
    connection = connect(socket_timeout=30)
    assert fetch_value(connection, "SELECT 1") == 1


def test_psycopg2_socket_timeout_becomes_tcp_user_timeout_and_keepalives(
    params, psycopg2_module
) -> None:
    connection = pgfacade.connect(driver="psycopg2", socket_timeout=12, **params)
    try:
        used = connection.get_dsn_parameters()
        assert used["tcp_user_timeout"] == "12000"
        assert used["keepalives"] == "1"
        assert used["keepalives_idle"] == "6"
    finally:
        connection.close()


def test_an_explicit_libpq_keepalive_wins_over_the_socket_timeout_mapping(
    params, psycopg2_module
) -> None:
    connection = pgfacade.connect(
        driver="psycopg2", socket_timeout=12, keepalives_idle=100, **params
    )
    try:
        assert connection.get_dsn_parameters()["keepalives_idle"] == "100"
    finally:
        connection.close()
