"""Composite types (``CREATE TYPE ... AS (...)``, table row types) <-> named tuples.

A composite type's OID differs per database, so it is registered by name on a connection
(``conn.register_composite("schema.name")``): one catalog query gives its OID, its array
type and its attributes, and the registry then decodes it (and arrays of it) to a
`collections.namedtuple` (or a given class, called with the fields in order) and encodes
that class as a text literal typed with the composite's OID.

Each field is decoded with the registry's decoder of its attribute type, so nested
registered composites, arrays, dates... come back typed. Text format follows
PostgreSQL's record input rules: an empty field is NULL, ``""`` an empty string, double
quotes may quote any part of a field (``""`` inside them is one quote) and a backslash
escapes the next character.
"""

from __future__ import annotations

import collections
import keyword
import re
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable

from purepg.codecs.registry import Decoder, Encoded, Encoder
from purepg.errors import DataError, ProgrammingError

if TYPE_CHECKING:
    from purepg.codecs.registry import Registry

_INT32 = struct.Struct("!i")
_NEEDS_QUOTES = re.compile(rb'[",()\\\s]')

# The type (by name, through search_path), its array type and its live attributes, with
# domains replaced by their base type. No row: no such type; attname NULL: not composite.
LOOKUP_QUERY = (
    "SELECT t.oid, t.typarray, a.attname, "
    "CASE f.typtype WHEN 'd' THEN f.typbasetype ELSE a.atttypid END "
    "FROM pg_catalog.pg_type t "
    "LEFT JOIN pg_catalog.pg_attribute a "
    "ON a.attrelid = t.typrelid AND t.typrelid <> 0 AND a.attnum > 0 AND NOT a.attisdropped "
    "LEFT JOIN pg_catalog.pg_type f ON f.oid = a.atttypid "
    "WHERE t.oid = pg_catalog.to_regtype({name}) "
    "ORDER BY a.attnum"
)
LOOKUP_DECODERS: tuple[Decoder, ...] = (int, int, bytes.decode, int)
"""How to decode the columns of `LOOKUP_QUERY`'s rows."""


def lookup_query(name: str) -> str:
    """`LOOKUP_QUERY` for the type ``name`` (a literal: it runs with the simple protocol)."""
    from purepg.sql import quote_literal

    return LOOKUP_QUERY.format(name=quote_literal(name, "the type name"))


def register_from_rows(
    registry: Registry,
    name: str,
    rows: Sequence[tuple[Any, ...]],
    python_type: type | None = None,
) -> type:
    """Register the composite ``name`` found by `lookup_query` (its rows) on ``registry``.

    Returns the class values decode to: ``python_type`` or a new namedtuple.
    """
    if not rows:
        raise ProgrammingError(f"type {name!r} does not exist")
    if rows[0][2] is None:
        raise ProgrammingError(f"type {name!r} is not a composite type")
    oid, array_oid = rows[0][0], rows[0][1]
    names = [row[2] for row in rows]
    field_oids = tuple(row[3] for row in rows)
    cls = python_type if python_type is not None else make_namedtuple(name, names)
    registry.register_composite(oid, cls, field_oids, names, array_oid=array_oid or None, name=name)
    return cls


def make_namedtuple(type_name: str, field_names: Sequence[str]) -> type:
    """A namedtuple class named after the type (its last part) with the attribute names
    (names that are not Python identifiers become ``_0``, ``_1``...)."""
    base = re.sub(r"\W", "_", type_name.rsplit(".", 1)[-1].strip('"'))
    if not base.isidentifier() or keyword.iskeyword(base):
        base = "Composite"
    return collections.namedtuple(base, list(field_names), rename=True)


# -- text decoding


def parse_text(data: bytes) -> list[bytes | None]:
    """The fields of a composite text literal ``(a,"b c",)``: bytes, None for NULL.

    ``()`` gives no field (the server writes it for a single NULL field too).
    """
    if b'"' not in data and b"\\" not in data:  # nothing quoted: most values
        stripped = data.strip()
        inner = stripped[1:-1]
        if (
            stripped[:1] == b"("
            and stripped[-1:] == b")"
            and b"(" not in inner
            and b")" not in inner
        ):
            return [field or None for field in inner.split(b",")] if inner else []
    end = len(data)
    i = 0
    while i < end and data[i] in b" \t\n\r":
        i += 1
    if i == end or data[i] != 0x28:  # (
        raise _malformed(data, "missing left parenthesis")
    i += 1
    fields: list[bytes | None] = []
    if i < end and data[i] == 0x29:  # "()": a composite with no attributes
        return _check_tail(data, i + 1, fields)
    while True:
        if i >= end:
            raise _malformed(data, "unexpected end of input")
        char = data[i]
        if char in (0x2C, 0x29):  # empty field: NULL
            fields.append(None)
        else:
            value, i = _field(data, i)
            fields.append(value)
            char = data[i]
        i += 1
        if char == 0x29:
            return _check_tail(data, i, fields)


