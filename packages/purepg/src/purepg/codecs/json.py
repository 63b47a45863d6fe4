"""json / jsonb: dict and the `purepg.types.Json` / `Jsonb` wrappers out, any JSON value in.

Without a custom ``json_loads``, values are parsed by the json module's C scanner directly
(``json.loads`` spends about half its time detecting the encoding and matching whitespace):
a value with surrounding whitespace, or that fails, goes through ``json.loads`` for the same
result or the same error.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Union

from purepg.codecs import oids
from purepg.codecs.registry import Decoder, Encoded, Encoder
from purepg.errors import DataError
from purepg.types import Json

if TYPE_CHECKING:
    from purepg.codecs.registry import Registry

Loads = Callable[[Union[str, bytes]], Any]


def make_dict_encoder(registry: Registry) -> Encoder:
    """dict -> jsonb with the registry's ``json_dumps``."""

    def encode_dict(value: dict[Any, Any]) -> Encoded:
        dumps = registry.json_dumps or json.dumps
        return (oids.JSONB, 0, dumps(value).encode())

    return encode_dict


def make_json_encoder(registry: Registry) -> Encoder:
    """Json / Jsonb wrappers -> json / jsonb, with the wrapper's or the registry's dumps."""

    def encode_json(value: Json) -> Encoded:
        dumps = value.dumps or registry.json_dumps or json.dumps
        oid = oids.JSONB if value.type_name == "jsonb" else oids.JSON
        return (oid, 0, dumps(value.obj).encode())

    return encode_json


_DECODER: Any = json.JSONDecoder()  # json.loads's defaults
_scan_once: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # its C scanner


def loads_value(data: bytes) -> Any:
    """``json.loads(data)``, faster for a value without surrounding whitespace."""
    text = data.decode()
    try:
        value, end = _scan_once(text, 0)
    except StopIteration:  # not a JSON value at position 0 (whitespace, garbage)
        return json.loads(data)
    if end != len(text):
        return json.loads(data)
    return value


def make_json_decoder(loads: Loads | None, *, jsonb: bool, fmt: int) -> Decoder:
    """A json or jsonb decoder; jsonb's binary format is a version byte (1) then the text."""
    parse: Loads = loads or loads_value  # type: ignore[assignment]
    if fmt == 0 or not jsonb:
        return parse

    def decode_jsonb_binary(data: bytes) -> Any:
        if data[:1] != b"\x01":
            raise DataError(f"unsupported jsonb binary format version {data[:1]!r}")
        return parse(data[1:])

    return decode_jsonb_binary
