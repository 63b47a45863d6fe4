"""purepg cursor specifics against a real server (the shared DB-API behaviour is in the
conformance suite)."""

from __future__ import annotations

import purepg
import pytest
from purepg import errors


@pytest.fixture
def conn(pg_cluster):
    connection = purepg.connect(**pg_cluster.params("scram-sha-256"))
    yield connection
    connection.close()


def test_undecodable_value_raises_data_error_naming_the_column(conn):
    def refuse(_data: bytes) -> object:
        raise ValueError("not today")

    conn.registry.register(23, text_decoder=refuse)
    cur = conn.cursor()
    cur.execute("SELECT 'fine'::text AS ok, 1::int4 AS bad")
    with pytest.raises(errors.DataError, match=r"column 'bad'.*not today"):
        cur.fetchone()


def test_numeric_description_carries_precision_and_scale(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1.5::numeric(10, 2) AS amount")
    assert cur.description[0][4:6] == (10, 2)


def test_query_and_statusmessage_show_what_was_sent_and_answered(conn):
    cur = conn.cursor()
    cur.execute("SELECT %s::int", (7,))
    assert (cur.query, cur.statusmessage) == (b"SELECT $1::int", "SELECT 1")


def test_query_without_parameters_is_sent_as_is_percent_included(conn):
    cur = conn.cursor()
    cur.execute("SELECT 7 % 4")
    assert cur.fetchone() == (3,)


def test_several_statements_without_parameters_return_the_last_result(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1; SELECT 2, 3")
    assert cur.fetchall() == [(2, 3)]


def test_callproc_selects_from_the_function(conn):
    cur = conn.cursor()
    cur.callproc("pg_catalog.lower", ["ABC"])
    assert cur.fetchall() == [("abc",)]


def test_scroll_moves_within_the_result(conn):
    cur = conn.cursor()
    cur.execute("SELECT generate_series(1, 5)")
    cur.scroll(3, mode="absolute")
    assert cur.fetchone() == (4,)
