"""date, time, timetz, timestamp, timestamptz and interval."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from purepg.codecs import oids
from purepg.codecs.registry import default_registry as registry
from purepg.errors import DataError
from purepg.types import Interval

UTC = timezone.utc
PLUS_0530 = timezone(timedelta(hours=5, minutes=30))


def decode(oid: int, fmt: int, data: bytes):
    return registry.decoder(oid, fmt)(data)


def test_date_encodes_as_iso_date():
    assert registry.encode(date(2024, 2, 29)) == (oids.DATE, 0, b"2024-02-29")


def test_naive_datetime_encodes_as_timestamp():
    assert registry.encode(datetime(2024, 1, 1, 10, 0, 0, 5)) == (
        oids.TIMESTAMP,
        0,
        b"2024-01-01T10:00:00.000005",
    )


def test_aware_datetime_encodes_as_timestamptz_with_its_offset():
    assert registry.encode(datetime(2024, 1, 1, 10, tzinfo=PLUS_0530)) == (
        oids.TIMESTAMPTZ,
        0,
        b"2024-01-01T10:00:00+05:30",
    )


def test_naive_time_encodes_as_time():
    assert registry.encode(time(1, 2, 3, 4)) == (oids.TIME, 0, b"01:02:03.000004")


def test_time_with_a_fixed_offset_encodes_as_timetz():
    assert registry.encode(time(1, 2, 3, tzinfo=PLUS_0530)) == (oids.TIMETZ, 0, b"01:02:03+05:30")


def test_timedelta_encodes_days_and_seconds_as_separate_interval_fields():
    value = timedelta(days=-1, seconds=5, microseconds=7)
    assert registry.encode(value) == (oids.INTERVAL, 0, b"-1 days +5.000007 seconds")


def test_interval_with_months_encodes_every_field():
    assert registry.encode(Interval(14, -3, -5_000_001)) == (
        oids.INTERVAL,
        0,
        b"+14 mons -3 days -5.000001 seconds",
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"2024-02-29", date(2024, 2, 29)),
        (b"0001-01-01", date(1, 1, 1)),
        (b"infinity", date.max),
        (b"-infinity", date.min),
    ],
)
def test_date_decodes_from_text(text, value):
    assert decode(oids.DATE, 0, text) == value


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b'\x00\x00"y', date(2024, 2, 29)),
        (b"\xff\xff\xff\xff", date(1999, 12, 31)),
        (b"\x7f\xff\xff\xff", date.max),
        (b"\x80\x00\x00\x00", date.min),
    ],
)
def test_date_decodes_from_binary(data, value):
    assert decode(oids.DATE, 1, data) == value


@pytest.mark.parametrize(
    ("oid", "text"),
    [
        (oids.DATE, b"0044-03-15 BC"),
        (oids.DATE, b"10000-01-01"),
        (oids.TIMESTAMP, b"0044-03-15 12:00:00 BC"),
        (oids.TIMESTAMP, b"10000-01-01 00:00:00"),
        (oids.TIMESTAMPTZ, b"0044-03-15 12:00:00+00 BC"),
        (oids.TIME, b"24:00:00"),
    ],
)
def test_values_python_cannot_represent_raise_data_error_naming_the_value(oid, text):
    with pytest.raises(DataError, match=text.decode()[:10]):
        decode(oid, 0, text)


def test_bc_date_in_binary_raises_data_error():
    with pytest.raises(DataError, match="out of the range"):
        decode(oids.DATE, 1, (-800_000).to_bytes(4, "big", signed=True))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"12:34:56", time(12, 34, 56)),
        (b"12:34:56.789", time(12, 34, 56, 789000)),
        (b"00:00:00.000001", time(0, 0, 0, 1)),
    ],
)
def test_time_decodes_from_text(text, value):
    assert decode(oids.TIME, 0, text) == value


def test_time_decodes_from_binary():
    assert decode(oids.TIME, 1, (45_296_789_000).to_bytes(8, "big")) == time(12, 34, 56, 789000)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"12:34:56.5+05:30", time(12, 34, 56, 500000, tzinfo=PLUS_0530)),
        (b"12:34:56-03", time(12, 34, 56, tzinfo=timezone(timedelta(hours=-3)))),
        (
            b"12:34:56-03:00:15",
            time(12, 34, 56, tzinfo=timezone(-timedelta(hours=3, seconds=15))),
        ),
    ],
)
def test_timetz_decodes_from_text_with_its_offset(text, value):
    result = decode(oids.TIMETZ, 0, text)
    assert result == value
    assert result.utcoffset() == value.utcoffset()


def test_timetz_decodes_from_binary_with_its_offset():
    result = decode(oids.TIMETZ, 1, b"\x00\x00\x00\n\x8b\xe1\xbd \xff\xff\xb2\xa8")
    assert result == time(12, 34, 56, 500000, tzinfo=PLUS_0530)
    assert result.utcoffset() == timedelta(hours=5, minutes=30)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"2024-01-01 10:00:00", datetime(2024, 1, 1, 10)),
        (b"2024-01-01 10:00:00.5", datetime(2024, 1, 1, 10, 0, 0, 500000)),
        (b"2024-01-01 10:00:00.123456", datetime(2024, 1, 1, 10, 0, 0, 123456)),
        (b"infinity", datetime.max),
        (b"-infinity", datetime.min),
    ],
)
def test_timestamp_decodes_from_text_as_naive(text, value):
    assert decode(oids.TIMESTAMP, 0, text) == value


def test_timestamp_decodes_from_binary_as_naive():
    assert decode(oids.TIMESTAMP, 1, b"\x00\x02\xbf+m\xd3\x89 ") == datetime(
        2024, 7, 1, 10, 0, 0, 500000
    )


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        (b"2024-07-01 12:00:00.5+02", timedelta(hours=2)),
        (b"2024-07-01 05:30:00.5-04:30", timedelta(hours=-4, minutes=-30)),
        (b"2024-07-01 10:00:00.5+00", timedelta(0)),
    ],
)
def test_timestamptz_decodes_from_text_keeping_the_servers_offset(text, offset):
    result = decode(oids.TIMESTAMPTZ, 0, text)
    assert result == datetime(2024, 7, 1, 10, 0, 0, 500000, tzinfo=UTC)
    assert result.utcoffset() == offset


def test_timestamptz_decodes_from_binary_in_utc():
    result = decode(oids.TIMESTAMPTZ, 1, b"\x00\x02\xbf+m\xd3\x89 ")
    assert result == datetime(2024, 7, 1, 10, 0, 0, 500000, tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"infinity", datetime.max.replace(tzinfo=UTC)),
        (b"-infinity", datetime.min.replace(tzinfo=UTC)),
    ],
)
def test_timestamptz_infinities_decode_to_aware_extremes(text, value):
    assert decode(oids.TIMESTAMPTZ, 0, text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"00:00:00", timedelta(0)),
        (b"-1 days +23:59:59", timedelta(days=-1, seconds=86399)),
        (b"-00:00:01.5", -timedelta(seconds=1.5)),
        (b"100:00:00", timedelta(hours=100)),
        (b"3 days", timedelta(days=3)),
        (b"1 day 01:00:00", timedelta(days=1, hours=1)),
    ],
)
def test_interval_without_months_decodes_to_timedelta(text, value):
    assert decode(oids.INTERVAL, 0, text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"1 year 2 mons -3 days +04:05:06.5", Interval(14, -3, 14_706_500_000)),
        (b"-2 years", Interval(-24, 0, 0)),
        (b"1 mon", Interval(1, 0, 0)),
    ],
)
def test_interval_with_months_decodes_to_interval(text, value):
    assert decode(oids.INTERVAL, 0, text) == value


def test_interval_decodes_from_binary():
    data = b"\x00\x00\x00\x03l\x93a\xa0\xff\xff\xff\xfd\x00\x00\x00\x0e"
    assert decode(oids.INTERVAL, 1, data) == Interval(14, -3, 14_706_500_000)


def test_interval_in_another_interval_style_raises_data_error_naming_the_style():
    with pytest.raises(DataError, match="IntervalStyle"):
        decode(oids.INTERVAL, 0, b"P1Y2M")


@given(st.datetimes(min_value=datetime(1, 1, 1, 0, 0, 1)))
def test_naive_datetime_round_trips_through_text(value):
    _, _, payload = registry.encode(value)
    assert payload is not None
    assert decode(oids.TIMESTAMP, 0, payload.replace(b"T", b" ")) == value


@given(st.timedeltas())
def test_timedelta_round_trips_through_binary(value):
    micros = value.seconds * 1_000_000 + value.microseconds
    data = micros.to_bytes(8, "big", signed=True) + value.days.to_bytes(4, "big", signed=True)
    assert decode(oids.INTERVAL, 1, data + b"\x00\x00\x00\x00") == value


@pytest.mark.parametrize(
    ("oid", "text", "value"),
    [
        (oids.TIMESTAMP, b"2024-01-01 10:00:00.5", datetime(2024, 1, 1, 10, 0, 0, 500000)),
        (
            oids.TIMESTAMPTZ,
            b"2024-07-01 05:30:00.5-04:30",
            datetime(2024, 7, 1, 10, 0, 0, 500000, tzinfo=UTC),
        ),
        (oids.TIMESTAMPTZ, b"2024-07-01 12:00:00+02", datetime(2024, 7, 1, 10, tzinfo=UTC)),
    ],
)
def test_timestamps_decode_the_same_without_the_python_311_isoformat_parser(
    monkeypatch, oid, text, value
):
    from purepg.codecs import datetime as datetime_codecs

    monkeypatch.setattr(datetime_codecs, "_FULL_ISOFORMAT", False)
    decoder = (
        datetime_codecs.decode_timestamp_text
        if oid == oids.TIMESTAMP
        else datetime_codecs.decode_timestamptz_text
    )
    result = decoder(text)
    assert result == value
    assert result.utcoffset() == registry.decoder(oid, 0)(text).utcoffset()


@pytest.mark.parametrize(
    ("oid", "text"),
    [
        (oids.DATE, b"01/02/2024"),  # DateStyle SQL, DMY
        (oids.DATE, b"01.02.2024"),  # German
        (oids.DATE, b"02-01-2024"),  # Postgres, MDY
        (oids.TIMESTAMP, b"01/02/2024 10:00:00"),
        (oids.TIMESTAMPTZ, b"Thu Feb 01 10:00:00 2024 UTC"),
    ],
)
def test_a_value_written_in_another_datestyle_is_an_error_naming_datestyle(oid, text):
    with pytest.raises(DataError, match=r"not in ISO format.*DateStyle"):
        decode(oid, 0, text)


def test_a_year_after_9999_is_still_reported_as_out_of_range():
    with pytest.raises(DataError, match="out of the range"):
        decode(oids.DATE, 0, b"12345-01-01")
