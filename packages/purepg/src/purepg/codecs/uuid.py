"""uuid <-> uuid.UUID."""

from __future__ import annotations

from uuid import UUID

from purepg.codecs import oids
from purepg.codecs.registry import Encoded


def encode_uuid(value: UUID) -> Encoded:
    """uuid."""
    return (oids.UUID, 0, str(value).encode())


def decode_uuid_text(data: bytes) -> UUID:
    """uuid text: '12345678-1234-...'."""
    return UUID(data.decode())


def decode_uuid_binary(data: bytes) -> UUID:
    """uuid binary: the 16 bytes."""
    return UUID(bytes=bytes(data))