def _field(data: bytes, i: int) -> tuple[bytes, int]:
    """One non-NULL field starting at ``i``, and the index of the ``,`` or ``)`` ending it."""
    out = bytearray()
    end = len(data)
    quoted = False
    while i < end:
        char = data[i]
        if char == 0x5C:  # backslash: the next byte as is
            if i + 1 >= end:
                break
            out.append(data[i + 1])
            i += 2
        elif char == 0x22:  # "
            if quoted and i + 1 < end and data[i + 1] == 0x22:
                out.append(0x22)
                i += 2
            else:
                quoted = not quoted
                i += 1
        elif not quoted and char in (0x2C, 0x29):
            return bytes(out), i
        else:
            out.append(char)
            i += 1
    raise _malformed(data, "unterminated quoted field" if quoted else "unexpected end of input")


def _check_tail(data: bytes, i: int, fields: list[bytes | None]) -> list[bytes | None]:
    if data[i:].strip():
        raise _malformed(data, "junk after right parenthesis")
    return fields


def _malformed(data: bytes, problem: str) -> DataError:
    return DataError(f"malformed composite literal ({problem}): {data[:200]!r}")


def make_text_decoder(
    factory: Callable[..., Any], decoders: Sequence[Decoder], type_name: str
) -> Decoder:
    """A decoder of the text form that decodes field i with ``decoders[i]`` and calls
    ``factory(*fields)``."""
    count = len(decoders)

    def decode_composite(data: bytes) -> Any:
        fields = parse_text(data)
        if not fields and count == 1:  # "()" is also one NULL field
            fields = [None]
        if len(fields) != count:
            raise _malformed(data, f"{len(fields)} fields, type {type_name} has {count}")
        values = [
            None if field is None else _decode_field(decoder, field, type_name, index)
            for index, (decoder, field) in enumerate(zip(decoders, fields))
        ]
        return factory(*values)

    return decode_composite


def _decode_field(decoder: Decoder, field: bytes, type_name: str, index: int) -> Any:
    try:
        return decoder(field)
    except (ValueError, TypeError, IndexError, struct.error) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(
            f"cannot decode field {index + 1} of {type_name} from {field[:100]!r}: {exc}"
        ) from exc


# -- binary decoding


def make_binary_decoder(
    factory: Callable[..., Any], decoders: Sequence[Decoder], type_name: str
) -> Decoder:
    """A decoder of the binary form (field count, then per field: type OID, length, bytes)
    that decodes field i with ``decoders[i]`` and calls ``factory(*fields)``."""
    count = len(decoders)

    def decode_composite(data: bytes) -> Any:
        try:
            found = _INT32.unpack_from(data)[0]
            if found != count:
                raise _malformed(data, f"{found} fields, type {type_name} has {count}")
            values: list[Any] = []
            pos = 4
            for index, decoder in enumerate(decoders):
                length = _INT32.unpack_from(data, pos + 4)[0]  # after the field's type OID
                pos += 8
                if length < 0:
                    values.append(None)
                    continue
                if pos + length > len(data):
                    raise _malformed(data, "field longer than the value")
                field = data[pos : pos + length]
                values.append(_decode_field(decoder, field, type_name, index))
                pos += length
        except struct.error as exc:
            raise _malformed(data, "truncated binary value") from exc
        if pos != len(data):
            raise _malformed(data, "junk after the last field")
        return factory(*values)

    return decode_composite


# -- encoding


def make_encoder(
    registry: Registry, oid: int, field_names: Sequence[str], type_name: str
) -> Encoder:
    """An encoder of values (tuples, or objects with the attributes) as text literals typed
    ``oid``; fields are encoded with ``registry``."""
    count = len(field_names)

    def encode_composite(value: Any) -> Encoded:
        if isinstance(value, tuple):
            values: Sequence[Any] = value
        else:
            values = [getattr(value, name) for name in field_names]
        if len(values) != count:
            raise ProgrammingError(
                f"{type(value).__name__} has {len(values)} fields, type {type_name} has {count}"
            )
        return (oid, 0, literal(values, registry))

    return encode_composite


def literal(values: Sequence[Any], registry: Registry) -> bytes:
    """The text literal ``(...)`` of field values, each encoded with ``registry``."""
    parts: list[bytes] = []
    for item in values:
        payload = registry.encode_text(item, "a composite literal")[1]
        if payload is None:
            parts.append(b"")
        elif payload and not _NEEDS_QUOTES.search(payload):
            parts.append(payload)
        else:
            parts.append(b'"' + payload.replace(b"\\", b"\\\\").replace(b'"', b'""') + b'"')
    return b"(" + b",".join(parts) + b")"
