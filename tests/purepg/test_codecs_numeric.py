"""bool, integers, floats and numeric: encoding and text / binary decoding."""

from __future__ import annotations

import math
import struct
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from purepg.codecs import oids
from purepg.codecs.registry import default_registry as registry
from purepg.errors import DataError


def decode(oid: int, fmt: int, data: bytes):
    return registry.decoder(oid, fmt)(data)


@pytest.mark.parametrize(("value", "payload"), [(True, b"t"), (False, b"f")])
def test_bool_encodes_as_bool(value, payload):
    assert registry.encode(value) == (oids.BOOL, 0, payload)


@pytest.mark.parametrize(("fmt", "true", "false"), [(0, b"t", b"f"), (1, b"\x01", b"\x00")])
def test_bool_decodes_in_both_formats(fmt, true, false):
    assert decode(oids.BOOL, fmt, true) is True
    assert decode(oids.BOOL, fmt, false) is False


@pytest.mark.parametrize(
    ("value", "oid"),
    [
        (0, oids.INT4),
        (-(2**31), oids.INT4),
        (2**31 - 1, oids.INT4),
        (2**31, oids.INT8),
        (-(2**63), oids.INT8),
        (2**63, oids.NUMERIC),
        (-(10**40), oids.NUMERIC),
    ],
)
def test_int_encodes_as_the_narrowest_of_int4_int8_numeric(value, oid):
    assert registry.encode(value) == (oid, 0, str(value).encode())


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_int8_round_trips_through_text_and_binary(value):
    assert decode(oids.INT8, 0, str(value).encode()) == value
    assert decode(oids.INT8, 1, struct.pack("!q", value)) == value


@pytest.mark.parametrize(("oid", "size"), [(oids.INT2, 2), (oids.INT4, 4)])
def test_narrow_ints_decode_from_binary(oid, size):
    assert decode(oid, 1, (-2).to_bytes(size, "big", signed=True)) == -2


def test_oid_decodes_from_binary_as_unsigned():
    assert decode(oids.OID, 1, b"\xff\xff\xff\xff") == 2**32 - 1


@pytest.mark.parametrize(
    ("value", "payload"),
    [
        (1.5, b"1.5"),
        (0.1, b"0.1"),
        (-0.0, b"-0.0"),
        (1e300, b"1e+300"),
        (math.inf, b"Infinity"),
        (-math.inf, b"-Infinity"),
        (math.nan, b"NaN"),
    ],
)
def test_float_encodes_as_float8_exactly(value, payload):
    assert registry.encode(value) == (oids.FLOAT8, 0, payload)


@given(st.floats(allow_nan=False))
def test_float8_round_trips_through_text_and_binary(value):
    _, _, payload = registry.encode(value)
    assert payload is not None
    assert decode(oids.FLOAT8, 0, payload) == value
    assert decode(oids.FLOAT8, 1, struct.pack("!d", value)) == value


@pytest.mark.parametrize("fmt", [0, 1])
def test_float_nan_decodes_in_both_formats(fmt):
    data = b"NaN" if fmt == 0 else struct.pack("!d", math.nan)
    assert math.isnan(decode(oids.FLOAT8, fmt, data))


@pytest.mark.parametrize(("text", "value"), [(b"Infinity", math.inf), (b"-Infinity", -math.inf)])
def test_float_infinities_decode_from_text(text, value):
    assert decode(oids.FLOAT4, 0, text) == value


def test_float4_text_keeps_the_shortest_decimal():
    assert decode(oids.FLOAT4, 0, b"1.1") == 1.1


def test_float4_binary_is_the_exact_float32():
    assert decode(oids.FLOAT4, 1, struct.pack("!f", 1.5)) == 1.5


@pytest.mark.parametrize(
    ("value", "payload"),
    [
        (Decimal("1.25"), b"1.25"),
        (Decimal("-1E+3"), b"-1E+3"),
        (Decimal("-0.000"), b"-0.000"),
        (Decimal("NaN"), b"NaN"),
        (Decimal("Infinity"), b"Infinity"),
        (Decimal("-Infinity"), b"-Infinity"),
    ],
)
def test_decimal_encodes_as_numeric(value, payload):
    assert registry.encode(value) == (oids.NUMERIC, 0, payload)


def test_signalling_nan_is_refused_with_a_data_error():
    with pytest.raises(DataError, match="sNaN"):
        registry.encode(Decimal("sNaN"))


@pytest.mark.parametrize("text", ["123.4500", "NaN", "Infinity", "-Infinity", "0", "1" * 200])
def test_numeric_decodes_from_text_keeping_the_scale(text):
    result = decode(oids.NUMERIC, 0, text.encode())
    assert str(result) == text


# Binary values as PostgreSQL 15 sends them (COPY ... (FORMAT binary)).
@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\x00\x02\x00\x00@\x00\x00\x04\x00{\x11\x94", "-123.4500"),
        (b"\x00\x01\xff\xfe\x00\x00\x00\x06\x00d", "0.000001"),
        (b"\x00\x05\x00\x04\x00\x00\x00\x00\x04\xd2\x16.#4\r\x80\x1e\xd2", "12345678901234567890"),
        (b"\x00\x00\x00\x00\xc0\x00\x00\x00", "NaN"),
        (b"\x00\x00\x00\x00\xf0\x00\x00 ", "-Infinity"),
        (b"\x00\x00\x00\x00\x00\x00\x00\x00", "0"),
    ],
)
def test_numeric_decodes_from_binary(data, text):
    assert str(decode(oids.NUMERIC, 1, data)) == text


def test_money_decodes_to_the_servers_text():
    assert decode(oids.MONEY, 0, b"$1,234.50") == "$1,234.50"
