"""The slower half of the psycopg2 value conversions, imported by the first value that needs
it (not by connecting): ranges and multiranges, and the Python -> SQL adapters that give
psycopg2 the same parameter types as purepg."""

from __future__ import annotations

import datetime
import json

import psycopg2.extensions as ext

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    import uuid
    from collections.abc import Callable
    from typing import Any

    from purepg.types import Interval, Json, Range


def to_range(value: Any) -> Range[Any] | None:
    if value is None:
        return None
    from purepg.types import Range

    if value.isempty:
        return Range(empty=True)
    return Range(value.lower, value.upper, value._bounds)


def split_multirange(text: str) -> list[str]:
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


class Quoted:
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


def adapt_dict(value: dict[Any, Any]) -> Quoted:
    return Quoted(json.dumps(value), "jsonb")


def _adapt_json(value: Json) -> Quoted:
    dumps = value.dumps or json.dumps
    return Quoted(dumps(value.obj), value.type_name)


def _adapt_interval(value: Interval) -> Quoted:
    return Quoted(str(value), "interval")


def _adapt_uuid(value: uuid.UUID) -> Quoted:
    return Quoted(str(value), "uuid")


def _adapt_inet(value: object) -> Quoted:
    return Quoted(str(value), "inet")


def _adapt_address(value: object) -> Quoted:
    return Quoted(str(value), "inet")


def _adapt_cidr(value: object) -> Quoted:
    return Quoted(str(value), "cidr")


def _range_type(value: Range[Any]) -> str | None:
    """The cast for date and time ranges; numeric ranges stay untyped (int4/int8/num by context)."""
    bound = value.lower if value.lower is not None else value.upper
    if isinstance(bound, datetime.datetime):
        return "tstzrange" if bound.tzinfo is not None else "tsrange"
    if isinstance(bound, datetime.date):
        return "daterange"
    return None


def _adapt_range(value: Range[Any]) -> Quoted:
    from purepg.codecs.range import range_literal

    return Quoted(range_literal(value).decode(), _range_type(value))


def adapters_for(name: str, module: Any) -> list[tuple[type, Callable[[Any], Quoted]]]:
    """The adapters for the classes of ``module`` (``builtins``, ``uuid``, ``ipaddress`` or
    ``purepg.types``)."""
    if name == "builtins":
        return [(dict, adapt_dict)]
    if name == "uuid":
        return [(module.UUID, _adapt_uuid)]
    if name == "ipaddress":
        return [
            (module.IPv4Interface, _adapt_inet),
            (module.IPv6Interface, _adapt_inet),
            (module.IPv4Address, _adapt_address),
            (module.IPv6Address, _adapt_address),
            (module.IPv4Network, _adapt_cidr),
            (module.IPv6Network, _adapt_cidr),
        ]
    return [
        (module.Json, _adapt_json),
        (module.Jsonb, _adapt_json),
        (module.Interval, _adapt_interval),
        (module.Range, _adapt_range),
    ]
