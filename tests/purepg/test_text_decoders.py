"""The fast paths of the text-format decoders (uuid, json/jsonb, timestamp/timestamptz) and
column-wise row decoding give the same values as the generic constructors and the row-by-row
decoder, and refuse malformed values with a DataError naming the column and the value."""

from __future__ import annotations

import json
import re
import struct
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from purepg.codecs import oids
from purepg.codecs.registry import default_registry
from purepg.errors import DataError, ProtocolViolation
from purepg.protocol.messages import Column, decode_data_row
from purepg.rows import decode_rows

TEXT = 0


def payload(*values: bytes | None) -> bytes:
    """A DataRow payload (no type byte, no length) holding ``values``."""
    body = struct.pack("!h", len(values))
    for value in values:
        body += struct.pack("!i", -1) if value is None else struct.pack("!i", len(value)) + value
    return body


def decode_column(oid: int, values: list[bytes | None], name: str = "value") -> list[Any]:
    """``values`` decoded as the cursor decodes a one-column result of type ``oid``."""
    decoder = default_registry.decoder(oid, TEXT)
    rows = decode_rows(
        [payload(value) for value in values], [decoder], [Column(name, 0, 0, oid, -1, -1, 0)]
    )
    return [row[0] for row in rows]


def server_timestamp(value: datetime) -> bytes:
    """``value`` as PostgreSQL writes it (DateStyle ISO): space separator, fraction without
    trailing zeros, offset as +HH or +HH:MM."""
    text = value.replace(tzinfo=None).isoformat(sep=" ")
    if "." in text:
        text = text.rstrip("0")
    offset = value.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        hours, minutes = divmod(abs(minutes), 60)
        text += f"{sign}{hours:02d}" + (f":{minutes:02d}" if minutes else "")
    return text.encode()


offsets = st.integers(-15 * 60, 15 * 60).map(lambda m: timezone(timedelta(minutes=m)))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.uuids())
def test_uuid_text_decodes_to_the_uuid_the_constructor_builds(value):
    decoded = decode_column(oids.UUID, [str(value).encode()])[0]
    assert (decoded, str(decoded), decoded.is_safe) == (value, str(value), value.is_safe)
    assert type(decoded) is UUID


@given(st.uuids())
def test_uuid_binary_decodes_to_the_uuid_of_its_bytes(value):
    assert default_registry.decoder(oids.UUID, 1)(value.bytes) == value


@pytest.mark.parametrize(
    "text",
    [
        b"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g",  # not hex
        b"+0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",  # a sign int() would take
        b"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1-",  # a fifth hyphen
        b"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",  # 35 characters
        b"",
    ],
)
def test_malformed_uuid_text_is_a_data_error_naming_the_value(text):
    with pytest.raises(
        DataError, match=rf"column 'id'.*{oids.UUID}.*{re.escape(text[:8].decode())}"
    ):
        decode_column(oids.UUID, [text], name="id")


@given(json_values)
def test_json_text_decodes_as_json_loads_does(value):
    text = json.dumps(value).encode()
    assert decode_column(oids.JSONB, [text]) == decode_column(oids.JSON, [text]) == [value]


@pytest.mark.parametrize("text", [b' {"a": 1}', b'{"a": 1} ', b"\n[1]\n"])
def test_json_text_with_surrounding_whitespace_decodes(text):
    assert decode_column(oids.JSON, [text]) == [json.loads(text)]


@pytest.mark.parametrize("text", [b"", b"{", b"[1] 2", b"nul", b'"\xff"'])
def test_malformed_json_text_is_a_data_error_naming_the_value(text):
    with pytest.raises(DataError, match=r"column 'doc'.*value b"):
        decode_column(oids.JSONB, [text], name="doc")


def test_a_custom_json_loads_replaces_the_fast_path():
    registry = default_registry.copy()
    registry.set_json(loads=lambda text: ("custom", text))
    assert registry.decoder(oids.JSONB, TEXT)(b"{}") == ("custom", b"{}")


@given(st.datetimes(timezones=offsets))
def test_timestamptz_text_decodes_to_the_aware_instant_with_its_offset(value):
    decoded = decode_column(oids.TIMESTAMPTZ, [server_timestamp(value)])[0]
    assert (decoded, decoded.utcoffset()) == (value, value.utcoffset())


