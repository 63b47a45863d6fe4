"""The pg8000-style API: conn.run(sql, **params) with :name placeholders."""

from __future__ import annotations

import purepg
import pytest
from purepg import native, sql


@pytest.fixture
def conn(pg_cluster):
    connection = native.connect(**pg_cluster.params("scram-sha-256"))
    yield connection
    connection.close()


def test_colon_placeholders_become_numbered_parameters():
    parsed = sql.parse_colon("SELECT :a, :b, :a")
    assert (parsed.sql, parsed.names) == ("SELECT $1, $2, $1", ("a", "b"))


def test_colon_placeholders_are_ignored_in_literals_comments_and_casts():
    query = "SELECT ':x', \"a:b\", $$ :y $$, 1::int, :z -- :w\n/* :v */"
    parsed = sql.parse_colon(query)
    assert parsed.names == ("z",)
    assert parsed.sql == "SELECT ':x', \"a:b\", $$ :y $$, 1::int, $1 -- :w\n/* :v */"


def test_run_returns_rows_as_lists(conn):
    assert conn.run("SELECT :n::int + 1 AS next, :n::int AS same", n=41) == [[42, 41]]


def test_run_sets_columns_and_row_count(conn):
    conn.run("SELECT g AS value FROM generate_series(1, 3) g")
    assert [column["name"] for column in conn.columns] == ["value"]
    assert conn.columns[0]["type_oid"] == 23
    assert conn.row_count == 3


def test_run_without_a_result_returns_none(conn):
    assert conn.run("CREATE TEMP TABLE native_t (a int)") is None
    conn.run("INSERT INTO native_t VALUES (:a), (:b)", a=1, b=2)
    assert conn.row_count == 2


def test_native_connections_autocommit(conn):
    assert conn.autocommit is True


def test_run_names_a_missing_parameter(conn):
    with pytest.raises(purepg.ProgrammingError, match="'b'"):
        conn.run("SELECT :a, :b", a=1)


def test_run_names_an_unused_parameter(conn):
    with pytest.raises(purepg.ProgrammingError, match="'extra'"):
        conn.run("SELECT :a", a=1, extra=2)


def test_a_word_ending_in_e_before_a_quote_starts_a_plain_string_as_for_pyformat():
    # some'\' is a plain literal (the backslash is text): the :n after it is a placeholder.
    query = "SELECT some'\\', :n"
    assert sql.parse_colon(query).names == ("n",)
    assert sql.parse(query.replace(":n", "%s")).count == 1
