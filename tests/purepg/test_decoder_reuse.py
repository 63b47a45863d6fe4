"""A cursor reuses the column decoders of its previous result when the columns are the same
(a prepared statement run again): registering a type or JSON function in between must still
take effect on the very next result."""

from __future__ import annotations

import json

import purepg
import pytest


@pytest.fixture
def conn(pg_cluster):
    connection = purepg.connect(**pg_cluster.params("scram-sha-256"))
    yield connection
    connection.close()


def test_a_composite_registered_between_two_runs_of_a_prepared_statement_decodes_the_second(conn):
    cur = conn.cursor()
    cur.execute("CREATE TYPE pair_for_reuse AS (a int, b text)")
    query = "SELECT ROW(%s, 'x')::pair_for_reuse"
    cur.execute(query, (1,), prepare=True)
    assert cur.fetchone() == ("(1,x)",)
    pair = conn.register_composite("pair_for_reuse")
    cur.execute(query, (2,), prepare=True)
    assert cur.fetchone() == (pair(2, "x"),)
    conn.rollback()


def test_json_functions_set_between_two_runs_of_the_same_query_apply_to_the_second(conn):
    cur = conn.cursor()
    query = """SELECT '{"n": 1}'::jsonb WHERE %s"""
    cur.execute(query, (True,), prepare=True)
    assert cur.fetchone() == ({"n": 1},)
    conn.registry.set_json(loads=lambda text: ("custom", json.loads(text)))
    cur.execute(query, (True,), prepare=True)
    assert cur.fetchone() == (("custom", {"n": 1}),)


def test_the_same_columns_from_a_new_simple_query_decode_alike(conn):
    cur = conn.cursor()
    for value in range(3):
        cur.execute(f"SELECT {value}::int AS n, 'x'::text AS t")
        assert cur.fetchone() == (value, "x")


def test_a_cursor_decodes_a_second_query_with_other_columns_by_their_own_types(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1::int AS n")
    assert cur.fetchone() == (1,)
    cur.execute("SELECT '1'::text AS n")
    assert cur.fetchone() == ("1",)
