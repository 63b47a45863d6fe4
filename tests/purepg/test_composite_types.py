"""Composite types registered by name <-> named tuples: the text parser on bytes, then
round trips against real servers (each test creates its types in a transaction it rolls back).
"""

from __future__ import annotations

import asyncio
import datetime
import struct
from collections import namedtuple
from decimal import Decimal

import purepg
import pytest
from purepg import aio
from purepg.codecs import composite, oids
from purepg.codecs.registry import Registry
from purepg.errors import DataError, ProgrammingError

# -- the text parser, bytes only


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (b"(1,2)", [b"1", b"2"]),
        (b'(1,"a b","with ""quote""",)', [b"1", b"a b", b'with "quote"', None]),
        (b"(,)", [None, None]),
        (b'("")', [b""]),
        (b'("x\\\\y","a\\"b")', [b"x\\y", b'a"b']),
        (b"(a\\,b)", [b"a,b"]),
        (b'(a"b,c"d)', [b"ab,cd"]),
        (b'("(1,\\"x\\")","{1,2}")', [b'(1,"x")', b"{1,2}"]),
        (b"( a , b )", [b" a ", b" b "]),
        (b"()", []),
        ('(é,"ü")'.encode(), ["é".encode(), "ü".encode()]),
    ],
)
def test_text_parser_follows_record_input_quoting_rules(data, fields):
    assert composite.parse_text(data) == fields


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"1,2", "missing left parenthesis"),
        (b"", "missing left parenthesis"),
        (b"(1,2", "unexpected end of input"),
        (b"(1,", "unexpected end of input"),
        (b'(1,"ab)', "unterminated quoted field"),
        (b"(1,2)x", "junk after right parenthesis"),
        (b"(1\\", "unexpected end of input"),
    ],
)
def test_text_parser_names_what_is_malformed(data, problem):
    with pytest.raises(DataError, match=problem):
        composite.parse_text(data)


def registry_with_pair() -> tuple[Registry, type]:
    registry = Registry()
    pair = namedtuple("pair", ["n", "s"])
    registry.register_composite(90001, pair, [oids.INT4, oids.TEXT], ["n", "s"], array_oid=90002)
    return registry, pair


def test_decoder_builds_the_class_with_fields_decoded_as_their_types():
    registry, pair = registry_with_pair()
    assert registry.decoder(90001, 0)(b'(42,"a b")') == pair(42, "a b")


def test_single_null_field_written_as_empty_parentheses_decodes():
    registry = Registry()
    one = namedtuple("one", ["n"])
    registry.register_composite(90003, one, [oids.INT4], ["n"])
    assert registry.decoder(90003, 0)(b"()") == one(None)


def test_wrong_field_count_is_a_data_error_naming_it():
    registry, _ = registry_with_pair()
    with pytest.raises(DataError, match="3 fields, type composite 90001 has 2"):
        registry.decoder(90001, 0)(b"(1,a,b)")


def test_undecodable_field_is_a_data_error_naming_the_field():
    registry, _ = registry_with_pair()
    with pytest.raises(DataError, match="field 1"):
        registry.decoder(90001, 0)(b"(x,a)")


def test_binary_format_decodes_with_the_fields_binary_decoders():
    registry, pair = registry_with_pair()
    data = struct.pack("!iIii", 2, oids.INT4, 4, 7) + struct.pack("!Ii", oids.TEXT, -1)
    assert registry.decoder(90001, 1)(data) == pair(7, None)


def test_truncated_binary_value_is_a_data_error():
    registry, _ = registry_with_pair()
    with pytest.raises(DataError, match="truncated"):
        registry.decoder(90001, 1)(struct.pack("!iI", 2, oids.INT4))


def test_composites_are_read_in_text_format():
    registry, _ = registry_with_pair()
    assert registry.result_format(90001) == 0


def test_registered_class_encodes_as_a_quoted_literal_typed_with_the_oid():
    registry, pair = registry_with_pair()
    assert registry.encode(pair(1, 'a "b", (c)\\')) == (90001, 0, b'(1,"a ""b"", (c)\\\\")')
    assert registry.encode(pair(None, "")) == (90001, 0, b'(,"")')


def test_list_of_the_class_encodes_as_the_array_type():
    registry, pair = registry_with_pair()
    oid, fmt, payload = registry.encode([pair(1, "x")])
    assert (oid, fmt) == (90002, 0)
    assert payload is not None
    assert registry.decoder(90002, 0)(payload) == [pair(1, "x")]


def test_plain_tuple_stays_unadapted():
    registry, _ = registry_with_pair()
    with pytest.raises(ProgrammingError, match="cannot adapt"):
        registry.encode((1, "x"))


def test_registration_stays_in_its_registry():
    registry, pair = registry_with_pair()
    copy = registry.copy()
    fresh = Registry()
    assert copy.decoder(90001, 0)(b"(1,x)") == pair(1, "x")
    assert fresh.decoder(90001, 0)(b"(1,x)") == "(1,x)"


# -- against real servers


@pytest.fixture
def conn(pg_cluster):
    connection = purepg.connect(**pg_cluster.params("scram-sha-256"))
    yield connection
    connection.rollback()  # drops the types the test created
    connection.close()


def test_round_trip_of_awkward_text_int_and_null(conn):
    cur = conn.cursor()
    cur.execute("CREATE TYPE pair AS (n int, s text, note text)")
    pair = conn.register_composite("pair")
    awkward = 'a "b", (c) \\d {e}'
    for value in (pair(1, awkward, None), pair(None, "", "NULL"), pair(-5, " ", ",")):
        cur.execute("SELECT %s, (%s::pair).s", (value, value))
        assert cur.fetchone() == (value, value.s)