@given(st.datetimes())
def test_timestamp_text_decodes_to_the_naive_datetime(value):
    decoded = decode_column(oids.TIMESTAMP, [server_timestamp(value)])[0]
    assert (decoded, decoded.tzinfo) == (value, None)


@pytest.mark.parametrize(
    ("oid", "text"),
    [
        (oids.TIMESTAMPTZ, b"2024-01-01 10:00:00"),  # no offset
        (oids.TIMESTAMPTZ, b"2024-01-01"),
        (oids.TIMESTAMPTZ, b"2024-13-01 10:00:00+00"),
        (oids.TIMESTAMPTZ, b"2024-01-01 10:00:00+00 BC"),
        (oids.TIMESTAMPTZ, b"12024-01-01 10:00:00+00"),
        (oids.TIMESTAMP, b"2024-01-01"),  # a date alone
        (oids.TIMESTAMP, b"2024-01-01 25:00:00"),
        (oids.TIMESTAMP, b"2024-01-01 10:00:00 BC"),
        (oids.DATE, b"2024-02-30"),
    ],
)
def test_malformed_timestamp_text_is_a_data_error_naming_the_value(oid, text):
    with pytest.raises(DataError, match=rf"column 'at'.*{oid}.*{re.escape(text[:10].decode())}"):
        decode_column(oid, [text], name="at")


COLUMN_TYPES = (
    (oids.INT4, st.integers(-(2**31), 2**31 - 1).map(lambda v: str(v).encode())),
    (oids.TEXT, st.text().map(lambda v: v.encode())),
    (oids.UUID, st.uuids().map(lambda v: str(v).encode())),
    (oids.TIMESTAMPTZ, st.datetimes(timezones=offsets).map(server_timestamp)),
    (oids.JSONB, json_values.map(lambda v: json.dumps(v).encode())),
)


@st.composite
def results(draw: st.DrawFn) -> tuple[list[int], list[bytes]]:
    """A result: some of COLUMN_TYPES as columns, rows of their values or NULLs."""
    chosen = draw(st.lists(st.sampled_from(COLUMN_TYPES), max_size=5))
    rows = draw(
        st.lists(
            st.tuples(*(st.none() | values for _, values in chosen)).map(lambda row: payload(*row)),
            max_size=8,
        )
    )
    return [oid for oid, _ in chosen], rows


@given(results())
def test_column_wise_decoding_gives_the_rows_of_row_by_row_decoding(result):
    type_oids, rows = result
    decoders = [default_registry.decoder(oid, TEXT) for oid in type_oids]
    columns = [Column(f"c{i}", 0, 0, oid, -1, -1, 0) for i, oid in enumerate(type_oids)]
    assert decode_rows(rows, decoders, columns) == [decode_data_row(r, decoders) for r in rows]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (payload(b"1", b"2") + b"x", "1 trailing bytes"),
        (payload(b"1", b"2")[:-1], "truncated"),
        (payload(b"1"), "1 columns, the RowDescription announced 2"),
        (payload(b"1", b"2").replace(b"\x00\x00\x00\x01" + b"2", b"\xff\xff\xff\xfe2"), "length"),
        (b"\x00", "truncated"),
    ],
)
def test_a_broken_data_row_among_good_ones_is_a_protocol_violation(row, problem):
    good = payload(b"7", b"8")
    decoders = [int, int]
    columns = [Column("a", 0, 0, oids.INT4, 4, -1, 0), Column("b", 0, 0, oids.INT4, 4, -1, 0)]
    with pytest.raises(ProtocolViolation, match=problem):
        decode_rows([good, row, good], decoders, columns)


def test_a_result_without_columns_decodes_to_empty_rows():
    assert decode_rows([payload(), payload()], [], []) == [(), ()]


def test_the_uuid_constructor_fallback_builds_the_same_uuid():
    from purepg.codecs import uuid as uuid_codecs

    set_int, set_is_safe = uuid_codecs._constructor_setters()
    value = UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    built = object.__new__(UUID)
    set_int(built, value.int)
    set_is_safe(built, value.is_safe)
    assert (built, built.is_safe) == (value, value.is_safe)
