"""Arrays: lists out, text and binary array formats in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from purepg.codecs import oids
from purepg.codecs.registry import default_registry as registry
from purepg.errors import DataError, ProgrammingError

INT4_ARRAY, TEXT_ARRAY = oids.ARRAY_OF[oids.INT4], oids.ARRAY_OF[oids.TEXT]


def decode_text(array_oid: int, data: bytes):
    return registry.decoder(array_oid, 0)(data)


def test_list_of_ints_encodes_as_an_int4_array_literal():
    assert registry.encode([1, 2, None]) == (INT4_ARRAY, 0, b'{"1","2",NULL}')


def test_list_of_ints_widens_to_the_largest_element():
    oid, _, _ = registry.encode([1, 2**40])
    assert oid == oids.ARRAY_OF[oids.INT8]
    oid, _, _ = registry.encode([1, 2**70])
    assert oid == oids.ARRAY_OF[oids.NUMERIC]


def test_nested_lists_encode_as_a_multidimensional_literal():
    assert registry.encode([[1, 2], [3, None]]) == (INT4_ARRAY, 0, b'{{"1","2"},{"3",NULL}}')


def test_list_of_str_is_sent_untyped_so_enum_and_text_arrays_both_work():
    assert registry.encode(["a", "b"]) == (0, 0, b'{"a","b"}')


def test_empty_list_is_sent_untyped_as_an_empty_literal():
    assert registry.encode([]) == (0, 0, b"{}")


def test_list_of_nulls_is_sent_untyped():
    assert registry.encode([None, [None]]) == (0, 0, b"{NULL,{NULL}}")


def test_array_elements_escape_quotes_and_backslashes():
    assert registry.encode(['a"b', "c\\d", "NULL", ""]) == (
        0,
        0,
        b'{"a\\"b","c\\\\d","NULL",""}',
    )


def test_list_of_bytes_encodes_elements_in_hex():
    assert registry.encode([b"\x01\xff"]) == (oids.ARRAY_OF[oids.BYTEA], 0, b'{"\\\\x01ff"}')


@pytest.mark.parametrize(
    ("value", "element"),
    [
        ([Decimal("1.5")], oids.NUMERIC),
        ([date(2020, 1, 1)], oids.DATE),
        ([True], oids.BOOL),
        ([1.5], oids.FLOAT8),
        ([{"a": 1}], oids.JSONB),
    ],
)
def test_list_is_typed_as_the_array_of_its_elements_type(value, element):
    assert registry.encode(value)[0] == oids.ARRAY_OF[element]


def test_list_with_elements_of_different_types_is_refused_naming_them():
    with pytest.raises(ProgrammingError, match=r"date.*int4|int4.*date"):
        registry.encode([1, date(2020, 1, 1)])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"{1,2,NULL}", [1, 2, None]),
        (b"{}", []),
        (b"{{1,2},{3,4}}", [[1, 2], [3, 4]]),
        (b"{{{1}},{{2}}}", [[[1]], [[2]]]),
        (b"[0:1]={1,2}", [1, 2]),
        (b"[1:1][-1:0]={{5,6}}", [[5, 6]]),
    ],
)
def test_int_arrays_decode_from_text(text, value):
    assert decode_text(INT4_ARRAY, text) == value


def test_text_array_decodes_quotes_escapes_and_the_null_string():
    text = b'{"a\\"b","c\\\\d",NULL,"","NULL"," x ","a,b","{}",\xc3\xa9}'
    assert decode_text(TEXT_ARRAY, text) == [
        'a"b',
        "c\\d",
        None,
        "",
        "NULL",
        " x ",
        "a,b",
        "{}",
        "é",
    ]


def test_box_arrays_split_on_semicolons():
    text = b"{(3,4),(1,2);(1,1),(0,0)}"
    assert decode_text(oids.ARRAY_OF[oids.BOX], text) == ["(3,4),(1,2)", "(1,1),(0,0)"]


def test_array_elements_use_the_element_decoder():
    assert decode_text(oids.ARRAY_OF[oids.BYTEA], b'{"\\\\x01",NULL}') == [b"\x01", None]
    assert decode_text(oids.ARRAY_OF[oids.NUMERIC], b"{1.5,NaN}")[0] == Decimal("1.5")


def test_malformed_array_raises_data_error():
    with pytest.raises(DataError, match="malformed array"):
        decode_text(INT4_ARRAY, b'{{1,2}"')


# Binary values as PostgreSQL 15 sends them.
def test_two_dimensional_array_with_null_decodes_from_binary():
    data = bytes.fromhex(
        "00000002000000010000001700000002000000010000000200000001"
        "00000004000000010000000400000002000000040000000" + "3ffffffff"
    )
    assert registry.decoder(INT4_ARRAY, 1)(data) == [[1, 2], [3, None]]


def test_array_with_a_non_default_lower_bound_decodes_from_binary():
    data = bytes.fromhex(
        "0000000100000000000000140000000200000000000000080000000000000001000000080000000000000002"
    )
    assert registry.decoder(oids.ARRAY_OF[oids.INT8], 1)(data) == [1, 2]


def test_empty_array_decodes_from_binary():
    assert registry.decoder(TEXT_ARRAY, 1)(bytes.fromhex("000000000000000000000019")) == []


@given(st.lists(st.one_of(st.none(), st.text()), max_size=20))
def test_list_of_str_round_trips_through_the_text_format(value):
    _, _, payload = registry.encode(value)
    assert payload is not None
    assert decode_text(TEXT_ARRAY, payload) == value


@given(st.lists(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=2, max_size=2), min_size=1))
def test_two_dimensional_int_lists_round_trip_through_the_text_format(value):
    _, _, payload = registry.encode(value)
    assert payload is not None
    assert decode_text(INT4_ARRAY, payload) == value
