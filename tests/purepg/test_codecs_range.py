"""Ranges and multiranges <-> purepg.types.Range."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from purepg.codecs import oids
from purepg.codecs.registry import default_registry as registry
from purepg.errors import DataError, ProgrammingError
from purepg.types import Range


def decode(oid: int, fmt: int, data: bytes):
    return registry.decoder(oid, fmt)(data)


@pytest.mark.parametrize(
    ("value", "oid", "payload"),
    [
        (Range(date(2020, 1, 1), None), oids.DATERANGE, b'["2020-01-01",)'),
        (Range(Decimal("1.5"), Decimal(2), "(]"), oids.NUMRANGE, b'("1.5","2"]'),
        (
            Range(datetime(2020, 1, 1), datetime(2020, 1, 2)),
            oids.TSRANGE,
            b'["2020-01-01T00:00:00","2020-01-02T00:00:00")',
        ),
        (
            Range(datetime(2020, 1, 1, tzinfo=timezone.utc), None),
            oids.TSTZRANGE,
            b'["2020-01-01T00:00:00+00:00",)',
        ),
    ],
)
def test_range_is_typed_from_unambiguous_bounds(value, oid, payload):
    assert registry.encode(value) == (oid, 0, payload)


def test_range_of_ints_is_sent_untyped_for_int4range_int8range_or_numrange():
    assert registry.encode(Range(1, 5, "[]")) == (0, 0, b'["1","5"]')


def test_empty_range_is_sent_as_the_empty_literal():
    assert registry.encode(Range(empty=True)) == (0, 0, b"empty")


def test_range_with_bounds_of_different_types_is_refused():
    with pytest.raises(ProgrammingError, match="one type"):
        registry.encode(Range(1, date(2020, 1, 1)))


@pytest.mark.parametrize(
    ("oid", "text", "value"),
    [
        (oids.INT4RANGE, b"[1,5)", Range(1, 5)),
        (oids.INT4RANGE, b"empty", Range(empty=True)),
        (oids.NUMRANGE, b"(,3.5)", Range(None, Decimal("3.5"), "()")),
        (oids.DATERANGE, b"[2020-01-01,)", Range(date(2020, 1, 1), None)),
        (
            oids.TSRANGE,
            b'("2020-01-01 10:00:00","2020-01-02 00:00:00"]',
            Range(datetime(2020, 1, 1, 10), datetime(2020, 1, 2), "(]"),
        ),
        (
            oids.TSTZRANGE,
            b'["2020-01-01 00:00:00+00",infinity)',
            Range(
                datetime(2020, 1, 1, tzinfo=timezone.utc),
                datetime.max.replace(tzinfo=timezone.utc),
            ),
        ),
    ],
)
def test_ranges_decode_from_text(oid, text, value):
    assert decode(oid, 0, text) == value


@pytest.mark.parametrize(
    ("oid", "data", "value"),
    [
        (oids.INT4RANGE, bytes.fromhex("02000000040000000100000004" + "00000005"), Range(1, 5)),
        (oids.INT4RANGE, b"\x01", Range(empty=True)),
        (
            oids.NUMRANGE,
            bytes.fromhex("080000000c0002000000000001000313" + "88"),
            Range(None, Decimal("3.5"), "()"),
        ),
    ],
)
def test_ranges_decode_from_binary(oid, data, value):
    assert decode(oid, 1, data) == value


def test_multirange_decodes_to_a_list_of_ranges_from_text():
    assert decode(oids.INT4MULTIRANGE, 0, b"{[1,3),[5,7)}") == [Range(1, 3), Range(5, 7)]
    assert decode(oids.INT4MULTIRANGE, 0, b"{}") == []


def test_multirange_decodes_to_a_list_of_ranges_from_binary():
    data = bytes.fromhex(
        "00000002" + "00000011020000000400000001000000040000000" + "3"
        "00000011020000000400000005000000040000000" + "7"
    )
    assert decode(oids.INT4MULTIRANGE, 1, data) == [Range(1, 3), Range(5, 7)]


def test_range_arrays_decode_from_text():
    text = b'{"[1,2)",empty}'
    assert decode(oids.ARRAY_OF[oids.INT4RANGE], 0, text) == [Range(1, 2), Range(empty=True)]


def test_quoted_range_bounds_accept_backslash_escapes_and_doubled_quotes():
    registry_copy = registry.copy()
    registry_copy.register_range(90_000, oids.TEXT)
    assert registry_copy.decoder(90_000, 0)(b'["a""b","c\\\\d")') == Range('a"b', "c\\d")


def test_malformed_range_raises_data_error():
    with pytest.raises(DataError, match="malformed range"):
        decode(oids.INT4RANGE, 0, b"{1,2}")
