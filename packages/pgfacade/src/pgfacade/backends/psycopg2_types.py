"""psycopg2 typecasters and adapters that give the values purepg gives.

Typecasters are registered per connection (`register_on`); adapters (Python -> SQL) are global
in psycopg2, installed once by `install_adapters`. Differences from psycopg2's defaults:
uuid -> `uuid.UUID`, inet/cidr -> `ipaddress` objects, ranges -> `purepg.types.Range`,
multiranges -> lists of `Range`, interval -> `timedelta` or `purepg.types.Interval` when it has
months, bytea -> `bytes`, hstore -> `dict`; arrays of all of these.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import psycopg2
import psycopg2.extensions as ext
from purepg.types import Interval, Json, Jsonb, Range

Caster = Callable[[Any, Any], Any]

BYTEA, BYTEA_ARRAY = 17, 1001
INTERVAL, INTERVAL_ARRAY = 1186, 1187
UUID, UUID_ARRAY = 2950, 2951
INET, INET_ARRAY = 869, 1041
CIDR, CIDR_ARRAY = 650, 651
# range oid -> (array oid, multirange oid, multirange array oid)
RANGES: dict[int, tuple[int, int, int]] = {
    3904: (3905, 4451, 6150),  # int4range
    3906: (3907, 4532, 6151),  # numrange
    3908: (3909, 4533, 6152),  # tsrange
    3910: (3911, 4534, 6153),  # tstzrange
    3912: (3913, 4535, 6155),  # daterange
    3926: (3927, 4536, 6157),  # int8range
}

_BINARY: Caster = ext.string_types[BYTEA]
_MONTHS_PER_UNIT = {"year": 12, "mon": 1}


@functools.cache
def _interval_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(``"1 year"``-style part, ``"+04:05:06.5"`` clock), compiled on first use (not at
    import: compiling costs a Lambda cold start a fraction of a millisecond)."""
    return (
        re.compile(r"([+-]?\d+) (year|mon|day)s?"),
        re.compile(r"([+-]?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$"),
    )


def parse_interval(text: str) -> datetime.timedelta | Interval:
    """An interval in PostgreSQL's default ``IntervalStyle`` (``postgres``) output."""
    months = days = micros = 0
    part_pattern, clock_pattern = _interval_patterns()
    for token in _split_interval(text):
        part = part_pattern.fullmatch(token)
        if part is not None:
            number, unit = int(part.group(1)), part.group(2)
            if unit == "day":
                days += number
            else:
                months += number * _MONTHS_PER_UNIT[unit]
            continue
        clock = clock_pattern.match(token)
        if clock is None:
            raise psycopg2.DataError(
                f"cannot parse interval {text!r}: set IntervalStyle to 'postgres' (the default)"
            )
        sign, hours, minutes, seconds, fraction = clock.groups()
        total = (int(hours) * 3600 + int(minutes) * 60 + int(seconds)) * 1_000_000
        total += int((fraction or "0").ljust(6, "0"))
        micros += -total if sign == "-" else total
    if months:
        return Interval(months, days, micros)
    return datetime.timedelta(days=days, microseconds=micros)


def _split_interval(text: str) -> list[str]:
    """Tokens such as ``"1 year"``, ``"-3 days"``, ``"+04:05:06.5"``."""
    words = text.split()
    tokens: list[str] = []
    index = 0
    while index < len(words):
        if ":" in words[index]:
            tokens.append(words[index])
            index += 1
        else:
            tokens.append(" ".join(words[index : index + 2]))
            index += 2
    return tokens


def _interval_caster(value: str | None, cursor: Any) -> Any:
    return None if value is None else parse_interval(value)


def _bytea_caster(value: str | None, cursor: Any) -> Any:
    if value is None:
        return None
    return bytes(_BINARY(value, cursor))


_new_object = object.__new__
_set_attribute = object.__setattr__
_SAFE_UNKNOWN = uuid.SafeUUID.unknown


def _uuid_caster(value: str | None, cursor: Any) -> Any:
    """A `uuid.UUID` from the server's canonical text, built directly from its 128-bit integer:
    half the cost of ``uuid.UUID(text)``, which first normalises any accepted spelling."""
    if value is None:
        return None
    result = _new_object(uuid.UUID)
    _set_attribute(result, "int", int(value.replace("-", ""), 16))
    _set_attribute(result, "is_safe", _SAFE_UNKNOWN)
    return result


