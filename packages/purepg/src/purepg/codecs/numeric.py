"""bool, integers, floats, numeric <-> Decimal, money."""

from __future__ import annotations

import struct
from decimal import Decimal
from functools import partial
from typing import Any, Callable

from purepg.codecs import oids
from purepg.codecs.registry import Encoded
from purepg.errors import DataError

_INT4_MIN, _INT4_MAX = -(2**31), 2**31 - 1
_INT8_MIN, _INT8_MAX = -(2**63), 2**63 - 1

# -- bool

decode_bool_text: Callable[[bytes], bool] = b"t".__eq__
decode_bool_binary: Callable[[bytes], bool] = b"\x01".__eq__


def encode_bool(value: bool) -> Encoded:
    """True / False as bool."""
    return (oids.BOOL, 0, b"t" if value else b"f")


# -- integers


def encode_int(value: int) -> Encoded:
    """The narrowest of int4, int8, numeric holding the value.

    int2 is never chosen: ``SELECT %s * %s`` would overflow at 182 * 182; int4 is what a
    literal in the query would be.
    """
    if _INT4_MIN <= value <= _INT4_MAX:
        return (oids.INT4, 0, b"%d" % value)
    if _INT8_MIN <= value <= _INT8_MAX:
        return (oids.INT8, 0, b"%d" % value)
    return (oids.NUMERIC, 0, b"%d" % value)


decode_int_text: Callable[[bytes], int] = int
decode_int_binary: Callable[[bytes], int] = partial(int.from_bytes, byteorder="big", signed=True)
decode_uint_binary: Callable[[bytes], int] = partial(int.from_bytes, byteorder="big", signed=False)

# -- floats

_FLOAT_SPECIAL = {"nan": b"NaN", "inf": b"Infinity", "-inf": b"-Infinity"}


def encode_float(value: float) -> Encoded:
    """float8, written with repr() so that it round-trips exactly."""
    text = repr(value)
    special = _FLOAT_SPECIAL.get(text)
    return (oids.FLOAT8, 0, special if special is not None else text.encode())


decode_float_text: Callable[[bytes], float] = float  # float() reads NaN / Infinity / -Infinity
_unpack_float4 = struct.Struct("!f").unpack
_unpack_float8 = struct.Struct("!d").unpack


def decode_float4_binary(data: bytes) -> float:
    """float4 binary: the exact float32 value (text format gives the shortest decimal)."""
    return float(_unpack_float4(data)[0])


def decode_float8_binary(data: bytes) -> float:
    """float8 binary."""
    return float(_unpack_float8(data)[0])


# -- numeric


def encode_decimal(value: Decimal) -> Encoded:
    """numeric; NaN and +-Infinity (numeric infinity needs PostgreSQL 14+)."""
    if value.is_finite():
        return (oids.NUMERIC, 0, str(value).encode())
    if value.is_snan():
        raise DataError(f"cannot send signalling NaN {value!r} as numeric")
    if value.is_nan():
        return (oids.NUMERIC, 0, b"NaN")
    return (oids.NUMERIC, 0, b"-Infinity" if value.is_signed() else b"Infinity")


def decode_numeric_text(data: bytes) -> Decimal:
    """numeric text: digits, NaN, Infinity, -Infinity (all read by Decimal)."""
    return Decimal(data.decode("ascii"))


_NUMERIC_HEADER = struct.Struct("!hhHh")
_NUMERIC_POS, _NUMERIC_NEG, _NUMERIC_NAN = 0x0000, 0x4000, 0xC000
_NUMERIC_PINF, _NUMERIC_NINF = 0xD000, 0xF000


def decode_numeric_binary(data: bytes) -> Decimal:
    """numeric binary: base-10000 digits, weight of the first digit, sign, display scale."""
    ndigits, weight, sign, dscale = _NUMERIC_HEADER.unpack_from(data)
    if sign == _NUMERIC_NAN:
        return Decimal("NaN")
    if sign == _NUMERIC_PINF:
        return Decimal("Infinity")
    if sign == _NUMERIC_NINF:
        return Decimal("-Infinity")
    if sign not in (_NUMERIC_POS, _NUMERIC_NEG):
        raise DataError(f"invalid numeric sign 0x{sign:04x} in binary value")
    groups = struct.unpack_from(f"!{ndigits}H", data, 8)
    digits: list[int] = []
    for group in groups:
        digits.extend((group // 1000, group // 100 % 10, group // 10 % 10, group % 10))
    exponent = (weight - ndigits + 1) * 4
    # Trim or pad the trailing zeros so that the exponent is exactly -dscale.
    if exponent < -dscale:
        del digits[len(digits) - (-dscale - exponent) :]
    elif exponent > -dscale:
        digits.extend([0] * (exponent + dscale))
    return Decimal((1 if sign == _NUMERIC_NEG else 0, tuple(digits) or (0,), -dscale))


def encode_any_numeric(value: Any) -> Encoded:
    """Other numbers (fractions, numpy scalars...) as numeric via str()."""
    return (oids.NUMERIC, 0, str(value).encode())
