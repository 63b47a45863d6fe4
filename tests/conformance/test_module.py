"""The DB-API 2.0 module surface: globals, exception hierarchy, type objects, constructors."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conformance.drivers import PSYCOPG2
from tests.conformance.expectations import Differs, Expectation, assert_value

TICKS = 1_700_000_000  # 2023-11-14 22:13:20 UTC

EXCEPTION_PARENTS = {
    "Warning": "Exception",
    "Error": "Exception",
    "InterfaceError": "Error",
    "DatabaseError": "Error",
    "DataError": "DatabaseError",
    "OperationalError": "DatabaseError",
    "IntegrityError": "DatabaseError",
    "InternalError": "DatabaseError",
    "ProgrammingError": "DatabaseError",
    "NotSupportedError": "DatabaseError",
}

PSYCOPG2_DATETIME_IS_TIMESTAMP_ONLY = (
    "psycopg2.DATETIME matches timestamp only; date, time, timestamptz and interval columns "
    "have their own psycopg2.extensions type objects (DATE, TIME, PYDATETIMETZ, INTERVAL)"
)

NOT_PSYCOPG2_DATETIME = {PSYCOPG2: Differs(PSYCOPG2_DATETIME_IS_TIMESTAMP_ONLY, expected=False)}

# (SQL expression, DB-API type object, whether its column's type code compares equal to it)
TYPE_OBJECT_COLUMNS = [
    ("'x'::text", "STRING", Expectation(None, True)),
    ("'x'::varchar", "STRING", Expectation(None, True)),
    ("'x'::char(1)", "STRING", Expectation(None, True)),
    ("'x'::bytea", "BINARY", Expectation(None, True)),
    ("1::int2", "NUMBER", Expectation(None, True)),
    ("1::int4", "NUMBER", Expectation(None, True)),
    ("1::int8", "NUMBER", Expectation(None, True)),
    ("1.5::float4", "NUMBER", Expectation(None, True)),
    ("1.5::float8", "NUMBER", Expectation(None, True)),
    ("1.5::numeric", "NUMBER", Expectation(None, True)),
    ("'2024-01-02 03:04:05'::timestamp", "DATETIME", Expectation(None, True)),
    ("'2024-01-02'::date", "DATETIME", Expectation(None, True, NOT_PSYCOPG2_DATETIME)),
    ("'03:04:05'::time", "DATETIME", Expectation(None, True, NOT_PSYCOPG2_DATETIME)),
    ("'2024-01-02 03:04:05+00'::timestamptz", "DATETIME",
     Expectation(None, True, NOT_PSYCOPG2_DATETIME)),
    ("'1 day'::interval", "DATETIME", Expectation(None, True, NOT_PSYCOPG2_DATETIME)),
    ("1::oid", "ROWID", Expectation(None, True)),
]  # fmt: skip


def local_naive(value: dt.datetime) -> dt.datetime:
    """``value`` as a naive local datetime (an aware value is converted to local time first)."""
    if value.tzinfo is not None:
        value = value.astimezone()
    return value.replace(tzinfo=None)


def round_trip(conn, value):
    with conn.cursor() as cur:
        cur.execute("SELECT %s", (value,))
        return cur.fetchone()[0]


def test_apilevel_is_2_0(driver):
    assert driver.module.apilevel == "2.0"


def test_threadsafety_is_a_dbapi_level(driver):
    assert driver.module.threadsafety in (0, 1, 2, 3)


def test_paramstyle_is_pyformat(driver):
    assert driver.module.paramstyle == "pyformat"


@pytest.mark.parametrize(("name", "parent"), EXCEPTION_PARENTS.items(), ids=EXCEPTION_PARENTS)
def test_exception_class_is_on_the_module_with_its_dbapi_parent(driver, name, parent):
    exception_class = getattr(driver.module, name)
    parent_class = Exception if parent == "Exception" else getattr(driver.module, parent)
    assert issubclass(exception_class, parent_class)


@pytest.mark.parametrize(
    ("expression", "type_object", "expectation"),
    TYPE_OBJECT_COLUMNS,
    ids=[f"{expression}-{type_object}" for expression, type_object, _ in TYPE_OBJECT_COLUMNS],
)
def test_type_object_equals_the_type_code_of_its_columns(
    driver, conn, expression, type_object, expectation
):
    _, equal = expectation.for_driver(driver.name)
    with conn.cursor() as cur:
        cur.execute(f"SELECT {expression}")
        type_code = cur.description[0][1]
    assert (type_code == getattr(driver.module, type_object)) is equal


def test_type_object_does_not_equal_the_type_code_of_other_columns(driver, conn):
    with conn.cursor() as cur:
        cur.execute("SELECT 'x'::text, 1::int4")
        text_code, int_code = (column[1] for column in cur.description)
    assert text_code != driver.module.NUMBER
    assert int_code != driver.module.STRING


def test_date_constructor_round_trips(driver, conn):
    assert_value(round_trip(conn, driver.module.Date(2024, 2, 29)), dt.date(2024, 2, 29))


def test_time_constructor_round_trips(driver, conn):
    assert_value(round_trip(conn, driver.module.Time(13, 14, 15)), dt.time(13, 14, 15))


def test_timestamp_constructor_round_trips(driver, conn):
    value = round_trip(conn, driver.module.Timestamp(2024, 2, 29, 13, 14, 15))
    assert_value(value, dt.datetime(2024, 2, 29, 13, 14, 15))


def test_date_from_ticks_is_the_local_date(driver, conn):
    value = round_trip(conn, driver.module.DateFromTicks(TICKS))
    assert_value(value, dt.date.fromtimestamp(TICKS))


def test_time_from_ticks_is_the_local_time(driver, conn):
    value = round_trip(conn, driver.module.TimeFromTicks(TICKS))
    assert isinstance(value, dt.time)
    assert value.replace(tzinfo=None) == dt.datetime.fromtimestamp(TICKS).time()


def test_timestamp_from_ticks_is_that_instant_in_local_time(driver, conn):
    # psycopg2 builds an aware timestamp in the local zone, a naive local one is as good.
    value = round_trip(conn, driver.module.TimestampFromTicks(TICKS))
    assert isinstance(value, dt.datetime)
    assert local_naive(value) == dt.datetime.fromtimestamp(TICKS)


def test_binary_constructor_round_trips_as_bytea(driver, conn):
    with conn.cursor() as cur:
        cur.execute("SELECT %s, pg_typeof(%s)::text", (driver.module.Binary(b"\x00\xff"),) * 2)
        value, type_name = cur.fetchone()
    assert bytes(value) == b"\x00\xff"
    assert type_name == "bytea"