def _inet_caster(value: str | None, cursor: Any) -> Any:
    """Always an interface, a host being a /32 or /128 (as purepg)."""
    return None if value is None else ipaddress.ip_interface(value)


def _cidr_caster(value: str | None, cursor: Any) -> Any:
    return None if value is None else ipaddress.ip_network(value)


def _to_range(value: Any) -> Range[Any] | None:
    if value is None:
        return None
    if value.isempty:
        return Range(empty=True)
    return Range(value.lower, value.upper, value._bounds)


def _range_caster(original: Caster) -> Caster:
    def cast(value: str | None, cursor: Any) -> Any:
        return _to_range(original(value, cursor))

    return cast


def _split_multirange(text: str) -> list[str]:
    """``{[1,3),[5,7)}`` -> ``["[1,3)", "[5,7)"]`` (bounds may be double-quoted)."""
    pieces: list[str] = []
    start = 1
    in_quotes = False
    index = 1
    while index < len(text) - 1:
        char = text[index]
        if char == "\\" and in_quotes:
            index += 1
        elif char == '"':
            in_quotes = not in_quotes
        elif char == "," and not in_quotes and text[index - 1] in ")]":
            pieces.append(text[start:index])
            start = index + 1
        index += 1
    last = text[start:-1]
    if last:
        pieces.append(last)
    return pieces


def _multirange_caster(original: Caster) -> Caster:
    def cast(value: str | None, cursor: Any) -> Any:
        if value is None:
            return None
        return [_to_range(original(piece, cursor)) for piece in _split_multirange(value)]

    return cast


def _hstore_caster(value: Any, cursor: Any) -> Any:
    import psycopg2.extras  # only when an hstore value shows up: psycopg2.extras is heavy

    return psycopg2.extras.HstoreAdapter.parse(value, cursor)  # type: ignore[no-untyped-call]


def _build_casters() -> list[Any]:
    casters: list[Any] = []

    def add(oid: int, array_oid: int, name: str, function: Caster) -> None:
        scalar = ext.new_type((oid,), name, function)
        casters.append(scalar)
        casters.append(ext.new_array_type((array_oid,), name + "ARRAY", scalar))

    add(BYTEA, BYTEA_ARRAY, "PGFACADE_BYTEA", _bytea_caster)
    add(UUID, UUID_ARRAY, "PGFACADE_UUID", _uuid_caster)
    add(INET, INET_ARRAY, "PGFACADE_INET", _inet_caster)
    add(CIDR, CIDR_ARRAY, "PGFACADE_CIDR", _cidr_caster)
    add(INTERVAL, INTERVAL_ARRAY, "PGFACADE_INTERVAL", _interval_caster)
    for oid, (array_oid, multi_oid, multi_array_oid) in RANGES.items():
        original = ext.string_types[oid]
        add(oid, array_oid, f"PGFACADE_RANGE_{oid}", _range_caster(original))
        add(multi_oid, multi_array_oid, f"PGFACADE_MULTIRANGE_{oid}", _multirange_caster(original))
    return casters


_CASTERS = _build_casters()
_HSTORE_QUERY = "SELECT oid, typarray FROM pg_catalog.pg_type WHERE typname = 'hstore'"


# (host, port, dbname) -> the hstore typecasters of that database (none: no extension).
_hstore_casters: dict[tuple[str, int, str], list[Any]] = {}


def register_on(connection: Any, *, with_hstore: bool = True) -> None:
    """Register the facade's typecasters on one psycopg2 connection. hstore's OIDs are looked
    up by the first connection to each database (host, port, dbname) in the process."""
    for caster in _CASTERS:
        ext.register_type(caster, connection)
    if with_hstore:
        for caster in _hstore_casters_for(connection):
            ext.register_type(caster, connection)


