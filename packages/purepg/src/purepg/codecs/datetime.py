"""date, time, timetz, timestamp, timestamptz, interval.

Decoding needs ``DateStyle=ISO`` and ``IntervalStyle=postgres`` (the connection sets both).

- Naive values are ``timestamp`` / ``time``, aware ones ``timestamptz`` / ``timetz``.
- ``timestamptz`` in text format comes back with the offset the server wrote (the session
  TimeZone); in binary format with UTC (the wire value is a UTC instant).
- ``infinity`` / ``-infinity`` decode to ``date.max`` / ``date.min`` and ``datetime.max`` /
  ``datetime.min`` (UTC-aware for timestamptz). They are not mapped back: to store infinity,
  send the string ``'infinity'``.
- Values Python cannot represent (BC dates, years after 9999, ``24:00:00``) raise
  `purepg.errors.DataError` naming the value.
- An interval decodes to ``timedelta`` when it has no months, else to `purepg.types.Interval`
  (a month has no fixed number of days: nothing is approximated).
"""

from __future__ import annotations

import struct
import sys
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from purepg.codecs import oids
from purepg.codecs.registry import Encoded
from purepg.errors import DataError
from purepg.types import Interval

_EPOCH = datetime(2000, 1, 1)
_EPOCH_UTC = datetime(2000, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = date(2000, 1, 1).toordinal()
_INT64_MAX, _INT64_MIN = 2**63 - 1, -(2**63)
_INT32_MAX, _INT32_MIN = 2**31 - 1, -(2**31)
_DATETIME_MAX_UTC = datetime.max.replace(tzinfo=timezone.utc)
_DATETIME_MIN_UTC = datetime.min.replace(tzinfo=timezone.utc)
# Python 3.11+ parses any fraction length and "+02" offsets in fromisoformat (C code, fast).
# The text decoders try it first; what it refuses (infinity, BC, years after 9999) or gets
# wrong (a naive timestamptz) goes through the checks that follow, which name the value.
_FULL_ISOFORMAT = sys.version_info >= (3, 11)
_datetime_fromisoformat = datetime.fromisoformat
_date_fromisoformat = date.fromisoformat

_unpack_int32 = struct.Struct("!i").unpack
_unpack_int64 = struct.Struct("!q").unpack
_unpack_time_tz = struct.Struct("!qi").unpack
_unpack_interval = struct.Struct("!qii").unpack

# -- encoding


def encode_date(value: date) -> Encoded:
    """date."""
    return (oids.DATE, 0, value.isoformat().encode())


def encode_datetime(value: datetime) -> Encoded:
    """timestamp when naive, timestamptz when aware."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return (oids.TIMESTAMPTZ, 0, value.isoformat().encode())
    return (oids.TIMESTAMP, 0, value.isoformat().encode())


def encode_time(value: time) -> Encoded:
    """time when naive, timetz when it has a fixed UTC offset."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return (oids.TIMETZ, 0, value.isoformat().encode())
    return (oids.TIME, 0, value.replace(tzinfo=None).isoformat().encode())


def encode_timedelta(value: timedelta) -> Encoded:
    """interval; days and seconds stay separate fields, as PostgreSQL stores them."""
    text = f"{value.days:+d} days +{value.seconds}.{value.microseconds:06d} seconds"
    return (oids.INTERVAL, 0, text.encode())


def encode_interval(value: Interval) -> Encoded:
    """purepg.types.Interval as interval."""
    return (oids.INTERVAL, 0, str(value).encode())


# -- helpers


def _out_of_range(kind: str, text: str | bytes) -> DataError:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return DataError(f"{kind} value {text!r} is out of the range Python's datetime can represent")


def _unreadable_date(kind: str, text: str) -> DataError:
    """The error for a date or timestamp text the decoders cannot read: out of Python's range,
    or not written in DateStyle ISO (the session's DateStyle was changed after connecting)."""
    if _written_in_iso(text):
        return _out_of_range(kind, text)
    return DataError(
        f"{kind} value {text!r} is not in ISO format: purepg reads dates and times in "
        "DateStyle ISO, and this session's DateStyle was changed (SET DateStyle, options, "
        "or a role or database setting); set DateStyle to 'ISO' (any field order)"
    )


def _written_in_iso(text: str) -> bool:
    """'YYYY-MM-DD...' (a year of four digits or more), as DateStyle ISO writes dates."""
    year, dash, _ = text.partition("-")
    return bool(dash) and len(year) >= 4 and year.isdigit()


_TIMEZONES: dict[str, tzinfo] = {}


def _timezone(offset: str) -> tzinfo:
    """'+02', '-05:30', '+01:02:03' -> a cached fixed-offset timezone."""
    tz = _TIMEZONES.get(offset)
    if tz is None:
        fields = offset[1:].split(":")
        seconds = int(fields[0]) * 3600
        if len(fields) > 1:
            seconds += int(fields[1]) * 60
        if len(fields) > 2:
            seconds += int(fields[2])
        if offset[0] == "-":
            seconds = -seconds
        tz = timezone.utc if seconds == 0 else timezone(timedelta(seconds=seconds))
        if len(_TIMEZONES) < 1000:
            _TIMEZONES[offset] = tz
    return tz


def _split_fraction(text: str) -> tuple[str, int]:
    """'04:05:06.5' -> ('04:05:06', 500000)."""
    whole, _, fraction = text.partition(".")
    return whole, int(fraction.ljust(6, "0")[:6]) if fraction else 0


def _split_offset(text: str, start: int) -> tuple[str, str | None]:
    """Split a trailing '+HH[:MM[:SS]]' / '-HH...' offset searched from `start`."""
    plus = text.find("+", start)
    sign = plus if plus >= 0 else text.find("-", start)
    if sign < 0:
        return text, None
    return text[:sign], text[sign:]


# -- date


def decode_date_text(data: bytes) -> date:
    """date text (ISO): 'YYYY-MM-DD', 'infinity', '-infinity'."""
    text = data.decode()
    if len(text) == 10:
        try:
            return _date_fromisoformat(text)
        except ValueError:
            raise _unreadable_date("date", text) from None
    if text == "infinity":
        return date.max
    if text == "-infinity":
        return date.min
    raise _unreadable_date("date", text)


def decode_date_binary(data: bytes) -> date:
    """date binary: days since 2000-01-01."""
    days = _unpack_int32(data)[0]
    if days == _INT32_MAX:
        return date.max
    if days == _INT32_MIN:
        return date.min
    try:
        return date.fromordinal(_EPOCH_ORDINAL + days)
    except (ValueError, OverflowError):
        raise _out_of_range("date", f"{days} days after 2000-01-01") from None


# -- time


def _parse_time(text: str, kind: str) -> time:
    whole, micros = _split_fraction(text)
    if len(whole) != 8 or whole[2] != ":" or whole[5] != ":":
        raise DataError(f"invalid {kind} value {text!r}")
    hour = int(whole[0:2])
    if hour == 24:
        raise _out_of_range(kind, text)
    return time(hour, int(whole[3:5]), int(whole[6:8]), micros)


def decode_time_text(data: bytes) -> time:
    """time text: 'HH:MM:SS[.ffffff]'."""
    return _parse_time(data.decode(), "time")


def decode_timetz_text(data: bytes) -> time:
    """timetz text: 'HH:MM:SS[.ffffff]+HH[:MM[:SS]]'."""
    text = data.decode()
    clock, offset = _split_offset(text, 8)
    value = _parse_time(clock, "timetz")
    return value if offset is None else value.replace(tzinfo=_timezone(offset))


def _time_from_micros(micros: int, kind: str) -> time:
    seconds, micros = divmod(micros, 1_000_000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 24:
        raise _out_of_range(kind, f"{hours}:{minutes:02d}:{seconds:02d}")
    return time(hours, minutes, seconds, micros)


def decode_time_binary(data: bytes) -> time:
    """time binary: microseconds since midnight."""
    return _time_from_micros(_unpack_int64(data)[0], "time")


def decode_timetz_binary(data: bytes) -> time:
    """timetz binary: microseconds since midnight, then the offset in seconds WEST of UTC."""
    micros, west = _unpack_time_tz(data)
    tz = timezone.utc if west == 0 else timezone(timedelta(seconds=-west))
    return _time_from_micros(micros, "timetz").replace(tzinfo=tz)


# -- timestamp


def _parse_timestamp(text: str, kind: str) -> datetime:
    """'YYYY-MM-DD HH:MM:SS[.ffffff]' -> naive datetime; errors name the value."""
    if len(text) < 19 or text[4] != "-" or text[10] != " ":
        raise _unreadable_date(kind, text)
    whole, micros = _split_fraction(text)
    if len(whole) != 19:
        raise _unreadable_date(kind, text)  # e.g. a trailing ' BC'
    return datetime(
        int(whole[0:4]),
        int(whole[5:7]),
        int(whole[8:10]),
        int(whole[11:13]),
        int(whole[14:16]),
        int(whole[17:19]),
        micros,
    )


def decode_timestamp_text(data: bytes) -> datetime:
    """timestamp text (ISO DateStyle); infinity -> datetime.max, -infinity -> datetime.min."""
    text = data.decode()
    if _FULL_ISOFORMAT and len(text) >= 19:  # not a date alone
        try:
            value = _datetime_fromisoformat(text)
        except ValueError:  # infinity, BC, years after 9999: the checks below name them
            pass
        else:
            if value.tzinfo is None:
                return value
    if text == "infinity":
        return datetime.max
    if text == "-infinity":
        return datetime.min
    return _parse_timestamp(text, "timestamp")


def decode_timestamptz_text(data: bytes) -> datetime:
    """timestamptz text: aware, with the offset the server wrote (the session TimeZone)."""
    text = data.decode()
    if _FULL_ISOFORMAT:
        try:
            value = _datetime_fromisoformat(text)
        except ValueError:  # infinity, BC, years after 9999: the checks below name them
            pass
        else:
            if value.tzinfo is not None:
                return value
    if text == "infinity":
        return _DATETIME_MAX_UTC
    if text == "-infinity":
        return _DATETIME_MIN_UTC
    if text.endswith(" BC"):
        raise _unreadable_date("timestamptz", text)
    clock, offset = _split_offset(text, 19)
    value = _parse_timestamp(clock, "timestamptz")
    if offset is None:
        raise DataError(f"timestamptz value {text!r} has no UTC offset")
    return value.replace(tzinfo=_timezone(offset))


def _timestamp_from_micros(micros: int, epoch: datetime, kind: str) -> datetime:
    """``micros`` after ``epoch`` (naive or UTC), infinities as the extreme datetimes in the
    same time zone."""
    if micros == _INT64_MAX:
        return datetime.max.replace(tzinfo=epoch.tzinfo)
    if micros == _INT64_MIN:
        return datetime.min.replace(tzinfo=epoch.tzinfo)
    seconds, micros = divmod(micros, 1_000_000)
    try:
        return epoch + timedelta(0, seconds, micros)
    except OverflowError:
        raise _out_of_range(kind, f"{micros} microseconds after 2000-01-01") from None


def decode_timestamp_binary(data: bytes) -> datetime:
    """timestamp binary: microseconds since 2000-01-01 00:00."""
    return _timestamp_from_micros(_unpack_int64(data)[0], _EPOCH, "timestamp")


def decode_timestamptz_binary(data: bytes) -> datetime:
    """timestamptz binary: microseconds since 2000-01-01 00:00 UTC, decoded in UTC."""
    return _timestamp_from_micros(_unpack_int64(data)[0], _EPOCH_UTC, "timestamptz")


# -- interval


def _interval(months: int, days: int, micros: int) -> timedelta | Interval:
    if months:
        return Interval(months, days, micros)
    return timedelta(days=days, microseconds=micros)


def decode_interval_text(data: bytes) -> timedelta | Interval:
    """interval text in the 'postgres' IntervalStyle: '1 year 2 mons -3 days +04:05:06.5'."""
    text = data.decode()
    parts = text.split()
    months = days = micros = 0
    i = 0
    try:
        while i < len(parts):
            part = parts[i]
            if ":" in part:
                micros = _parse_interval_clock(part)
                i += 1
                continue
            number, unit = int(part), parts[i + 1]
            i += 2
            if unit.startswith("year"):
                months += 12 * number
            elif unit.startswith("mon"):
                months += number
            elif unit.startswith("day"):
                days += number
            else:
                raise ValueError(unit)
    except (ValueError, IndexError):
        raise DataError(
            f"cannot parse interval value {text!r} (IntervalStyle must be 'postgres')"
        ) from None
    return _interval(months, days, micros)


def _parse_interval_clock(text: str) -> int:
    """'[+-]HH:MM:SS[.ffffff]' (hours may exceed 24) -> microseconds."""
    negative = text[0] == "-"
    if text[0] in "+-":
        text = text[1:]
    whole, micros = _split_fraction(text)
    hours, minutes, seconds = whole.split(":")
    total = ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1_000_000 + micros
    return -total if negative else total


def decode_interval_binary(data: bytes) -> timedelta | Interval:
    """interval binary: microseconds, days, months."""
    micros, days, months = _unpack_interval(data)
    return _interval(months, days, micros)
