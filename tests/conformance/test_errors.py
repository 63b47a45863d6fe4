"""Database errors: the DB-API class for each kind of failure, its SQLSTATE and message, and
the connection's state after it (aborted transaction, usable again once rolled back)."""

from __future__ import annotations

import pytest

from tests.conformance.drivers import PSYCOPG2
from tests.conformance.expectations import Differs, Expectation


def run(conn, sql: str, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description is not None else None


def error_of(driver, conn, sql: str) -> Exception:
    with pytest.raises(driver.module.Error) as caught:
        run(conn, sql)
    return caught.value


@pytest.fixture
def unique_table(conn):
    run(conn, "CREATE TEMPORARY TABLE uniq (n int4 PRIMARY KEY)")
    run(conn, "INSERT INTO uniq VALUES (1)")
    return "uniq"


def test_unique_violation_raises_integrity_error(driver, conn, unique_table):
    with pytest.raises(driver.module.IntegrityError):
        run(conn, "INSERT INTO uniq VALUES (1)")


def test_unique_violation_has_sqlstate_23505(driver, conn, unique_table):
    exc = error_of(driver, conn, "INSERT INTO uniq VALUES (1)")
    assert driver.sqlstate(exc) == "23505"


def test_unique_violation_message_names_the_constraint(driver, conn, unique_table):
    exc = error_of(driver, conn, "INSERT INTO uniq VALUES (1)")
    assert "uniq_pkey" in str(exc)


def test_not_null_violation_raises_integrity_error(driver, conn):
    run(conn, "CREATE TEMPORARY TABLE required (n int4 NOT NULL)")
    with pytest.raises(driver.module.IntegrityError):
        run(conn, "INSERT INTO required VALUES (NULL)")


def test_syntax_error_raises_programming_error(driver, conn):
    with pytest.raises(driver.module.ProgrammingError):
        run(conn, "SELEC 1")


def test_syntax_error_has_sqlstate_42601(driver, conn):
    assert driver.sqlstate(error_of(driver, conn, "SELEC 1")) == "42601"


def test_undefined_table_raises_programming_error_with_sqlstate_42p01(driver, conn):
    with pytest.raises(driver.module.ProgrammingError) as caught:
        run(conn, "SELECT * FROM no_such_table")
    assert driver.sqlstate(caught.value) == "42P01"


def test_division_by_zero_raises_data_error(driver, conn):
    with pytest.raises(driver.module.DataError):
        run(conn, "SELECT 1 / 0")


def test_division_by_zero_has_sqlstate_22012_and_says_so(driver, conn):
    exc = error_of(driver, conn, "SELECT 1 / 0")
    assert (driver.sqlstate(exc), "division by zero" in str(exc)) == ("22012", True)


def test_invalid_input_raises_data_error(driver, conn):
    with pytest.raises(driver.module.DataError):
        run(conn, "SELECT 'not a number'::int4")


def test_raised_exception_carries_the_sqlstate_chosen_by_the_server(driver, conn):
    sql = "DO $$ BEGIN RAISE EXCEPTION 'custom' USING ERRCODE = 'P0042'; END $$"
    exc = error_of(driver, conn, sql)
    assert driver.sqlstate(exc) == "P0042"


SQLSTATE_ATTRIBUTES = Expectation(
    None,
    ("23505", "23505"),
    {
        PSYCOPG2: Differs(
            "psycopg2 names it pgcode only (and diag.sqlstate); sqlstate is purepg's name",
            expected=("23505", None),
        )
    },
)


def test_sqlstate_is_available_as_pgcode_and_sqlstate(driver, conn, unique_table):
    exc = error_of(driver, conn, "INSERT INTO uniq VALUES (1)")
    _, expected = SQLSTATE_ATTRIBUTES.for_driver(driver.name)
    assert (getattr(exc, "pgcode", None), getattr(exc, "sqlstate", None)) == expected


def test_statement_after_an_error_raises_in_failed_transaction(driver, conn):
    error_of(driver, conn, "SELECT 1 / 0")
    with pytest.raises(driver.module.InternalError) as caught:
        run(conn, "SELECT 1")
    assert driver.sqlstate(caught.value) == "25P02"
    assert "current transaction is aborted" in str(caught.value)


def test_connection_is_usable_after_an_error_once_rolled_back(driver, conn):
    error_of(driver, conn, "SELECT 1 / 0")
    conn.rollback()
    assert run(conn, "SELECT 1") == [(1,)]


def test_autocommit_connection_is_usable_right_after_an_error(driver, conn):
    conn.autocommit = True
    error_of(driver, conn, "SELECT 1 / 0")
    assert run(conn, "SELECT 1") == [(1,)]


TOO_FEW_PARAMETERS = Expectation(
    None,
    "ProgrammingError",
    {
        PSYCOPG2: Differs(
            "psycopg2 formats the query with Python's % operator: IndexError, not a DB-API error",
            expected=IndexError,
        )
    },
)
TOO_MANY_PARAMETERS = Expectation(
    None,
    "ProgrammingError",
    {
        PSYCOPG2: Differs(
            "psycopg2 formats the query with Python's % operator: TypeError, not a DB-API error",
            expected=TypeError,
        )
    },
)

MISSING_NAMED_PARAMETER = Expectation(
    None,
    "ProgrammingError",
    {
        PSYCOPG2: Differs(
            "psycopg2 formats the query with Python's % operator: KeyError, not a DB-API error",
            expected=KeyError,
        )
    },
)


def expected_exception(driver, expectation: Expectation) -> type[BaseException]:
    """A DB-API class (named by the canonical expectation) or a driver's own exception class."""
    _, expected = expectation.for_driver(driver.name)
    return getattr(driver.module, expected) if isinstance(expected, str) else expected


def test_too_few_parameters_raise_programming_error_and_leave_the_connection_usable(driver, conn):
    with pytest.raises(expected_exception(driver, TOO_FEW_PARAMETERS)):
        run(conn, "SELECT %s, %s", (1,))
    assert run(conn, "SELECT 1") == [(1,)]


def test_too_many_parameters_raise_programming_error_and_leave_the_connection_usable(driver, conn):
    with pytest.raises(expected_exception(driver, TOO_MANY_PARAMETERS)):
        run(conn, "SELECT %s", (1, 2))
    assert run(conn, "SELECT 1") == [(1,)]


def test_missing_named_parameter_raises_programming_error(driver, conn):
    with pytest.raises(expected_exception(driver, MISSING_NAMED_PARAMETER)):
        run(conn, "SELECT %(a)s, %(b)s", {"a": 1})