def test_values_built_by_the_server_decode_as_the_namedtuple(conn):
    cur = conn.cursor()
    cur.execute("CREATE TYPE public.money_at AS (amount numeric, at date, tags text[])")
    money_at = conn.register_composite("public.money_at")
    cur.execute("SELECT ROW(1.50, '2024-02-29', ARRAY['x', NULL, 'y z'])::money_at")
    assert cur.fetchone() == (
        money_at(Decimal("1.50"), datetime.date(2024, 2, 29), ["x", None, "y z"]),
    )
    assert money_at._fields == ("amount", "at", "tags")


def test_nested_composite_decodes_with_the_inner_registration(conn):
    cur = conn.cursor()
    cur.execute("CREATE TYPE inner_t AS (a int, b text)")
    cur.execute("CREATE TYPE outer_t AS (label text, item inner_t, items inner_t[])")
    outer = conn.register_composite("outer_t")
    inner = conn.register_composite("inner_t")
    value = outer('x"y', inner(1, "(p,q)"), [inner(2, None), None, inner(None, "\\")])
    cur.execute("SELECT %s", (value,))
    assert cur.fetchone() == (value,)
    cur.execute("SELECT (%s::outer_t).item.b", (value,))
    assert cur.fetchone() == ("(p,q)",)


def test_array_of_composites_round_trips(conn):
    cur = conn.cursor()
    cur.execute("CREATE TYPE pt AS (x float8, y float8)")
    pt = conn.register_composite("pt")
    points = [pt(1.5, -2.0), None, pt(None, 3.0)]
    cur.execute("SELECT %s, pg_typeof(%s)::text", (points, points))
    assert cur.fetchone() == (points, "pt[]")


def test_composite_column_stores_and_returns_the_class(conn):
    cur = conn.cursor()
    cur.execute("CREATE TYPE address AS (street text, zip text)")
    cur.execute("CREATE TEMP TABLE person (name text, home address, old address[])")
    address = conn.register_composite("address")
    home = address("1, Main St (rear)", "01234")
    cur.execute("INSERT INTO person VALUES (%s, %s, %s)", ("ann", home, [home, address("", None)]))
    cur.execute("SELECT home, old, (home).zip FROM person")
    assert cur.fetchone() == (home, [home, address("", None)], "01234")


def test_given_python_type_is_used_both_ways(conn):
    class Pair(tuple):
        def __new__(cls, n, s):
            return super().__new__(cls, (n, s))

    cur = conn.cursor()
    cur.execute("CREATE TYPE pair2 AS (n int, s text)")
    assert conn.register_composite("pair2", python_type=Pair) is Pair
    cur.execute("SELECT %s", (Pair(3, "c"),))
    value = cur.fetchone()[0]
    assert type(value) is Pair
    assert value == (3, "c")


def test_table_row_type_and_domain_fields_are_typed(conn):
    cur = conn.cursor()
    cur.execute("CREATE DOMAIN positive AS int CHECK (VALUE > 0)")
    cur.execute("CREATE TEMP TABLE item (id positive, made date)")
    item = conn.register_composite("item")
    cur.execute("INSERT INTO item VALUES (3, '2020-01-02')")
    cur.execute("SELECT item FROM item")
    assert cur.fetchone() == (item(3, datetime.date(2020, 1, 2)),)


def test_registration_is_per_connection(conn, pg_cluster):
    cur = conn.cursor()
    cur.execute("CREATE TYPE solo AS (a int)")
    conn.register_composite("solo")
    conn.commit()
    try:
        with purepg.connect(**pg_cluster.params("scram-sha-256")) as other:
            other_cur = other.cursor()
            other_cur.execute("SELECT ROW(1)::solo")
            assert other_cur.fetchone() == ("(1)",)
    finally:
        cur.execute("DROP TYPE solo")
        conn.commit()


def test_unknown_type_is_a_programming_error_naming_it(conn):
    with pytest.raises(ProgrammingError, match="type 'no_such_type' does not exist"):
        conn.register_composite("no_such_type")


def test_unknown_type_does_not_abort_the_open_transaction(conn):
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE kept (n int)")
    with pytest.raises(ProgrammingError):
        conn.register_composite("public.no_such_type")
    cur.execute("SELECT count(*) FROM kept")
    assert cur.fetchone() == (0,)


def test_non_composite_type_is_a_programming_error(conn):
    with pytest.raises(ProgrammingError, match="'int4' is not a composite type"):
        conn.register_composite("int4")


def test_asyncio_connection_registers_composites(pg_cluster):
    async def scenario():
        connection = await aio.connect(**pg_cluster.params("scram-sha-256"))
        try:
            cur = connection.cursor()
            await cur.execute("CREATE TYPE apair AS (n int, s text)")
            apair = await connection.register_composite("apair")
            await cur.execute("SELECT %s, ARRAY[ROW(2, 'b')::apair]", (apair(1, "a, b"),))
            return apair, await cur.fetchone()
        finally:
            await connection.rollback()
            await connection.close()

    apair, row = asyncio.run(scenario())
    assert row == (apair(1, "a, b"), [apair(2, "b")])


def test_text_parser_fast_path_leaves_stray_parentheses_to_the_checks():
    with pytest.raises(DataError, match="junk after right parenthesis"):
        composite.parse_text(b"(a)b)")
