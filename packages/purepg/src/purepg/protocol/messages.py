"""PostgreSQL v3 wire messages: frontend encoders and backend decoders, pure functions on bytes.

Frontend encoders return complete messages (type byte, length, payload) ready to be written.
Backend decoders take a message's payload (without type byte and length) and raise
``ProtocolViolation`` naming the message for anything malformed; never ``struct.error``,
``IndexError`` or ``UnicodeDecodeError``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Any, Callable, NamedTuple

from purepg.errors import ProgrammingError, ProtocolViolation

PROTOCOL_MAJOR = 3
"""The protocol major version purepg speaks; the minor version is negotiated (0 or 2)."""
SSL_REQUEST_CODE = 80877103
GSSENC_REQUEST_CODE = 80877104
CANCEL_REQUEST_CODE = 80877102

# The longest message purepg accepts. PostgreSQL's own limit on a field is 1 GB, so a data row
# or a COPY chunk can approach it; anything longer is a corrupt length.
MAX_MESSAGE_LENGTH = 0x40000000 + 0x10000
# Messages that are always short; a longer length means the stream is corrupt. A
# notification's channel is a name and its payload shorter than 8000 bytes.
MAX_SHORT_MESSAGE_LENGTH = 0x10000
SHORT_MESSAGE_TYPES = frozenset(b"123cnIsSZKA")
# Errors, notices and row descriptions carry text and names, never data: far below 1 GB
# (a RowDescription has at most 32767 columns of names shorter than NAMEDATALEN).
MAX_TEXT_MESSAGE_LENGTH = 0x1000000
TEXT_MESSAGE_TYPES = frozenset(b"ENT")

# Backend message kinds: the type byte each message starts with, as an int (``data[pos]``).
KIND_AUTHENTICATION = ord("R")
KIND_BACKEND_KEY_DATA = ord("K")
KIND_BIND_COMPLETE = ord("2")
KIND_CLOSE_COMPLETE = ord("3")
KIND_COMMAND_COMPLETE = ord("C")
KIND_COPY_DATA = ord("d")
KIND_COPY_DONE = ord("c")
KIND_COPY_IN_RESPONSE = ord("G")
KIND_COPY_OUT_RESPONSE = ord("H")
KIND_COPY_BOTH_RESPONSE = ord("W")
KIND_DATA_ROW = ord("D")
KIND_EMPTY_QUERY_RESPONSE = ord("I")
KIND_ERROR_RESPONSE = ord("E")
KIND_FUNCTION_CALL_RESPONSE = ord("V")
KIND_NEGOTIATE_PROTOCOL_VERSION = ord("v")
KIND_NO_DATA = ord("n")
KIND_NOTICE_RESPONSE = ord("N")
KIND_NOTIFICATION_RESPONSE = ord("A")
KIND_PARAMETER_DESCRIPTION = ord("t")
KIND_PARAMETER_STATUS = ord("S")
KIND_PARSE_COMPLETE = ord("1")
KIND_PORTAL_SUSPENDED = ord("s")
KIND_READY_FOR_QUERY = ord("Z")
KIND_ROW_DESCRIPTION = ord("T")

BACKEND_MESSAGE_NAMES = {
    KIND_AUTHENTICATION: "Authentication",
    KIND_BACKEND_KEY_DATA: "BackendKeyData",
    KIND_BIND_COMPLETE: "BindComplete",
    KIND_CLOSE_COMPLETE: "CloseComplete",
    KIND_COMMAND_COMPLETE: "CommandComplete",
    KIND_COPY_DATA: "CopyData",
    KIND_COPY_DONE: "CopyDone",
    KIND_COPY_IN_RESPONSE: "CopyInResponse",
    KIND_COPY_OUT_RESPONSE: "CopyOutResponse",
    KIND_COPY_BOTH_RESPONSE: "CopyBothResponse",
    KIND_DATA_ROW: "DataRow",
    KIND_EMPTY_QUERY_RESPONSE: "EmptyQueryResponse",
    KIND_ERROR_RESPONSE: "ErrorResponse",
    KIND_FUNCTION_CALL_RESPONSE: "FunctionCallResponse",
    KIND_NEGOTIATE_PROTOCOL_VERSION: "NegotiateProtocolVersion",
    KIND_NO_DATA: "NoData",
    KIND_NOTICE_RESPONSE: "NoticeResponse",
    KIND_NOTIFICATION_RESPONSE: "NotificationResponse",
    KIND_PARAMETER_DESCRIPTION: "ParameterDescription",
    KIND_PARAMETER_STATUS: "ParameterStatus",
    KIND_PARSE_COMPLETE: "ParseComplete",
    KIND_PORTAL_SUSPENDED: "PortalSuspended",
    KIND_READY_FOR_QUERY: "ReadyForQuery",
    KIND_ROW_DESCRIPTION: "RowDescription",
}

_int16 = struct.Struct("!h")
_int32 = struct.Struct("!i")
_uint32 = struct.Struct("!I")
_header = struct.Struct("!ci")
_unpack_int16 = _int16.unpack_from
_unpack_int32 = _int32.unpack_from
_unpack_column_fields = struct.Struct("!IhIhih").unpack_from
"""A RowDescription field after its name: table OID, column number, type OID, type size,
type modifier, format code."""
_unpack_uint32 = _uint32.unpack_from


# --- frontend ------------------------------------------------------------------------------


def cstring(text: str | bytes, encoding: str = "utf-8", what: str = "string") -> bytes:
    """``text`` encoded and NUL-terminated; a NUL inside cannot be sent and is refused."""
    data = text.encode(encoding) if isinstance(text, str) else text
    if b"\0" in data:
        raise _contains_nul(what)
    return data + b"\0"


def _contains_nul(what: str) -> ProgrammingError:
    return ProgrammingError(f"the {what} contains a NUL (0x00) character, which cannot be sent")


def _message(kind: bytes, payload: bytes) -> bytes:
    return kind + _int32.pack(len(payload) + 4) + payload


def startup_message(params: dict[str, str], encoding: str = "utf-8", minor: int = 0) -> bytes:
    """StartupMessage: protocol 3.``minor`` and the ``user``/``database``/GUC parameters."""
    body = [_int32.pack(PROTOCOL_MAJOR << 16 | minor)]
    for key, value in params.items():
        body.append(cstring(key, encoding, "startup parameter name"))
        body.append(cstring(value, encoding, f"value of startup parameter {key!r}"))
    body.append(b"\0")
    payload = b"".join(body)
    return _int32.pack(len(payload) + 4) + payload


def ssl_request() -> bytes:
    """SSLRequest: ask the server to switch to TLS."""
    return _int32.pack(8) + _int32.pack(SSL_REQUEST_CODE)


def cancel_request(process_id: int, secret_key: bytes) -> bytes:
    """CancelRequest, sent on a new connection to cancel the query running in another."""
    payload = _int32.pack(CANCEL_REQUEST_CODE) + _int32.pack(process_id) + secret_key
    return _int32.pack(len(payload) + 4) + payload


def password_message(data: bytes) -> bytes:
    """PasswordMessage with ``data`` (already NUL-terminated for cleartext and md5)."""
    return _message(b"p", data)


def sasl_initial_response(mechanism: str, data: bytes) -> bytes:
    """SASLInitialResponse: the chosen mechanism and the client-first-message."""
    return _message(b"p", cstring(mechanism, "ascii") + _int32.pack(len(data)) + data)


def sasl_response(data: bytes) -> bytes:
    """SASLResponse: the client-final-message."""
    return _message(b"p", data)


def query(sql: bytes) -> bytes:
    """Query (simple protocol); ``sql`` is already encoded."""
    if b"\0" in sql:
        raise _contains_nul("query")
    return b"Q" + _int32.pack(len(sql) + 5) + sql + b"\0"


def parse(statement: bytes, sql: bytes, param_oids: Sequence[int]) -> bytes:
    """Parse: prepare ``sql`` as ``statement`` (b"" = unnamed) with parameter type OIDs."""
    parts = [cstring(statement, what="statement name"), cstring(sql, what="query")]
    parts.append(_int16.pack(len(param_oids)))
    parts.extend(_uint32.pack(oid) for oid in param_oids)
    return _message(b"P", b"".join(parts))


def bind(
    portal: bytes,
    statement: bytes,
    param_formats: Sequence[int],
    values: Sequence[bytes | None],
    result_formats: Sequence[int],
) -> bytes:
    """Bind: create ``portal`` from ``statement`` with the parameter values (None = NULL)."""
    return bind_values(
        bind_prefix(portal, statement, param_formats), values, bind_suffix(result_formats)
    )


def bind_prefix(portal: bytes, statement: bytes, param_formats: Sequence[int]) -> bytes:
    """The part of a Bind before the values: portal, statement and parameter formats."""
    count = len(param_formats)
    formats = struct.pack(f"!{count}h", *param_formats) if count else b""
    return b"".join((portal, b"\0", statement, b"\0", _int16.pack(count), formats))


def bind_suffix(result_formats: Sequence[int]) -> bytes:
    """The part of a Bind after the values: the result format codes."""
    count = len(result_formats)
    formats = struct.pack(f"!{count}h", *result_formats) if count else b""
    return _int16.pack(count) + formats


def bind_values(prefix: bytes, values: Sequence[bytes | None], suffix: bytes) -> bytes:
    """A Bind from its ``bind_prefix``, the parameter values (None = NULL) and ``bind_suffix``."""
    parts = [b"B", b"", prefix, _int16.pack(len(values))]
    append = parts.append
    pack_length = _int32.pack
    for value in values:
        if value is None:
            append(b"\xff\xff\xff\xff")
        else:
            append(pack_length(len(value)))
            append(value)
    append(suffix)
    parts[1] = pack_length(sum(map(len, parts)) + 3)  # the length counts itself, not b"B"
    return b"".join(parts)


def describe(kind: bytes, name: bytes) -> bytes:
    """Describe a statement (``kind`` b"S") or a portal (b"P")."""
    return _message(b"D", kind + name + b"\0")


def execute(portal: bytes, max_rows: int = 0) -> bytes:
    """Execute ``portal``, returning at most ``max_rows`` rows (0 = all)."""
    return _message(b"E", portal + b"\0" + _int32.pack(max_rows))


def close(kind: bytes, name: bytes) -> bytes:
    """Close a statement (b"S") or a portal (b"P")."""
    return _message(b"C", kind + name + b"\0")


SYNC = b"S\0\0\0\x04"
FLUSH = b"H\0\0\0\x04"
TERMINATE = b"X\0\0\0\x04"
COPY_DONE = b"c\0\0\0\x04"


def copy_data(data: bytes) -> bytes:
    """CopyData carrying ``data``."""
    return _message(b"d", data)


def copy_fail(reason: str) -> bytes:
    """CopyFail: abort COPY FROM STDIN with ``reason``."""
    return _message(b"f", cstring(reason, what="CopyFail reason"))


# --- backend -------------------------------------------------------------------------------


class Column(NamedTuple):
    """One field of a RowDescription."""

    name: str
    table_oid: int
    column_number: int
    type_oid: int
    type_size: int
    type_modifier: int
    format: int


class Notification(NamedTuple):
    """NotificationResponse: a NOTIFY delivered to this session (psycopg2's Notify fields)."""

    pid: int
    channel: str
    payload: str


class CopyResponse(NamedTuple):
    """CopyInResponse / CopyOutResponse / CopyBothResponse."""

    format: int
    column_formats: tuple[int, ...]


class _Reader:
    """Bounds-checked reading of one message payload."""

    __slots__ = ("data", "message", "pos")

    def __init__(self, data: bytes, message: str) -> None:
        self.data = data
        self.pos = 0
        self.message = message

    def fail(self, problem: str) -> ProtocolViolation:
        return ProtocolViolation(f"malformed {self.message} message from the server: {problem}")

    def int16(self) -> int:
        if self.pos + 2 > len(self.data):
            raise self.fail("truncated")
        value: int = _unpack_int16(self.data, self.pos)[0]
        self.pos += 2
        return value

    def int32(self) -> int:
        if self.pos + 4 > len(self.data):
            raise self.fail("truncated")
        value: int = _unpack_int32(self.data, self.pos)[0]
        self.pos += 4
        return value

    def uint32(self) -> int:
        if self.pos + 4 > len(self.data):
            raise self.fail("truncated")
        value: int = _unpack_uint32(self.data, self.pos)[0]
        self.pos += 4
        return value

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise self.fail("truncated")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def raw(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise self.fail("truncated")
        value = self.data[self.pos : self.pos + size]
        self.pos += size
        return value

    def rest(self) -> bytes:
        value = self.data[self.pos :]
        self.pos = len(self.data)
        return value

    def cbytes(self) -> bytes:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise self.fail("unterminated string")
        value = self.data[self.pos : end]
        self.pos = end + 1
        return value

    def cstring(self, encoding: str, errors: str = "strict") -> str:
        raw = self.cbytes()
        try:
            return raw.decode(encoding, errors)
        except UnicodeDecodeError as exc:
            raise self.fail(f"text not valid in client encoding {encoding}: {exc}") from None

    def end(self) -> None:
        if self.pos != len(self.data):
            raise self.fail(f"{len(self.data) - self.pos} unexpected trailing bytes")


def parse_authentication(payload: bytes) -> tuple[int, bytes]:
    """Authentication*: the request code and the rest of the message."""
    reader = _Reader(payload, "Authentication")
    return reader.int32(), reader.rest()


def parse_sasl_mechanisms(data: bytes) -> list[str]:
    """The mechanism names of AuthenticationSASL."""
    reader = _Reader(data, "AuthenticationSASL")
    names = []
    while True:
        name = reader.cstring("ascii")
        if not name:
            break
        names.append(name)
    reader.end()
    return names


def parse_backend_key_data(payload: bytes, minor: int = 0) -> tuple[int, bytes]:
    """BackendKeyData of protocol 3.``minor``: the process id and the secret key (4 bytes in
    3.0, 4 to 256 bytes from 3.2 on)."""
    reader = _Reader(payload, "BackendKeyData")
    pid = reader.int32()
    key = reader.rest()
    if len(key) > 256:
        raise reader.fail(f"secret key of {len(key)} bytes (at most 256)")
    if len(key) != 4 and minor == 0:
        raise reader.fail(f"secret key of {len(key)} bytes (4 in protocol 3.0)")
    if len(key) < 4:
        raise reader.fail(f"secret key of {len(key)} bytes")
    return pid, key


def parse_parameter_status(payload: bytes, encoding: str) -> tuple[str, str]:
    """ParameterStatus: a run-time parameter's name and value."""
    reader = _Reader(payload, "ParameterStatus")
    name = reader.cstring(encoding, "replace")
    value = reader.cstring(encoding, "replace")
    reader.end()
    return name, value


def parse_ready_for_query(payload: bytes) -> str:
    """ReadyForQuery: the transaction status, "I" (idle), "T" (in a block) or "E" (failed)."""
    if len(payload) != 1 or payload not in (b"I", b"T", b"E"):
        raise ProtocolViolation(
            f"malformed ReadyForQuery message from the server: status {payload!r}"
        )
    return chr(payload[0])


def parse_fields(payload: bytes, message: str, encoding: str) -> dict[str, str]:
    """ErrorResponse / NoticeResponse: the fields by one-letter code (undecodable text replaced)."""
    reader = _Reader(payload, message)
    fields: dict[str, str] = {}
    while True:
        code = reader.byte()
        if code == 0:
            break
        fields[chr(code)] = reader.cstring(encoding, "replace")
    reader.end()
    return fields


def parse_row_description(payload: bytes, encoding: str) -> list[Column]:
    """RowDescription: one ``Column`` per field."""
    columns: list[Column] = []
    try:
        count = _unpack_int16(payload, 0)[0]
        pos = 2
        for _ in range(count):
            end = payload.index(b"\0", pos)
            name = payload[pos:end].decode(encoding)
            columns.append(Column(name, *_unpack_column_fields(payload, end + 1)))
            pos = end + 19
        if pos == len(payload) and count >= 0:
            return columns
    except (ValueError, struct.error):  # UnicodeDecodeError too
        pass
    return _parse_row_description_checked(payload, encoding)


def _parse_row_description_checked(payload: bytes, encoding: str) -> list[Column]:
    """``parse_row_description`` field by field: the error names what is wrong."""
    reader = _Reader(payload, "RowDescription")
    count = reader.int16()
    if count < 0:
        raise reader.fail(f"field count {count}")
    columns = []
    for _ in range(count):
        name = reader.cstring(encoding)
        table_oid = reader.uint32()
        column_number = reader.int16()
        type_oid = reader.uint32()
        type_size = reader.int16()
        type_modifier = reader.int32()
        fmt = reader.int16()
        columns.append(
            Column(name, table_oid, column_number, type_oid, type_size, type_modifier, fmt)
        )
    reader.end()
    return columns


def parse_parameter_description(payload: bytes) -> list[int]:
    """ParameterDescription: the type OIDs of a statement's parameters."""
    reader = _Reader(payload, "ParameterDescription")
    count = reader.int16()
    if count < 0:
        raise reader.fail(f"parameter count {count}")
    oids = [reader.uint32() for _ in range(count)]
    reader.end()
    return oids


def parse_command_complete(payload: bytes, encoding: str) -> str:
    """CommandComplete: the command tag (``"INSERT 0 1"``, ``"SELECT 3"``...)."""
    end = len(payload) - 1
    if end >= 0 and payload.find(b"\0") == end:  # the usual, well-formed tag
        try:
            return payload[:end].decode(encoding)
        except UnicodeDecodeError:
            pass  # the reader below reports it
    reader = _Reader(payload, "CommandComplete")
    tag = reader.cstring(encoding)
    reader.end()
    return tag


_COUNTED_COMMANDS = (
    "INSERT ",
    "UPDATE ",
    "DELETE ",
    "SELECT ",
    "MOVE ",
    "FETCH ",
    "COPY ",
    "MERGE ",
)


def rowcount_from_tag(tag: str) -> int:
    """The row count a command tag reports, -1 when it reports none."""
    if tag.startswith(_COUNTED_COMMANDS):
        last = tag.rpartition(" ")[2]
        if last.isdigit():
            return int(last)
    return -1


def parse_notification(payload: bytes, encoding: str) -> Notification:
    """NotificationResponse: sender pid, channel and payload."""
    reader = _Reader(payload, "NotificationResponse")
    pid = reader.int32()
    channel = reader.cstring(encoding, "replace")
    text = reader.cstring(encoding, "replace")
    reader.end()
    return Notification(pid, channel, text)


def parse_copy_response(payload: bytes, message: str) -> CopyResponse:
    """CopyIn/Out/BothResponse: overall format and per-column formats."""
    reader = _Reader(payload, message)
    fmt = reader.byte()
    count = reader.int16()
    if fmt not in (0, 1) or count < 0:
        raise reader.fail(f"format {fmt}, {count} columns")
    formats = tuple(reader.int16() for _ in range(count))
    reader.end()
    return CopyResponse(fmt, formats)


def parse_negotiate_protocol_version(payload: bytes) -> tuple[int, list[str]]:
    """NegotiateProtocolVersion: the newest version the server supports (major << 16 | minor)
    and the options it did not recognise."""
    reader = _Reader(payload, "NegotiateProtocolVersion")
    minor = reader.int32()
    count = reader.int32()
    if count < 0 or count > len(payload):
        raise reader.fail(f"option count {count}")
    options = [reader.cstring("utf-8", "replace") for _ in range(count)]
    reader.end()
    return minor, options


def parse_empty(payload: bytes, message: str) -> None:
    """Messages without content (ParseComplete, BindComplete, NoData, ...)."""
    if payload:
        raise ProtocolViolation(
            f"malformed {message} message from the server: {len(payload)} unexpected bytes"
        )


Decoder = Callable[[bytes], Any]


def _row_violation(problem: str) -> ProtocolViolation:
    return ProtocolViolation(f"malformed DataRow message from the server: {problem}")


def parse_data_row_raw(payload: bytes) -> tuple[bytes | None, ...]:
    """DataRow: the column values as bytes (None for NULL), not decoded."""
    end = len(payload)
    try:
        count = _unpack_int16(payload, 0)[0]
        values: list[bytes | None] = []
        pos = 2
        for _ in range(count):
            size = _unpack_int32(payload, pos)[0]
            pos += 4
            if size < 0:
                if size != -1:
                    raise _row_violation(f"column length {size}")
                values.append(None)
            else:
                values.append(payload[pos : pos + size])
                pos += size
    except struct.error:
        raise _row_violation("truncated") from None
    if pos != end:
        raise _row_violation("truncated" if pos > end else f"{end - pos} trailing bytes")
    return tuple(values)


def data_row_columns(payloads: Iterable[bytes], count: int) -> list[list[bytes | None]]:
    """DataRows of ``count`` columns, transposed: one list per column holding its values
    (bytes, None for NULL), in row order, to be decoded a column at a time.

    The framing is checked as ``parse_data_row_raw`` does; a row with another number of
    columns, a bad length or trailing bytes raises ProtocolViolation.
    """
    columns: list[list[bytes | None]] = [[] for _ in range(count)]
    appends = [column.append for column in columns]
    header = _int16.pack(count)
    unpack_length = _unpack_int32
    payload = b""
    pos = 0
    try:
        for payload in payloads:
            if payload[:2] != header:
                found = _unpack_int16(payload, 0)[0]
                raise _row_violation(f"{found} columns, the RowDescription announced {count}")
            pos = 2
            for append in appends:
                (size,) = unpack_length(payload, pos)
                start = pos + 4
                if size >= 0:
                    pos = start + size
                    append(payload[start:pos])  # short if truncated: caught by the end check
                elif size == -1:
                    pos = start
                    append(None)
                else:
                    raise _row_violation(f"column length {size}")
            if pos != len(payload):
                break
    except struct.error:
        raise _row_violation("truncated") from None
    if pos != len(payload):
        end = len(payload)
        raise _row_violation("truncated" if pos > end else f"{end - pos} trailing bytes")
    return columns


def decode_data_row(payload: bytes, decoders: Sequence[Decoder]) -> tuple[Any, ...]:
    """DataRow decoded column by column: ``decoders[i]`` turns column i's bytes into a value.

    The hot path of reading results: one pass, no per-column bounds checks (a bad length
    shows up as a wrong end position, or a truncated read, and is reported as malformed).
    Errors raised by a decoder propagate unchanged (``struct.error`` too: the framing is
    checked again before it is blamed on the DataRow).
    """
    row: list[Any] = []
    append = row.append
    pos = 2
    try:
        if _unpack_int16(payload, 0)[0] != len(decoders):
            raise _row_violation(
                f"{_unpack_int16(payload, 0)[0]} columns, the RowDescription announced "
                f"{len(decoders)}"
            )
        for decoder in decoders:
            size = _unpack_int32(payload, pos)[0]
            pos += 4
            if size >= 0:
                stop = pos + size
                append(decoder(payload[pos:stop]))
                pos = stop
            elif size == -1:
                append(None)
            else:
                raise _row_violation(f"column length {size}")
    except struct.error:
        parse_data_row_raw(payload)  # a truncated DataRow raises ProtocolViolation here
        raise  # the framing is sound: a decoder failed on its value
    if pos != len(payload):
        end = len(payload)
        raise _row_violation("truncated" if pos > end else f"{end - pos} trailing bytes")
    return tuple(row)


def _max_length(kind: int) -> int:
    if kind in SHORT_MESSAGE_TYPES:
        return MAX_SHORT_MESSAGE_LENGTH
    if kind in TEXT_MESSAGE_TYPES:
        return MAX_TEXT_MESSAGE_LENGTH
    return MAX_MESSAGE_LENGTH


MAX_PAYLOAD_LENGTHS: dict[int, int] = {
    kind: _max_length(kind) - 4 for kind in BACKEND_MESSAGE_NAMES
}
"""The largest valid payload of each backend message type (what ``parse_header`` checks)."""


def parse_header(data: bytes, pos: int) -> tuple[int, int]:
    """The type byte and the payload length of the message starting at ``data[pos]``.

    Unknown types and impossible lengths raise ``ProtocolViolation`` at once, before waiting
    for a payload that may never come.
    """
    kind = data[pos]
    length: int = _unpack_int32(data, pos + 1)[0]
    name = BACKEND_MESSAGE_NAMES.get(kind)
    if name is None:
        raise ProtocolViolation(
            f"unknown message type {bytes([kind])!r} (0x{kind:02x}) from the server; "
            "the connection is out of step or not a PostgreSQL server"
        )
    if length < 4 or length - 4 > MAX_PAYLOAD_LENGTHS[kind]:
        raise ProtocolViolation(f"{name} message from the server with invalid length {length}")
    return kind, length - 4