def _hstore_casters_for(connection: Any) -> list[Any]:
    """hstore -> dict when the extension is installed in this database; nothing otherwise.

    One query the first time a database is seen, cached afterwards: an extension created (or
    re-created) later is seen by a new process (a new Lambda execution environment).
    """
    info = connection.info
    key = (info.host, info.port, info.dbname)
    casters = _hstore_casters.get(key)
    if casters is None:
        casters = []
        for oid, array_oid in _query_hstore_oids(connection):
            scalar = ext.new_type((oid,), "PGFACADE_HSTORE", _hstore_caster)
            casters.append(scalar)
            casters.append(ext.new_array_type((array_oid,), "PGFACADE_HSTOREARRAY", scalar))
        _hstore_casters[key] = casters
    return casters


def _query_hstore_oids(connection: Any) -> list[tuple[int, int]]:
    autocommit = connection.autocommit
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(_HSTORE_QUERY)
            rows: list[tuple[int, int]] = cursor.fetchall()
    finally:
        connection.autocommit = autocommit
    return rows


class _Quoted:
    """A string literal with an optional cast, e.g. ``'...'::jsonb``."""

    def __init__(self, text: str, cast: str | None) -> None:
        self._text = text
        self._cast = cast
        self._connection: Any = None

    def prepare(self, connection: Any) -> None:
        self._connection = connection

    def getquoted(self) -> bytes:
        literal = ext.QuotedString(self._text)
        if self._connection is not None:
            literal.prepare(self._connection)
        quoted: bytes = literal.getquoted()
        return quoted if self._cast is None else quoted + b"::" + self._cast.encode()


def _adapt_dict(value: dict[Any, Any]) -> _Quoted:
    return _Quoted(json.dumps(value), "jsonb")


def _adapt_json(value: Json) -> _Quoted:
    dumps = value.dumps or json.dumps
    return _Quoted(dumps(value.obj), value.type_name)


def _adapt_interval(value: Interval) -> _Quoted:
    return _Quoted(str(value), "interval")


def _adapt_uuid(value: uuid.UUID) -> _Quoted:
    return _Quoted(str(value), "uuid")


def _adapt_inet(value: object) -> _Quoted:
    return _Quoted(str(value), "inet")


def _adapt_address(value: object) -> _Quoted:
    return _Quoted(str(value), "inet")


def _adapt_cidr(value: object) -> _Quoted:
    return _Quoted(str(value), "cidr")


def _range_type(value: Range[Any]) -> str | None:
    """The cast for date and time ranges; numeric ranges stay untyped (int4/int8/num by context)."""
    bound = value.lower if value.lower is not None else value.upper
    if isinstance(bound, datetime.datetime):
        return "tstzrange" if bound.tzinfo is not None else "tsrange"
    if isinstance(bound, datetime.date):
        return "daterange"
    return None


_RANGE_SPECIAL = frozenset(',()[]"\\ ')


def _range_bound(bound: Any) -> str:
    if bound is None:
        return ""
    text = str(bound)
    if not any(char in text for char in _RANGE_SPECIAL):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _adapt_range(value: Range[Any]) -> _Quoted:
    if value.isempty:
        text = "empty"
    else:
        lower, upper = _range_bound(value.lower), _range_bound(value.upper)
        text = f"{value.bounds[0]}{lower},{upper}{value.bounds[1]}"
    return _Quoted(text, _range_type(value))


_installed = False


def install_adapters() -> None:
    """Python -> SQL adapters for psycopg2 (process-wide, installed once)."""
    global _installed  # noqa: PLW0603 - psycopg2's adapter map is process-wide anyway
    if _installed:
        return
    ext.register_adapter(uuid.UUID, _adapt_uuid)
    for interface in (ipaddress.IPv4Interface, ipaddress.IPv6Interface):
        ext.register_adapter(interface, _adapt_inet)
    for address in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        ext.register_adapter(address, _adapt_address)
    for network in (ipaddress.IPv4Network, ipaddress.IPv6Network):
        ext.register_adapter(network, _adapt_cidr)
    ext.register_adapter(dict, _adapt_dict)
    ext.register_adapter(Json, _adapt_json)
    ext.register_adapter(Jsonb, _adapt_json)
    ext.register_adapter(Interval, _adapt_interval)
    ext.register_adapter(Range, _adapt_range)
    _installed = True
