"""Every driver round-trips every row of the shared type table (type_table.TYPE_CASES).

The parameter is cast with ``CAST(%s AS type)`` rather than ``%s::type``: psycopg2 inlines
parameters as literals, and ``-32768::int2`` casts before the minus applies (out of range).
"""

from __future__ import annotations

import pytest

from tests.conformance.expectations import assert_value
from tests.conformance.type_table import TYPE_CASES, TypeCase

by_case = pytest.mark.parametrize("type_case", TYPE_CASES, ids=[c.id for c in TYPE_CASES])


@by_case
def test_value_round_trips_through_a_cast_parameter(driver, conn, type_case: TypeCase):
    send, expected = type_case.expectation.for_driver(driver.name)
    with conn.cursor() as cur:
        cur.execute(f"SELECT CAST(%s AS {type_case.pg_type})", (send,))
        (value,) = cur.fetchone()
    assert_value(value, expected)


@by_case
def test_value_round_trips_through_a_table_column(driver, conn, type_case: TypeCase):
    send, expected = type_case.expectation.for_driver(driver.name)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TEMPORARY TABLE round_trip (value {type_case.pg_type})")
        cur.execute(
            f"INSERT INTO round_trip (value) VALUES (CAST(%s AS {type_case.pg_type}))", (send,)
        )
        cur.execute("SELECT value FROM round_trip")
        (value,) = cur.fetchone()
    assert_value(value, expected)
