"""Enum members (sent as their value)."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from purepg.codecs.registry import Encoded, Encoder

if TYPE_CHECKING:
    from purepg.codecs.registry import Registry


def make_enum_encoder(registry: Registry) -> Encoder:
    """Enum members are sent as their ``value`` (a str value goes untyped, fitting enum columns)."""

    def encode_enum(value: Enum) -> Encoded:
        return registry.encode(value.value)

    return encode_enum
