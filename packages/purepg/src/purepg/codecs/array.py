"""Arrays <-> (nested) lists, in text and binary formats.

Lists are sent as text array literals typed from their elements: every non-NULL element must
encode to the same type (ints widen to the widest int4 / int8 / numeric needed), str elements
(and all-NULL or empty lists) go untyped (OID 0) so the server infers the array type from the
context (``= ANY(%s)`` on an enum column works). Lower bounds other than 1 are dropped on
decoding, as psycopg2 does: ``'[0:1]={1,2}'`` decodes to ``[1, 2]``.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from purepg.codecs import oids
from purepg.codecs.registry import Decoder, Encoded, Encoder
from purepg.errors import DataError, ProgrammingError

if TYPE_CHECKING:
    from purepg.codecs.registry import Registry

_INT_WIDTH = {oids.INT4: 0, oids.INT8: 1, oids.NUMERIC: 2}
_BY_WIDTH = (oids.INT4, oids.INT8, oids.NUMERIC)

# -- encoding


def make_list_encoder(registry: Registry) -> Encoder:
    """A list encoder that encodes the elements with `registry`."""

    def encode_list(value: list[Any]) -> Encoded:
        found: set[int] = set()
        literal = _literal(value, registry, found)
        return (_array_type(found, registry), 0, literal)

    return encode_list


def _literal(items: list[Any], registry: Registry, found: set[int]) -> bytes:
    parts: list[bytes] = []
    for item in items:
        if item is None:
            parts.append(b"NULL")
        elif isinstance(item, list):
            parts.append(_literal(item, registry, found))
        else:
            oid, payload = registry.encode_text(item, "an array literal")
            if payload is None:
                parts.append(b"NULL")
                continue
            found.add(oid)
            parts.append(b'"' + payload.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"')
    return b"{" + b",".join(parts) + b"}"


def _array_type(found: set[int], registry: Registry) -> int:
    if not found:
        return 0
    if len(found) > 1:
        if found <= _INT_WIDTH.keys():
            return registry.array_oid(_BY_WIDTH[max(_INT_WIDTH[oid] for oid in found)])
        names = ", ".join(sorted(registry.type_name(oid) or f"oid {oid}" for oid in found))
        raise ProgrammingError(f"list elements must all have one type, got {names}")
    (element,) = found
    return registry.array_oid(element) if element else 0


# -- text decoding


def make_text_decoder(element: Decoder, delimiter: str = ",") -> Decoder:
    """A decoder of array text literals ``{...}`` whose elements `element` decodes."""
    delim = delimiter.encode()

    def decode_array(data: bytes) -> list[Any]:
        if data[:1] == b"[":  # explicit dimensions: '[0:1]={1,2}'
            data = data[data.index(b"=") + 1 :]
        if data.count(b"{") == 1 and b'"' not in data and b"\\" not in data:
            inner = data[1:-1]
            if not inner:
                return []
            return [None if item == b"NULL" else element(item) for item in inner.split(delim)]
        return _parse(data, element, delim[0])

    return decode_array


def _parse(data: bytes, element: Decoder, delim: int) -> list[Any]:
    """The general parser: nesting, quoting, backslash escapes."""
    stack: list[list[Any]] = []
    result: list[Any] | None = None
    i, end = 0, len(data)
    while i < end:
        char = data[i]
        if char == 0x7B:  # {
            new: list[Any] = []
            if stack:
                stack[-1].append(new)
            elif result is None:
                result = new
            else:
                raise _malformed(data)
            stack.append(new)
            i += 1
        elif char == 0x7D:  # }
            if not stack:
                raise _malformed(data)
            stack.pop()
            i += 1
        elif char == delim or char in b" \t\n\r":
            i += 1
        elif not stack:
            raise _malformed(data)
        elif char == 0x22:  # "
            value, i = _quoted(data, i + 1)
            stack[-1].append(element(value))
        else:
            j = i
            while j < end and data[j] != delim and data[j] != 0x7D:
                j += 1
            token = data[i:j].rstrip()
            stack[-1].append(None if token == b"NULL" else element(token))
            i = j
    if result is None or stack:
        raise _malformed(data)
    return result


def _quoted(data: bytes, start: int) -> tuple[bytes, int]:
    """The value of a quoted element starting after its opening quote, and the next index."""
    close = data.find(b'"', start)
    slash = data.find(b"\\", start)
    if close >= 0 and (slash < 0 or slash > close):
        return data[start:close], close + 1
    out = bytearray()
    i = start
    while i < len(data):
        char = data[i]
        if char == 0x5C:  # backslash: the next byte is literal
            out.append(data[i + 1])
            i += 2
        elif char == 0x22:
            return bytes(out), i + 1
        else:
            out.append(char)
            i += 1
    raise _malformed(data)


def _malformed(data: bytes) -> DataError:
    return DataError(f"malformed array literal: {data[:200].decode(errors='replace')!r}")


# -- binary decoding

_HEADER = struct.Struct("!iiI")
MAX_DIMENSIONS = 6
"""PostgreSQL's limit (MAXDIM)."""
_INT32 = struct.Struct("!i")


def make_binary_decoder(element: Decoder) -> Decoder:
    """A decoder of the binary array format whose elements `element` decodes."""
    unpack_length = _INT32.unpack_from

    def decode_array(data: bytes) -> list[Any]:
        end = len(data)
        if end < _HEADER.size:
            raise _malformed_binary("shorter than its header", data)
        ndim, _flags, _element_oid = _HEADER.unpack_from(data)
        if ndim == 0:
            return []
        pos = 12 + 8 * ndim
        if not 0 < ndim <= MAX_DIMENSIONS or pos > end:
            raise _malformed_binary(f"{ndim} dimensions", data)
        dims = [_INT32.unpack_from(data, 12 + 8 * d)[0] for d in range(ndim)]
        total = 1
        for size in dims:
            total *= size
        if min(dims) < 0 or total * 4 > end - pos:  # every element takes >= 4 bytes
            raise _malformed_binary(f"dimensions {dims} for {end - pos} bytes", data)
        flat: list[Any] = []
        for _ in range(total):
            length = unpack_length(data, pos)[0]
            pos += 4
            if length < 0:
                flat.append(None)
            else:
                stop = pos + length
                if stop > end:
                    raise _malformed_binary("truncated element", data)
                flat.append(element(data[pos:stop]))
                pos = stop
        if pos != end:
            raise _malformed_binary(f"{end - pos} trailing bytes", data)
        return _reshape(flat, dims)

    return decode_array


def _malformed_binary(problem: str, data: bytes) -> DataError:
    return DataError(f"malformed binary array ({problem}): {bytes(data[:64])!r}")


def _reshape(flat: list[Any], dims: list[int]) -> list[Any]:
    for size in reversed(dims[1:]):
        flat = [flat[i : i + size] for i in range(0, len(flat), size)]
    return flat
