"""Encoding of frontend messages and decoding of backend messages, on bytes alone."""

from __future__ import annotations

import struct

import pytest
from purepg.errors import ProgrammingError, ProtocolViolation
from purepg.protocol import messages

from tests.purepg import protocol_backend as backend


def test_startup_message_carries_protocol_3_and_the_parameters():
    data = messages.startup_message({"user": "alice", "database": "db"})
    assert data == struct.pack("!ii", len(data), 196608) + b"user\0alice\0database\0db\0\0"


def test_ssl_request_is_the_magic_code():
    assert messages.ssl_request() == struct.pack("!ii", 8, 80877103)


def test_cancel_request_carries_pid_and_key():
    data = messages.cancel_request(77, b"\x00\x00\x00\x09")
    assert data == struct.pack("!iiii", 16, 80877102, 77, 9)


def test_query_is_nul_terminated():
    assert messages.query(b"SELECT 1") == b"Q" + struct.pack("!i", 13) + b"SELECT 1\0"


def test_query_containing_nul_is_refused_before_sending():
    with pytest.raises(ProgrammingError, match="NUL"):
        messages.query(b"SELECT '\0'")


def test_bind_encodes_null_as_minus_one_length():
    data = messages.bind(b"", b"", [0, 1], [b"ab", None], [])
    payload = data[5:]
    assert payload == (
        b"\0\0"
        + struct.pack("!hhh", 2, 0, 1)
        + struct.pack("!h", 2)
        + struct.pack("!i", 2)
        + b"ab"
        + struct.pack("!i", -1)
        + struct.pack("!h", 0)
    )


def test_parse_lists_the_parameter_type_oids():
    payload = messages.parse(b"", b"SELECT $1", [23])[5:]
    assert payload == b"\0SELECT $1\0" + struct.pack("!hI", 1, 23)


def test_row_description_is_decoded_into_columns():
    payload = backend.row_description(("id", 23), ("name", 25))[5:]
    columns = messages.parse_row_description(payload, "utf-8")
    assert [(c.name, c.type_oid) for c in columns] == [("id", 23), ("name", 25)]


def test_data_row_keeps_null_apart_from_empty():
    payload = backend.data_row(b"1", None, b"")[5:]
    assert messages.decode_data_row(payload, [int, bytes, bytes.decode]) == (1, None, "")


def test_error_response_fields_are_keyed_by_code():
    payload = backend.error("42P01", "no table")[5:]
    fields = messages.parse_fields(payload, "ErrorResponse", "utf-8")
    assert fields == {"S": "ERROR", "V": "ERROR", "C": "42P01", "M": "no table"}


def test_error_response_with_invalid_utf8_is_still_decoded():
    payload = b"Mbad \xff byte\0\0"
    assert messages.parse_fields(payload, "ErrorResponse", "utf-8")["M"] == "bad \ufffd byte"


def test_command_tag_gives_the_row_count():
    assert [messages.rowcount_from_tag(t) for t in ("INSERT 0 3", "SELECT 2", "CREATE TABLE")] == [
        3,
        2,
        -1,
    ]


@pytest.mark.parametrize(
    "payload",
    [
        b"",  # no column count
        struct.pack("!h", 1),  # a column announced, none sent
        struct.pack("!hi", 1, 10) + b"abc",  # value shorter than its length
        struct.pack("!hi", 1, -5),  # negative length other than NULL
        struct.pack("!hi", 1, 1) + b"ab",  # trailing garbage
    ],
    ids=["empty", "missing-column", "short-value", "bad-length", "trailing"],
)
def test_malformed_data_row_raises_protocol_violation(payload):
    with pytest.raises(ProtocolViolation, match="DataRow"):
        messages.parse_data_row_raw(payload)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        struct.pack("!h", 1),
        struct.pack("!hi", 1, 10) + b"abc",
        struct.pack("!hi", 1, -5),
        struct.pack("!hi", 1, 1) + b"ab",
    ],
    ids=["empty", "missing-column", "short-value", "bad-length", "trailing"],
)
def test_malformed_data_row_raises_protocol_violation_when_decoding(payload):
    with pytest.raises(ProtocolViolation, match="DataRow"):
        messages.decode_data_row(payload, [bytes])


def test_data_row_with_more_columns_than_described_is_refused():
    payload = backend.data_row(b"1", b"2")[5:]
    with pytest.raises(ProtocolViolation, match="2 columns"):
        messages.decode_data_row(payload, [int])


@pytest.mark.parametrize(
    ("decoder", "payload"),
    [
        (lambda p: messages.parse_row_description(p, "utf-8"), struct.pack("!h", 1) + b"id"),
        (lambda p: messages.parse_row_description(p, "utf-8"), struct.pack("!h", 1) + b"\xff\0"),
        (lambda p: messages.parse_fields(p, "ErrorResponse", "utf-8"), b"Mno terminator"),
        (messages.parse_backend_key_data, b"\0\0"),
        (messages.parse_ready_for_query, b"X"),
        (messages.parse_parameter_description, struct.pack("!h", 2) + b"\0\0\0\x17"),
        (lambda p: messages.parse_copy_response(p, "CopyInResponse"), b"\x05\0\0"),
        (lambda p: messages.parse_command_complete(p, "utf-8"), b"SELECT 1\0extra"),
    ],
    ids=[
        "truncated-row-description",
        "undecodable-column-name",
        "unterminated-error-field",
        "short-key-data",
        "bad-transaction-status",
        "short-parameter-description",
        "bad-copy-format",
        "trailing-bytes",
    ],
)
def test_malformed_backend_messages_raise_protocol_violation(decoder, payload):
    with pytest.raises(ProtocolViolation, match="malformed"):
        decoder(payload)


def test_unknown_message_type_is_named():
    with pytest.raises(ProtocolViolation, match=r"unknown message type b'\?'"):
        messages.parse_header(b"?\0\0\0\x04", 0)


def test_absurd_length_is_refused_before_reading_the_payload():
    with pytest.raises(ProtocolViolation, match="invalid length"):
        messages.parse_header(b"D\x7f\xff\xff\xff", 0)


def test_long_length_for_a_short_message_type_is_refused():
    with pytest.raises(ProtocolViolation, match=r"ReadyForQuery message .* invalid length"):
        messages.parse_header(b"Z\0\x10\0\0", 0)


def test_length_below_four_is_refused():
    with pytest.raises(ProtocolViolation, match="invalid length 3"):
        messages.parse_header(b"C\0\0\0\x03", 0)


def test_negotiate_protocol_version_lists_the_unknown_options():
    payload = struct.pack("!ii", 0, 1) + b"_pq_.x\0"
    assert messages.parse_negotiate_protocol_version(payload) == (0, ["_pq_.x"])


def test_notification_has_pid_channel_and_payload():
    payload = struct.pack("!i", 9) + b"chan\0hello\0"
    assert messages.parse_notification(payload, "utf-8") == (9, "chan", "hello")
