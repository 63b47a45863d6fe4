"""Ranges and multiranges <-> `purepg.types.Range` (a multirange is a list of Range).

A Range is sent typed from its bounds where that is unambiguous: date -> daterange, naive
datetime -> tsrange, aware datetime -> tstzrange, Decimal -> numrange; int bounds (int4range,
int8range or numrange?), str bounds and empty ranges go untyped (OID 0): the server infers
the type from the context.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, Callable

from purepg.codecs import oids
from purepg.codecs.registry import Decoder, Encoded, Encoder
from purepg.errors import DataError, ProgrammingError
from purepg.types import Range

if TYPE_CHECKING:
    from purepg.codecs.registry import Registry

_RANGE_FOR_BOUND = {
    oids.DATE: oids.DATERANGE,
    oids.TIMESTAMP: oids.TSRANGE,
    oids.TIMESTAMPTZ: oids.TSTZRANGE,
    oids.NUMERIC: oids.NUMRANGE,
}
_EMPTY = Range[Any](empty=True)

# -- encoding


def make_range_encoder(registry: Registry) -> Encoder:
    """A Range encoder that encodes the bounds with `registry`."""

    def encode_range(value: Range[Any]) -> Encoded:
        if value.isempty:
            return (0, 0, b"empty")
        found: set[int] = set()
        text = range_literal(value, lambda bound: _bound(bound, registry, found))
        if len(found) > 1:
            if found <= {oids.INT4, oids.INT8, oids.NUMERIC} and oids.NUMERIC in found:
                found = {oids.NUMERIC}
            elif not found <= {oids.INT4, oids.INT8}:
                raise ProgrammingError(f"Range bounds must have one type: {value!r}")
        oid = _RANGE_FOR_BOUND.get(found.pop(), 0) if len(found) == 1 else 0
        return (oid, 0, text)

    return encode_range


def _bound(value: Any, registry: Registry, found: set[int]) -> bytes:
    """The text of a range bound encoded by ``registry``; its type OID goes to ``found``."""
    oid, fmt, payload = registry.encode(value)
    if payload is None or fmt != 0:
        raise ProgrammingError(f"cannot use {type(value).__name__} {value!r} as a range bound")
    found.add(oid)
    return payload


def _str_bytes(bound: Any) -> bytes:
    return str(bound).encode()


def range_literal(value: Range[Any], bound_text: Callable[[Any], bytes] = _str_bytes) -> bytes:
    """The text literal of ``value``: ``empty``, or ``[lower,upper)`` with each finite bound's
    ``bound_text`` (default: ``str``) double-quoted with backslash escapes, an infinite one
    left out. The one range formatter of purepg and pgfacade."""
    if value.isempty:
        return b"empty"
    lower = b"" if value.lower is None else _quoted(bound_text(value.lower))
    upper = b"" if value.upper is None else _quoted(bound_text(value.upper))
    return value.bounds[0].encode() + lower + b"," + upper + value.bounds[1].encode()


def _quoted(text: bytes) -> bytes:
    return b'"' + text.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


# -- text decoding


def make_text_decoder(element: Decoder) -> Decoder:
    """A decoder of range text literals ``[lower,upper)`` whose bounds `element` decodes."""

    def decode_range(data: bytes) -> Range[Any]:
        value, end = _parse_range(data, 0, element)
        if end != len(data):
            raise _malformed("range", data)
        return value

    return decode_range


def _parse_range(data: bytes, start: int, element: Decoder) -> tuple[Range[Any], int]:
    """Parse one range starting at `start`; return it and the index after it."""
    if data[start : start + 5] == b"empty":
        return _EMPTY, start + 5
    opening = data[start : start + 1]
    if opening not in (b"[", b"("):
        raise _malformed("range", data)
    lower, i = _parse_bound(data, start + 1, element)
    if data[i : i + 1] != b",":
        raise _malformed("range", data)
    upper, i = _parse_bound(data, i + 1, element)
    closing = data[i : i + 1]
    if closing not in (b"]", b")"):
        raise _malformed("range", data)
    return Range(lower, upper, opening.decode() + closing.decode()), i + 1


def _parse_bound(data: bytes, i: int, element: Decoder) -> tuple[Any, int]:
    """A bound: empty (infinite), quoted (backslash escapes, doubled quotes) or bare."""
    if data[i : i + 1] == b'"':
        out = bytearray()
        i += 1
        while True:
            if i >= len(data):
                raise _malformed("range", data)
            char = data[i]
            if char == 0x5C:
                out.append(data[i + 1])
                i += 2
            elif char == 0x22:
                if data[i + 1 : i + 2] == b'"':
                    out.append(0x22)
                    i += 2
                else:
                    return element(bytes(out)), i + 1
            else:
                out.append(char)
                i += 1
    j = i
    while j < len(data) and data[j] not in b",)]":
        j += 1
    if j == i:
        return None, j
    return element(data[i:j]), j


def make_multirange_text_decoder(element: Decoder) -> Decoder:
    """A decoder of multirange literals ``{[1,3),[5,7)}`` to a list of Range."""

    def decode_multirange(data: bytes) -> list[Range[Any]]:
        if data[:1] != b"{" or data[-1:] != b"}":
            raise _malformed("multirange", data)
        ranges: list[Range[Any]] = []
        i, end = 1, len(data) - 1
        while i < end:
            if data[i] in b", ":
                i += 1
                continue
            value, i = _parse_range(data, i, element)
            ranges.append(value)
        return ranges

    return decode_multirange


def _malformed(kind: str, data: bytes) -> DataError:
    return DataError(f"malformed {kind} literal: {data[:200].decode(errors='replace')!r}")


# -- binary decoding

_EMPTY_FLAG, _LB_INC, _UB_INC, _LB_INF, _UB_INF = 0x01, 0x02, 0x04, 0x08, 0x10
_INT32 = struct.Struct("!i")


def _decode_binary(data: bytes, element: Decoder) -> Range[Any]:
    if not data:
        raise _malformed_binary("empty", data)
    flags = data[0]
    if flags & _EMPTY_FLAG:
        return _EMPTY
    pos = 1
    lower: Any | None = None
    upper: Any | None = None
    if not flags & _LB_INF:
        lower, pos = _binary_bound(data, pos, element)
    if not flags & _UB_INF:
        upper, pos = _binary_bound(data, pos, element)
    if pos != len(data):
        raise _malformed_binary(f"{len(data) - pos} trailing bytes", data)
    bounds = ("[" if flags & _LB_INC else "(") + ("]" if flags & _UB_INC else ")")
    return Range(lower, upper, bounds)


def _binary_bound(data: bytes, pos: int, element: Decoder) -> tuple[Any, int]:
    """A length-prefixed bound at ``pos``, and the position after it."""
    start = pos + 4
    if start > len(data):
        raise _malformed_binary("truncated bound length", data)
    stop = start + _INT32.unpack_from(data, pos)[0]
    if not start <= stop <= len(data):
        raise _malformed_binary("bad bound length", data)
    return element(data[start:stop]), stop


def _malformed_binary(problem: str, data: bytes) -> DataError:
    return DataError(f"malformed binary range ({problem}): {bytes(data[:64])!r}")


def make_binary_decoder(element: Decoder) -> Decoder:
    """A decoder of binary ranges: flags byte, then length-prefixed present bounds."""

    def decode_range(data: bytes) -> Range[Any]:
        return _decode_binary(data, element)

    return decode_range


def make_multirange_binary_decoder(range_decoder: Decoder) -> Decoder:
    """A decoder of binary multiranges: count, then length-prefixed binary ranges."""

    def decode_multirange(data: bytes) -> list[Range[Any]]:
        end = len(data)
        if end < 4:
            raise _malformed_binary("multirange shorter than its count", data)
        count = _INT32.unpack_from(data)[0]
        if count < 0 or count * 4 > end - 4:
            raise _malformed_binary(f"multirange of {count} ranges in {end} bytes", data)
        pos = 4
        ranges: list[Range[Any]] = []
        for _ in range(count):
            if pos + 4 > end:
                raise _malformed_binary("truncated multirange", data)
            start = pos + 4
            stop = start + _INT32.unpack_from(data, pos)[0]
            if not start <= stop <= end:
                raise _malformed_binary("bad range length in a multirange", data)
            ranges.append(range_decoder(data[start:stop]))
            pos = stop
        if pos != end:
            raise _malformed_binary(f"{end - pos} trailing bytes after a multirange", data)
        return ranges

    return decode_multirange
