"""Cursor semantics of DB-API 2.0: description, rowcount, fetch*, arraysize, iteration, close,
executemany and callproc."""

from __future__ import annotations

import pytest

from tests.conformance.plugin import ADD_FUNCTION

FIVE_ROWS = "SELECT g, 'row ' || g FROM generate_series(1, 5) AS g ORDER BY g"


@pytest.fixture
def cur(conn):
    with conn.cursor() as cursor:
        yield cursor


@pytest.fixture
def numbers(cur):
    """A temporary table ``numbers(n int4, label text)`` with rows 1..5."""
    cur.execute("CREATE TEMPORARY TABLE numbers (n int4, label text)")
    cur.execute("INSERT INTO numbers SELECT g, 'n' || g FROM generate_series(1, 5) AS g")
    return "numbers"


def test_description_is_none_before_execute(cur):
    assert cur.description is None


def test_description_names_the_columns_of_a_select(cur):
    cur.execute("SELECT 1 AS first, 'x'::text AS second")
    assert [column[0] for column in cur.description] == ["first", "second"]


def test_description_has_seven_items_per_column(cur):
    cur.execute("SELECT 1 AS first, 'x'::text AS second")
    assert [len(column) for column in cur.description] == [7, 7]


def test_description_type_codes_are_the_column_type_oids(cur):
    cur.execute("SELECT 1::int4, 'x'::text, true")
    assert [column[1] for column in cur.description] == [23, 25, 16]


def test_description_is_none_after_a_statement_without_result(cur):
    cur.execute("SELECT 1")
    cur.execute("CREATE TEMPORARY TABLE nothing (n int4)")
    assert cur.description is None


def test_rowcount_is_minus_one_before_execute(cur):
    assert cur.rowcount == -1


def test_rowcount_is_the_number_of_inserted_rows(cur):
    cur.execute("CREATE TEMPORARY TABLE t (n int4)")
    cur.execute("INSERT INTO t SELECT generate_series(1, 3)")
    assert cur.rowcount == 3


def test_rowcount_is_the_number_of_updated_rows(cur, numbers):
    cur.execute("UPDATE numbers SET label = 'big' WHERE n > 3")
    assert cur.rowcount == 2


def test_rowcount_is_the_number_of_deleted_rows(cur, numbers):
    cur.execute("DELETE FROM numbers WHERE n <= 4")
    assert cur.rowcount == 4


def test_rowcount_is_the_number_of_selected_rows(cur):
    cur.execute(FIVE_ROWS)
    assert cur.rowcount == 5


def test_fetchone_returns_rows_in_order_then_none(cur):
    cur.execute("SELECT g FROM generate_series(1, 2) AS g ORDER BY g")
    assert [cur.fetchone(), cur.fetchone(), cur.fetchone()] == [(1,), (2,), None]


def test_fetchone_returns_a_tuple(cur):
    cur.execute("SELECT 1, 'a'")
    assert type(cur.fetchone()) is tuple


def test_fetchone_without_a_result_set_raises_programming_error(driver, cur):
    cur.execute("CREATE TEMPORARY TABLE nothing (n int4)")
    with pytest.raises(driver.module.ProgrammingError):
        cur.fetchone()


def test_fetchone_before_execute_raises_programming_error(driver, cur):
    with pytest.raises(driver.module.ProgrammingError):
        cur.fetchone()


def test_fetchmany_returns_at_most_size_rows(cur):
    cur.execute(FIVE_ROWS)
    assert [len(cur.fetchmany(2)), len(cur.fetchmany(2)), len(cur.fetchmany(2))] == [2, 2, 1]


def test_fetchmany_returns_an_empty_list_when_exhausted(cur):
    cur.execute(FIVE_ROWS)
    cur.fetchall()
    assert cur.fetchmany(3) == []


def test_arraysize_defaults_to_one(cur):
    assert cur.arraysize == 1


def test_fetchmany_without_size_fetches_arraysize_rows(cur):
    cur.arraysize = 3
    cur.execute(FIVE_ROWS)
    assert [row[0] for row in cur.fetchmany()] == [1, 2, 3]


def test_fetchall_returns_the_remaining_rows(cur):
    cur.execute(FIVE_ROWS)
    cur.fetchone()
    assert cur.fetchall() == [(2, "row 2"), (3, "row 3"), (4, "row 4"), (5, "row 5")]


def test_fetchall_returns_an_empty_list_when_exhausted(cur):
    cur.execute(FIVE_ROWS)
    cur.fetchall()
    assert cur.fetchall() == []


def test_iterating_the_cursor_yields_every_row(cur):
    cur.execute(FIVE_ROWS)
    assert [row[0] for row in cur] == [1, 2, 3, 4, 5]


def test_execute_replaces_the_previous_result(cur):
    cur.execute(FIVE_ROWS)
    cur.execute("SELECT 'other'")
    assert cur.fetchall() == [("other",)]


def test_named_parameters_are_bound_by_name(cur):
    cur.execute("SELECT %(b)s::int4, %(a)s::int4, %(b)s::int4", {"a": 1, "b": 2})
    assert cur.fetchone() == (2, 1, 2)


def test_double_percent_is_a_literal_percent_when_parameters_are_given(cur):
    cur.execute("SELECT 'a%%b', %s::text", ("c",))
    assert cur.fetchone() == ("a%b", "c")


def test_percent_is_untouched_without_parameters(cur):
    cur.execute("SELECT 'a%b'")
    assert cur.fetchone() == ("a%b",)


def test_execute_on_a_closed_cursor_raises_interface_error(driver, conn):
    cursor = conn.cursor()
    cursor.close()
    with pytest.raises(driver.module.InterfaceError):
        cursor.execute("SELECT 1")


def test_fetch_on_a_closed_cursor_raises_interface_error(driver, conn):
    cursor = conn.cursor()
    cursor.execute("SELECT 1")
    cursor.close()
    with pytest.raises(driver.module.InterfaceError):
        cursor.fetchone()


def test_cursor_of_a_closed_connection_raises_interface_error(driver, conn):
    conn.close()
    with pytest.raises(driver.module.InterfaceError):
        conn.cursor()


def test_closed_connection_says_it_is_closed(conn):
    conn.close()
    assert conn.closed


def test_closing_a_closed_connection_is_harmless(conn):
    conn.close()
    conn.close()
    assert conn.closed


def test_cursor_context_manager_closes_the_cursor(conn):
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert cursor.closed


def test_executemany_runs_once_per_parameter_set(cur):
    cur.execute("CREATE TEMPORARY TABLE t (n int4, label text)")
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(1, "a"), (2, "b"), (3, "c")])
    cur.execute("SELECT n, label FROM t ORDER BY n")
    assert cur.fetchall() == [(1, "a"), (2, "b"), (3, "c")]


def test_executemany_rowcount_is_the_sum_of_affected_rows(cur, numbers):
    cur.executemany("UPDATE numbers SET label = 'x' WHERE n <= %s", [(1,), (3,)])
    assert cur.rowcount == 4


def test_callproc_calls_a_function_with_in_parameters(cur):
    cur.callproc(ADD_FUNCTION, (2, 3))
    assert cur.fetchall() == [(5,)]


def test_callproc_returns_the_parameters(cur):
    assert list(cur.callproc(ADD_FUNCTION, (2, 3))) == [2, 3]
