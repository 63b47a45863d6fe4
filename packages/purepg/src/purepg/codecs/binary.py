"""bytea <-> bytes."""

from __future__ import annotations

from binascii import unhexlify
from typing import Any

from purepg.codecs import oids
from purepg.codecs.registry import Encoded
from purepg.errors import DataError


def encode_bytes(value: Any) -> Encoded:
    """bytes, bytearray and memoryview: bytea in binary format (no escaping needed)."""
    return (oids.BYTEA, 1, bytes(value))


def decode_bytea_binary(data: bytes) -> bytes:
    """bytea binary: the bytes themselves."""
    return bytes(data)


def decode_bytea_text(data: bytes) -> bytes:
    r"""bytea text: the hex format (``\x0a1b``) or the legacy escape format (``a\012\\``)."""
    if data[:2] == b"\\x":
        return unhexlify(data[2:])
    if b"\\" not in data:
        return bytes(data)
    return _unescape(data)


def _unescape(data: bytes) -> bytes:
    out = bytearray()
    i, end = 0, len(data)
    while i < end:
        j = data.find(b"\\", i)
        if j < 0:
            out += data[i:]
            break
        out += data[i:j]
        if data[j + 1 : j + 2] == b"\\":
            out.append(0x5C)
            i = j + 2
            continue
        octal = data[j + 1 : j + 4]
        if len(octal) != 3 or not all(0x30 <= c <= 0x37 for c in octal):
            raise DataError(
                f"invalid escape in bytea text value at offset {j}: {data[j : j + 4]!r}"
            )
        out.append(int(octal, 8))
        i = j + 4
    return bytes(out)


def encode_bytea_text(value: bytes) -> bytes:
    r"""The hex text format of bytea (``\x...``), for array literals."""
    return b"\\x" + value.hex().encode()
