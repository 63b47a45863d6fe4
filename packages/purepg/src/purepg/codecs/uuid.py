"""uuid <-> uuid.UUID.

Text values in the canonical 36-character form (what the server sends) are built without the
generic ``UUID()`` constructor, which spends most of its time on argument checks: the 32 hex
digits are validated strictly (``binascii.unhexlify``), then the instance is created and its
two slots (``int``, ``is_safe``) set as ``UUID.__init__`` does. Other spellings go through
``UUID()``.
"""

from __future__ import annotations

from binascii import unhexlify
from typing import Callable
from uuid import UUID, SafeUUID

from purepg.codecs import oids
from purepg.codecs.registry import Encoded

_CANONICAL_LENGTH = 36  # 8-4-4-4-12 hex digits
_HEX_DIGITS = 32
_HYPHENS = b"----"  # between the 8-4-4-4-12 groups
_UNKNOWN = SafeUUID.unknown


def encode_uuid(value: UUID) -> Encoded:
    """uuid."""
    return (oids.UUID, 0, str(value).encode())


def _slot_setters() -> tuple[Callable[[UUID, object], None], Callable[[UUID, object], None]]:
    """The setters of UUID's ``int`` and ``is_safe`` slots. Raises LookupError if this
    Python's UUID is built differently (then the constructor is used)."""
    try:
        set_int = UUID.__dict__["int"].__set__
        set_is_safe = UUID.__dict__["is_safe"].__set__
        sample = object.__new__(UUID)
        set_int(sample, 0x12345678_1234_5678_1234_567812345678)
        set_is_safe(sample, SafeUUID.unknown)
        reference = UUID("12345678-1234-5678-1234-567812345678")
        same = (sample, sample.is_safe, str(sample)) == (
            reference,
            reference.is_safe,
            str(reference),
        )
    except (KeyError, AttributeError, TypeError):
        same = False
    if not same:
        raise LookupError("uuid.UUID has no int / is_safe slots")
    return set_int, set_is_safe


def _constructor_setters() -> tuple[Callable[[UUID, object], None], Callable[[UUID, object], None]]:
    """Setters that run ``UUID.__init__`` (for a Python whose UUID has no such slots)."""

    def set_int(result: UUID, value: object) -> None:
        UUID.__init__(result, int=value)  # type: ignore[arg-type]

    def set_is_safe(result: UUID, value: object) -> None:
        pass

    return set_int, set_is_safe


try:
    _set_int, _set_is_safe = _slot_setters()
except LookupError:  # pragma: no cover - CPython and PyPy 3.9-3.13 have the slots
    _set_int, _set_is_safe = _constructor_setters()
_new: Callable[[type[UUID]], UUID] = object.__new__


def decode_uuid_text(data: bytes) -> UUID:
    """uuid text: '12345678-1234-5678-1234-567812345678' (any other spelling: ``UUID()``)."""
    if len(data) == _CANONICAL_LENGTH and data[8:24:5] == _HYPHENS:  # 8, 13, 18 and 23
        digits = data.replace(b"-", b"")
        if len(digits) != _HEX_DIGITS:
            raise ValueError("badly formed hexadecimal UUID string: too many hyphens")
        result = _new(UUID)
        _set_int(result, int.from_bytes(unhexlify(digits), "big"))  # binascii.Error: not hex
        _set_is_safe(result, _UNKNOWN)
        return result
    return UUID(data.decode())


def decode_uuid_binary(data: bytes) -> UUID:
    """uuid binary: the 16 bytes."""
    if len(data) == _HEX_DIGITS // 2:
        result = _new(UUID)
        _set_int(result, int.from_bytes(data, "big"))
        _set_is_safe(result, _UNKNOWN)
        return result
    return UUID(bytes=bytes(data))
