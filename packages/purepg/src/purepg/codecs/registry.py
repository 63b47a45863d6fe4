"""Which codec encodes a Python value, which decodes a column: the codec registry.

Design
------
*Lazy families.* Codec functions live in one module per type family (`numeric`, `text`,
`binary`, `datetime`, `json`, `uuid`, `net`, `array`, `range`, `hstore`, `misc`). This module
imports none of them: its tables name functions as ``"module:function"`` strings, and
Python types by their qualified name (``"decimal.Decimal"``), so ``import purepg`` does not
import decimal, uuid, json, ipaddress or datetime. A family module is imported the first time a
value of its types is encoded or a column of its types is decoded.

*Hot paths.* Both directions end in plain dict hits on resolved callables:
``encode()`` looks up ``type(value)`` in a cache of encoders (filled on the first value of each
type by walking the class's MRO, so subclasses and Enum members work), and ``decoder()`` caches
one callable per ``(oid, format)``. The connection asks for the decoder of each column once per
result and calls it per row; the decoders are small functions or C builtins (``int``,
``float``, ``bytes.decode``) with no per-call table lookups.

*Container types.* Arrays, ranges and multiranges are built from their element's decoder when
first asked for, so a custom element codec also applies inside arrays of it. Composite types
(registered by name per connection, see `purepg.codecs.composite`) are built the same way
from their fields' decoders, and their Python class encodes with the fields' encoders.

*Per connection.* ``default_registry`` holds the built-in codecs and global registrations.
A connection works on ``default_registry.copy()``: per-connection registrations (hstore's OID,
enums, custom adapters) never leak into other connections. Registrations on
``default_registry`` apply to connections opened afterwards.

*Server settings.* Decoders assume what the connection sets up: ``client_encoding=UTF8`` (any
other is refused: `purepg.protocol.client_encoding`), ``DateStyle=ISO`` and
``IntervalStyle=postgres``; ``integer_datetimes`` is always on since PostgreSQL 10. Text bytea
accepts both ``bytea_output`` formats (hex and escape).

Encoding returns ``(type OID, format, payload)``: OID 0 lets the server infer the type (str is
sent that way, so ``%s::date`` or comparing with an enum column works); payload None is NULL.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, Optional, Union

from purepg.codecs import oids
from purepg.errors import ProgrammingError

Encoded = tuple[int, int, Optional[bytes]]
"""(parameter type OID or 0, format code 0 text / 1 binary, payload or None for NULL)."""
Decoder = Callable[[bytes], Any]
Encoder = Callable[[Any], Encoded]
CodecRef = Union[str, Callable[..., Any], None]
"""A callable, a lazily imported ``"module:function"`` of `purepg.codecs`, or None."""

TEXT, BINARY = 0, 1
_NULL: Encoded = (0, 0, None)


class TypeCodec(NamedTuple):
    """How one server type decodes.

    ``kind`` is ``"scalar"`` (``text`` / ``binary`` are the decoders), ``"array"`` /
    ``"range"`` (``element`` is the element OID), ``"multirange"`` (``element`` is the range
    OID), ``"json"`` (decoded with the registry's ``json_loads``) or ``"composite"``
    (``fields`` are the attributes' names and type OIDs, ``factory`` builds the value).
    """

    name: str
    text: CodecRef = None
    binary: CodecRef = None
    prefer_binary: bool = False
    kind: str = "scalar"
    element: int = 0
    delimiter: str = ","
    fields: tuple[tuple[str, int], ...] = ()
    factory: Callable[..., Any] | None = None


def _scalar(name: str, text: CodecRef, binary: CodecRef = None, prefer: bool = False) -> TypeCodec:
    return TypeCodec(name, text, binary, prefer)


_STR: Decoder = bytes.decode
_BYTES: Decoder = bytes

# prefer_binary (what result_format() asks for) where binary decoding is faster or independent
# of server settings: bool, bytea, uuid, date/time/timestamp, interval. Integers and float8 stay
# text: int(b"123") and float(b"1.5") beat unpacking in CPython and give the same values.
_BUILTIN_TYPES: dict[int, TypeCodec] = {
    oids.BOOL: _scalar("bool", "numeric:decode_bool_text", "numeric:decode_bool_binary", True),
    oids.INT2: _scalar("int2", int, "numeric:decode_int_binary"),
    oids.INT4: _scalar("int4", int, "numeric:decode_int_binary"),
    oids.INT8: _scalar("int8", int, "numeric:decode_int_binary"),
    oids.OID: _scalar("oid", int, "numeric:decode_uint_binary"),
    # float4 binary is the exact float32 (1.100000023841858 for 1.1): text gives 1.1
    oids.FLOAT4: _scalar("float4", float, "numeric:decode_float4_binary"),
    oids.FLOAT8: _scalar("float8", float, "numeric:decode_float8_binary"),
    oids.NUMERIC: _scalar(
        "numeric", "numeric:decode_numeric_text", "numeric:decode_numeric_binary"
    ),
    oids.MONEY: _scalar("money", _STR),
    oids.TEXT: _scalar("text", _STR, _STR, True),
    oids.VARCHAR: _scalar("varchar", _STR, _STR, True),
    oids.BPCHAR: _scalar("bpchar", _STR, _STR, True),
    oids.NAME: _scalar("name", _STR, _STR, True),
    oids.CHAR: _scalar("char", _STR, "text:decode_char_binary"),
    oids.UNKNOWN_LITERAL: _scalar("unknown", _STR, _STR),
    oids.XML: _scalar("xml", _STR, _STR),
    oids.BYTEA: _scalar("bytea", "binary:decode_bytea_text", "binary:decode_bytea_binary", True),
    oids.DATE: _scalar("date", "datetime:decode_date_text", "datetime:decode_date_binary", True),
    oids.TIME: _scalar("time", "datetime:decode_time_text", "datetime:decode_time_binary", True),
    oids.TIMETZ: _scalar("timetz", "datetime:decode_timetz_text", "datetime:decode_timetz_binary"),
    oids.TIMESTAMP: _scalar(
        "timestamp", "datetime:decode_timestamp_text", "datetime:decode_timestamp_binary", True
    ),
    # timestamptz stays text so that values keep the session time zone's offset (as psycopg2)
    oids.TIMESTAMPTZ: _scalar(
        "timestamptz", "datetime:decode_timestamptz_text", "datetime:decode_timestamptz_binary"
    ),
    oids.INTERVAL: _scalar(
        "interval", "datetime:decode_interval_text", "datetime:decode_interval_binary", True
    ),
    oids.UUID: _scalar("uuid", "uuid:decode_uuid_text", "uuid:decode_uuid_binary", True),
    oids.JSON: TypeCodec("json", kind="json"),
    oids.JSONB: TypeCodec("jsonb", kind="json"),
    oids.JSONPATH: _scalar("jsonpath", _STR, "text:decode_jsonpath_binary"),
    oids.INET: _scalar("inet", "net:decode_inet_text", "net:decode_inet_binary"),
    oids.CIDR: _scalar("cidr", "net:decode_cidr_text", "net:decode_cidr_binary"),
}
# Types decoded as str from text format (no binary decoder: binary gives bytes).
for _oid, _name in (
    (oids.MACADDR, "macaddr"),
    (oids.MACADDR8, "macaddr8"),
    (oids.BIT, "bit"),
    (oids.VARBIT, "varbit"),
    (oids.TSVECTOR, "tsvector"),
    (oids.TSQUERY, "tsquery"),
    (oids.POINT, "point"),
    (oids.LINE, "line"),
    (oids.LSEG, "lseg"),
    (oids.BOX, "box"),
    (oids.PATH, "path"),
    (oids.POLYGON, "polygon"),
    (oids.CIRCLE, "circle"),
    (oids.PG_LSN, "pg_lsn"),
    (oids.XID, "xid"),
    (oids.XID8, "xid8"),
    (oids.CID, "cid"),
    (oids.TID, "tid"),
    (oids.REGPROC, "regproc"),
    (oids.REGPROCEDURE, "regprocedure"),
    (oids.REGOPER, "regoper"),
    (oids.REGOPERATOR, "regoperator"),
    (oids.REGCLASS, "regclass"),
    (oids.REGTYPE, "regtype"),
    (oids.REGCONFIG, "regconfig"),
    (oids.REGDICTIONARY, "regdictionary"),
    (oids.REGNAMESPACE, "regnamespace"),
    (oids.REGROLE, "regrole"),
    (oids.REGCOLLATION, "regcollation"),
    (oids.REFCURSOR, "refcursor"),
    (oids.ACLITEM, "aclitem"),
    (oids.INT2VECTOR, "int2vector"),
    (oids.OIDVECTOR, "oidvector"),
    (oids.TXID_SNAPSHOT, "txid_snapshot"),
    (oids.PG_SNAPSHOT, "pg_snapshot"),
    (oids.CSTRING, "cstring"),
    (oids.VOID, "void"),
    (oids.RECORD, "record"),
):
    _BUILTIN_TYPES[_oid] = _scalar(_name, _STR)
for _oid, _element in oids.RANGE_OF.items():
    _BUILTIN_TYPES[_oid] = TypeCodec(f"range of {_element}", kind="range", element=_element)
for _oid, _element in oids.MULTIRANGE_OF.items():
    _BUILTIN_TYPES[_oid] = TypeCodec(
        f"multirange of {_element}", kind="multirange", element=_element
    )
for _element, _array in oids.ARRAY_OF.items():
    _delimiter = ";" if _element == oids.BOX else ","
    _BUILTIN_TYPES[_array] = TypeCodec(
        f"array of {_element}", kind="array", element=_element, delimiter=_delimiter
    )

# Python type (qualified name, looked up along the MRO) -> encoder.
_BUILTIN_ENCODERS: dict[str, str] = {
    "builtins.str": "text:encode_str",
    "builtins.bool": "numeric:encode_bool",
    "builtins.int": "numeric:encode_int",
    "builtins.float": "numeric:encode_float",
    "decimal.Decimal": "numeric:encode_decimal",
    "fractions.Fraction": "numeric:encode_any_numeric",
    "builtins.bytes": "binary:encode_bytes",
    "builtins.bytearray": "binary:encode_bytes",
    "builtins.memoryview": "binary:encode_bytes",
    "datetime.datetime": "datetime:encode_datetime",
    "datetime.date": "datetime:encode_date",
    "datetime.time": "datetime:encode_time",
    "datetime.timedelta": "datetime:encode_timedelta",
    "purepg.types.Interval": "datetime:encode_interval",
    "uuid.UUID": "uuid:encode_uuid",
    "ipaddress.IPv4Address": "net:encode_inet",
    "ipaddress.IPv6Address": "net:encode_inet",
    "ipaddress.IPv4Interface": "net:encode_inet",
    "ipaddress.IPv6Interface": "net:encode_inet",
    "ipaddress.IPv4Network": "net:encode_cidr",
    "ipaddress.IPv6Network": "net:encode_cidr",
    "purepg.codecs.hstore.Hstore": "hstore:encode_hstore",
}
# Encoders that need the registry (to encode elements, or for json_dumps): factories called
# with the registry, returning the encoder.
_BUILTIN_ENCODER_FACTORIES: dict[str, str] = {
    "builtins.list": "array:make_list_encoder",
    "builtins.dict": "json:make_dict_encoder",
    "purepg.types.Json": "json:make_json_encoder",
    "purepg.types.Range": "range:make_range_encoder",
    "enum.Enum": "misc:make_enum_encoder",
}


def _resolve(ref: CodecRef) -> Any:
    if ref is None or not isinstance(ref, str):
        return ref
    module_name, _, attribute = ref.partition(":")
    module = importlib.import_module(f"purepg.codecs.{module_name}")
    return getattr(module, attribute)


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


HSTORE_QUERY = "SELECT oid, typarray FROM pg_catalog.pg_type WHERE typname = 'hstore'"
"""The OID and array OID of hstore (an extension) in the current database: no row without it."""


class Registry:
    """OID <-> decoder and Python type -> encoder tables, with lazily imported codecs."""

    def __init__(self) -> None:
        self._types: dict[int, TypeCodec] = dict(_BUILTIN_TYPES)
        self._array_of: dict[int, int] = dict(oids.ARRAY_OF)
        self._encoder_refs: dict[str, str] = dict(_BUILTIN_ENCODERS)
        self._encoder_factories: dict[str, str] = dict(_BUILTIN_ENCODER_FACTORIES)
        self._custom_encoders: dict[type, Encoder] = {}
        self._composite_classes: dict[type, int] = {}
        self._encoders: dict[type, Encoder] = {}
        self._decoders: dict[tuple[int, int], Decoder] = {}
        self.json_loads: Callable[[str | bytes], Any] | None = None
        """json/jsonb decoder; None: `json.loads`."""
        self.json_dumps: Callable[[Any], str] | None = None
        """json/jsonb encoder for dict / Json / Jsonb; None: `json.dumps`."""
        self.generation = 0
        """Counts the registrations that changed decoders: a cache of decoders built at
        another generation is stale."""

    # -- encoding

    def encode_all(self, values: Sequence[Any]) -> tuple[list[int], list[int], list[bytes | None]]:
        """The parameter OIDs, format codes and payloads of a query's values, in order."""
        encoders = self._encoders
        oids: list[int] = []
        formats: list[int] = []
        payloads: list[bytes | None] = []
        for value in values:
            if value is None:
                oid, fmt, payload = _NULL
            else:
                cls = type(value)
                encoder = encoders.get(cls)
                if encoder is None:
                    encoder = self._find_encoder(cls)
                oid, fmt, payload = encoder(value)
            oids.append(oid)
            formats.append(fmt)
            payloads.append(payload)
        return oids, formats, payloads

    def encode_many(
        self, rows: Iterable[Sequence[Any]]
    ) -> list[tuple[list[int], list[int], list[bytes | None]]]:
        """``encode_all`` of each row; each column's encoder is looked up again only when
        the column's value type differs from the row before."""
        column_types: list[type] = []
        column_encoders: list[Encoder] = []
        encoded: list[tuple[list[int], list[int], list[bytes | None]]] = []
        for values in rows:
            if len(values) != len(column_types):
                column_types = [type(None)] * len(values)
                column_encoders = [self.encode] * len(values)
            oids: list[int] = []
            formats: list[int] = []
            payloads: list[bytes | None] = []
            for index, value in enumerate(values):
                if value is None:
                    oid, fmt, payload = _NULL
                else:
                    cls = type(value)
                    if cls is not column_types[index]:
                        encoder = self._encoders.get(cls)
                        if encoder is None:
                            encoder = self._find_encoder(cls)
                        column_types[index] = cls
                        column_encoders[index] = encoder
                    oid, fmt, payload = column_encoders[index](value)
                oids.append(oid)
                formats.append(fmt)
                payloads.append(payload)
            encoded.append((oids, formats, payloads))
        return encoded

    def encode(self, value: Any) -> Encoded:
        """``(type OID or 0, format code, payload or None)`` for a query parameter."""
        if value is None:
            return _NULL
        encoder = self._encoders.get(type(value))
        if encoder is None:
            encoder = self._find_encoder(type(value))
        return encoder(value)

    def encode_text(self, value: Any, literal: str) -> tuple[int, bytes | None]:
        """``(type OID, text payload or None)`` of ``value`` as an element of a text
        ``literal`` (array, composite): bytea's binary payload in its hex text form."""
        oid, fmt, payload = self.encode(value)
        if payload is not None and fmt != 0:
            if oid != oids.BYTEA:
                raise ProgrammingError(
                    f"cannot put a binary-format {type(value).__name__} into {literal}"
                )
            payload = b"\\x" + payload.hex().encode()
        return oid, payload

    def _find_encoder(self, cls: type) -> Encoder:
        for base in cls.__mro__:
            custom = self._custom_encoders.get(base)
            if custom is not None:
                encoder = custom
                break
            composite = self._composite_classes.get(base)
            if composite is not None:
                encoder = self._composite_encoder(composite)
                break
            name = _qualified_name(base)
            ref = self._encoder_refs.get(name)
            if ref is not None:
                encoder = _resolve(ref)
                break
            factory = self._encoder_factories.get(name)
            if factory is not None:
                encoder = _resolve(factory)(self)
                break
        else:
            raise ProgrammingError(f"cannot adapt parameter of type {_qualified_name(cls)!r}")
        self._encoders[cls] = encoder
        return encoder

    def _composite_encoder(self, oid: int) -> Encoder:
        codec = self._types[oid]
        make: Callable[..., Encoder] = _resolve("composite:make_encoder")
        return make(self, oid, [name for name, _ in codec.fields], codec.name)

    def array_oid(self, element_oid: int) -> int:
        """The array type of a type OID; 0 when unknown (let the server infer)."""
        return self._array_of.get(element_oid, 0)

    # -- decoding

    def _forget_decoders(self) -> None:
        self._decoders.clear()
        self.generation += 1

    def decoder(self, oid: int, fmt: int) -> Decoder:
        """The function turning one column value (bytes, never NULL) into a Python value.

        Unknown OIDs decode to str (text format) or bytes (binary format).
        """
        decoder = self._decoders.get((oid, fmt))
        if decoder is None:
            decoder = self._decoders[(oid, fmt)] = self._build_decoder(oid, fmt)
        return decoder

    def result_format(self, oid: int) -> int:
        """The format to request for a result column of this type: 1 where binary is better."""
        codec = self._types.get(oid)
        if codec is None:
            return TEXT
        if codec.kind in ("array", "range"):
            return self.result_format(codec.element)
        if codec.kind == "multirange":
            return self.result_format(codec.element)
        if codec.kind in ("json", "composite"):
            return TEXT
        return BINARY if codec.prefer_binary and codec.binary is not None else TEXT

    def type_name(self, oid: int) -> str | None:
        """The registered name of a type OID, None when unknown."""
        codec = self._types.get(oid)
        return codec.name if codec is not None else None

    def _build_decoder(self, oid: int, fmt: int) -> Decoder:
        codec = self._types.get(oid)
        if codec is None:
            return _STR if fmt == TEXT else _BYTES
        if codec.kind == "scalar":
            ref = codec.text if fmt == TEXT else codec.binary
            if ref is None:
                return _STR if fmt == TEXT else _BYTES
            decoder: Decoder = _resolve(ref)
            return decoder
        if codec.kind == "json":
            make_json: Callable[..., Decoder] = _resolve("json:make_json_decoder")
            return make_json(self.json_loads, jsonb=oid == oids.JSONB, fmt=fmt)
        if codec.kind == "composite":
            return self._composite_decoder(codec, fmt)
        element = self.decoder(codec.element, fmt)
        if codec.kind == "array":
            if fmt == TEXT:
                make_array: Callable[..., Decoder] = _resolve("array:make_text_decoder")
                return make_array(element, codec.delimiter)
            make_array = _resolve("array:make_binary_decoder")
            return make_array(element)
        if codec.kind == "range":
            name = "make_text_decoder" if fmt == TEXT else "make_binary_decoder"
            make_range: Callable[..., Decoder] = _resolve(f"range:{name}")
            return make_range(element)
        if codec.kind == "multirange":
            if fmt == TEXT:  # the text parser reads the ranges itself: it needs the bound decoder
                range_codec = self._types.get(codec.element)
                bound = self.decoder(range_codec.element if range_codec else 0, TEXT)
                make_multirange: Callable[..., Decoder] = _resolve(
                    "range:make_multirange_text_decoder"
                )
                return make_multirange(bound)
            make_multirange = _resolve("range:make_multirange_binary_decoder")
            return make_multirange(element)
        raise ProgrammingError(f"type OID {oid} has an unknown codec kind {codec.kind!r}")

    def _composite_decoder(self, codec: TypeCodec, fmt: int) -> Decoder:
        name = "make_text_decoder" if fmt == TEXT else "make_binary_decoder"
        make: Callable[..., Decoder] = _resolve(f"composite:{name}")
        field_decoders = [self.decoder(field_oid, fmt) for _, field_oid in codec.fields]
        return make(codec.factory or tuple, field_decoders, codec.name)

    # -- registration

    def register(
        self,
        oid: int | None = None,
        python_type: type | None = None,
        *,
        encoder: Encoder | None = None,
        text_decoder: Decoder | None = None,
        binary_decoder: Decoder | None = None,
        prefer_binary: bool | None = None,
        name: str | None = None,
        array_oid: int | None = None,
    ) -> None:
        """Add or override an adapter, in either or both directions.

        ``python_type`` + ``encoder``: how values of that type (and subclasses) are sent.
        ``oid`` + decoders: how columns of that type are read; arguments left out keep the
        current setting. ``array_oid`` also registers the array of ``oid`` (arrays of it
        decode with its decoders, lists of its values encode to it).
        """
        if (python_type is None) != (encoder is None):
            raise ProgrammingError("register() needs python_type and encoder together")
        if python_type is not None and encoder is not None:
            self._custom_encoders[python_type] = encoder
            self._encoders.clear()
        if oid is None:
            if text_decoder or binary_decoder or array_oid or name or prefer_binary is not None:
                raise ProgrammingError("register() needs the type oid to register decoders")
            return
        current = self._types.get(oid) or TypeCodec(name or f"oid {oid}")
        if current.kind != "scalar" and (text_decoder or binary_decoder):
            current = TypeCodec(current.name)
        self._types[oid] = current._replace(
            name=name or current.name,
            text=text_decoder or current.text,
            binary=binary_decoder or current.binary,
            prefer_binary=current.prefer_binary if prefer_binary is None else prefer_binary,
        )
        if array_oid is not None:
            self.register_array(array_oid, oid)
        self._forget_decoders()

    def register_array(self, array_oid: int, element_oid: int, delimiter: str = ",") -> None:
        """Decode ``array_oid`` as arrays of ``element_oid``; encode lists of it to it."""
        self._types[array_oid] = TypeCodec(
            f"array of {element_oid}", kind="array", element=element_oid, delimiter=delimiter
        )
        self._array_of[element_oid] = array_oid
        self._forget_decoders()

    def register_range(
        self, range_oid: int, element_oid: int, array_oid: int | None = None
    ) -> None:
        """Decode ``range_oid`` (a user-defined range type) as `purepg.types.Range`."""
        self._types[range_oid] = TypeCodec(
            f"range of {element_oid}", kind="range", element=element_oid
        )
        if array_oid is not None:
            self.register_array(array_oid, range_oid)
        self._forget_decoders()

    def register_composite(
        self,
        oid: int,
        python_type: type,
        field_oids: Sequence[int],
        field_names: Sequence[str],
        *,
        array_oid: int | None = None,
        name: str = "",
    ) -> None:
        """A composite type: values (and arrays of them) decode to ``python_type(*fields)``,
        each field decoded as its type ``field_oids[i]``; ``python_type`` values (tuples, or
        objects with attributes ``field_names``) encode to ``oid``.

        Usually called by ``conn.register_composite(name)``, which looks the type up.
        """
        if len(field_oids) != len(field_names):
            raise ProgrammingError("register_composite() needs one name per field type OID")
        self._types[oid] = TypeCodec(
            name or f"composite {oid}",
            kind="composite",
            fields=tuple(zip(field_names, field_oids)),
            factory=python_type,
        )
        self._composite_classes[python_type] = oid
        self._encoders.clear()
        if array_oid is not None:
            self.register_array(array_oid, oid)
        self._forget_decoders()

    def register_enum(self, oid: int, array_oid: int | None = None, name: str = "") -> None:
        """An enum type: values (and arrays of them, e.g. ``'{a,b}'``) decode to str."""
        self.register(oid, text_decoder=_STR, binary_decoder=_STR, name=name or f"enum {oid}")
        if array_oid is not None:
            self.register_array(array_oid, oid)

    def register_hstore(self, oid: int, array_oid: int | None = None) -> None:
        """hstore (an extension: its OID differs per database): decode to dict[str, str | None].

        `HSTORE_QUERY` finds ``oid`` and ``array_oid`` in a database."""
        self.register(
            oid,
            text_decoder=_resolve("hstore:decode_hstore_text"),
            binary_decoder=_resolve("hstore:decode_hstore_binary"),
            name="hstore",
        )
        if array_oid is not None:
            self.register_array(array_oid, oid)

    def set_json(
        self,
        loads: Callable[[str | bytes], Any] | None = None,
        dumps: Callable[[Any], str] | None = None,
    ) -> None:
        """Use these functions (None: the stdlib's) for json and jsonb in both directions."""
        self.json_loads = loads
        self.json_dumps = dumps
        self._forget_decoders()

    def copy(self) -> Registry:
        """An independent registry with the same registrations (e.g. one per connection)."""
        clone = Registry.__new__(Registry)
        clone._types = dict(self._types)
        clone._array_of = dict(self._array_of)
        clone._encoder_refs = dict(self._encoder_refs)
        clone._encoder_factories = dict(self._encoder_factories)
        clone._custom_encoders = dict(self._custom_encoders)
        clone._composite_classes = dict(self._composite_classes)
        clone._encoders = {}
        clone._decoders = {}
        clone.generation = 0
        clone.json_loads = self.json_loads
        clone.json_dumps = self.json_dumps
        return clone


default_registry = Registry()
"""The registry connections copy when they open."""
