"""Builders of backend (server) messages for the sans-IO protocol tests."""

from __future__ import annotations

import struct


def message(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + struct.pack("!i", len(payload) + 4) + payload


def auth(code: int, data: bytes = b"") -> bytes:
    return message(b"R", struct.pack("!i", code) + data)


def parameter_status(name: str, value: str) -> bytes:
    return message(b"S", name.encode() + b"\0" + value.encode() + b"\0")


def backend_key(pid: int, key: bytes = b"\x01\x02\x03\x04") -> bytes:
    return message(b"K", struct.pack("!i", pid) + key)


def ready(status: bytes = b"I") -> bytes:
    return message(b"Z", status)


def fields(kind: bytes, **values: str) -> bytes:
    body = b"".join(code.encode() + text.encode() + b"\0" for code, text in values.items())
    return message(kind, body + b"\0")


def error(code: str, text: str, severity: str = "ERROR") -> bytes:
    return fields(b"E", S=severity, V=severity, C=code, M=text)


def row_description(*columns: tuple[str, int]) -> bytes:
    body = struct.pack("!h", len(columns))
    for name, oid in columns:
        body += name.encode() + b"\0" + struct.pack("!IhIhih", 0, 0, oid, -1, -1, 0)
    return message(b"T", body)


def data_row(*values: bytes | None) -> bytes:
    body = struct.pack("!h", len(values))
    for value in values:
        body += struct.pack("!i", -1) if value is None else struct.pack("!i", len(value)) + value
    return message(b"D", body)


def command_complete(tag: str) -> bytes:
    return message(b"C", tag.encode() + b"\0")


def split_messages(data: bytes) -> list[tuple[bytes, bytes]]:
    """Frontend messages (after the startup packet) as (type, payload) pairs."""
    result = []
    pos = 0
    while pos < len(data):
        kind = data[pos : pos + 1]
        (length,) = struct.unpack_from("!i", data, pos + 1)
        result.append((kind, data[pos + 5 : pos + 1 + length]))
        pos += 1 + length
    return result


STARTUP_OK = (
    auth(0)
    + parameter_status("server_version", "15.4")
    + parameter_status("client_encoding", "UTF8")
    + backend_key(4242)
    + ready()
)
