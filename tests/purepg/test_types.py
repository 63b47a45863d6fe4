"""purepg.types value types and purepg.dbapi_types."""

from __future__ import annotations

import datetime

import pytest
from purepg import dbapi_types
from purepg.codecs import oids
from purepg.types import Interval, Json, Jsonb, Range


def test_range_defaults_to_inclusive_lower_exclusive_upper():
    value = Range(1, 5)
    assert (value.lower, value.upper, value.bounds) == (1, 5, "[)")
    assert value.lower_inc and not value.upper_inc


def test_range_infinite_sides_are_exclusive():
    assert Range(None, 5, "[]").bounds == "(]"


@pytest.mark.parametrize(("item", "inside"), [(0, False), (1, True), (4, True), (5, False)])
def test_range_contains_follows_its_bounds(item, inside):
    assert (item in Range(1, 5)) is inside


def test_unbounded_range_contains_everything_beyond_its_bound():
    assert 10**9 in Range(1, None)
    assert -(10**9) in Range(None, 1)


def test_empty_range_contains_nothing_and_is_falsy():
    empty: Range[int] = Range(empty=True)
    assert 1 not in empty
    assert not empty
    assert empty.isempty and not empty.lower_inf


def test_ranges_are_equal_when_bounds_and_values_are():
    assert Range(1, 5) == Range(1, 5, "[)")
    assert Range(1, 5) != Range(1, 5, "[]")
    assert len({Range(1, 5), Range(1, 5)}) == 1


def test_range_repr_shows_how_to_build_it():
    assert repr(Range(1, 5, "(]")) == "Range(1, 5, '(]')"
    assert repr(Range(empty=True)) == "Range(empty=True)"


def test_range_rejects_invalid_bounds_naming_them():
    with pytest.raises(ValueError, match=r"'\[\['"):
        Range(1, 2, "[[")


def test_empty_range_with_bounds_is_refused():
    with pytest.raises(ValueError, match="empty"):
        Range(1, 2, empty=True)


def test_interval_equality_compares_each_field():
    assert Interval(1, 2, 3) == Interval(months=1, days=2, microseconds=3)
    assert Interval(1, 0, 0) != Interval(0, 30, 0)
    assert hash(Interval(1, 2, 3)) == hash(Interval(1, 2, 3))


def test_interval_str_is_postgresql_input_syntax():
    assert str(Interval(14, -3, -1_500_000)) == "+14 mons -3 days -1.500000 seconds"


def test_json_wrappers_compare_by_value_and_kind():
    assert Json([1]) == Json([1])
    assert Json([1]) != Jsonb([1])


@pytest.mark.parametrize(
    ("type_object", "oid"),
    [
        (dbapi_types.STRING, oids.TEXT),
        (dbapi_types.STRING, oids.VARCHAR),
        (dbapi_types.BINARY, oids.BYTEA),
        (dbapi_types.NUMBER, oids.NUMERIC),
        (dbapi_types.NUMBER, oids.INT8),
        (dbapi_types.DATETIME, oids.TIMESTAMPTZ),
        (dbapi_types.ROWID, oids.OID),
    ],
)
def test_dbapi_type_objects_equal_the_oids_of_their_family(type_object, oid):
    assert type_object == oid
    assert oid == type_object


def test_dbapi_type_objects_differ_from_other_families_oids():
    assert dbapi_types.NUMBER != oids.TEXT
    assert dbapi_types.STRING != oids.BYTEA


def test_dbapi_constructors_build_stdlib_values():
    assert dbapi_types.Date(2024, 1, 2) == datetime.date(2024, 1, 2)
    assert dbapi_types.Time(1, 2, 3) == datetime.time(1, 2, 3)
    assert dbapi_types.Timestamp(2024, 1, 2, 3, 4, 5) == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert dbapi_types.Binary(bytearray(b"x")) == b"x"


def test_dbapi_tick_constructors_use_local_time():
    ticks = 1_700_000_000.0
    local = datetime.datetime.fromtimestamp(ticks)
    assert dbapi_types.TimestampFromTicks(ticks) == local.replace(microsecond=0)
    assert dbapi_types.DateFromTicks(ticks) == local.date()
    assert dbapi_types.TimeFromTicks(ticks) == local.time().replace(microsecond=0)
