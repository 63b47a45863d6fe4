"""THE shared table of PostgreSQL types: the Python value sent, the Python value expected back.

Every driver round-trips every row (``SELECT %s::type`` and through a table column). The
canonical columns are what purepg and pgfacade promise (docs/dev/contracts.md): uuid ->
``uuid.UUID``, inet -> ``ipaddress.ip_interface``, cidr -> ``ip_network``, ranges ->
``purepg.types.Range``, hstore -> dict, json -> parsed, interval -> ``timedelta`` (or
``purepg.types.Interval`` when it carries months), arrays -> lists, bytea -> bytes.

Raw psycopg2 legitimately differs on some rows: each says so in ``differs`` with psycopg2's
documented value and the reason. Values a driver cannot adapt are sent in their textual form
with the cast (``SELECT %s::uuid`` with a str), and the row says so.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.conformance.drivers import PSYCOPG2
from tests.conformance.expectations import (
    Differs,
    Expectation,
    Lazy,
    MemoryviewOf,
    NaN,
    empty_range,
    interval_of,
    purepg_type,
    range_of,
)
from tests.conformance.plugin import ENUM_TYPE

UTC = dt.timezone.utc
PLUS_TWO = dt.timezone(dt.timedelta(hours=2))
UUID_A = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
UUID_B = uuid.UUID("00000000-0000-0000-0000-000000000000")
HUGE_NUMERIC = Decimal(
    "123456789012345678901234567890123456789012345678901234567890"
    ".000000000000000000000000000000000000000000000000000000000001"
)
TRICKY_TEXTS = ['a"b', "c,d", "{e}", "back\\slash", "", None, "NULL", " spaced "]
T0 = dt.datetime(2024, 2, 29, 13, 14, 15, 123456, tzinfo=UTC)
T1 = dt.datetime(2024, 3, 1, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class TypeCase:
    """One row of the table: a value of ``pg_type`` and what each driver must give back."""

    id: str
    pg_type: str
    expectation: Expectation
    note: str = ""
    """How the value is sent when that is not the obvious way (e.g. textual form with a cast)."""


def case(
    case_id: str,
    pg_type: str,
    send: Any,
    expected: Any = None,
    *,
    same: bool = False,
    note: str = "",
    differs: Mapping[str, Differs] | None = None,
) -> TypeCase:
    """A row; ``same=True``: the value sent is also the value expected back."""
    return TypeCase(
        case_id,
        pg_type,
        Expectation(send, send if same else expected, dict(differs or {})),
        note,
    )


def psycopg2(reason: str, **kwargs: Any) -> dict[str, Differs]:
    """How raw psycopg2 differs (the ``differs`` argument of ``case``)."""
    return {PSYCOPG2: Differs(reason, **kwargs)}


def lazy_psycopg2(type_name: str, *args: Any, **kwargs: Any) -> Lazy:
    """A ``psycopg2.extras`` value, built when its row runs (this module needs no psycopg2)."""

    def build() -> Any:
        import psycopg2.extras

        return getattr(psycopg2.extras, type_name)(*args, **kwargs)

    return Lazy(build, f"psycopg2.extras.{type_name}{args!r}")


def lazy_range(*args: Any, **kwargs: Any) -> Lazy:
    return Lazy(lambda: purepg_type("Range")(*args, **kwargs), f"purepg.types.Range{args!r}")


BYTEA_AS_MEMORYVIEW = "psycopg2 returns bytea as memoryview (documented), not bytes"
UUID_AS_STR = (
    "psycopg2 neither adapts uuid.UUID nor parses uuid without register_uuid(): "
    "sent as text with the cast, returned as str"
)
NET_AS_STR = (
    "psycopg2 neither adapts ipaddress objects nor parses inet/cidr without "
    "register_ipaddress(): sent as text with the cast, returned as str"
)
RANGE_AS_PSYCOPG2 = "psycopg2 uses its own range classes (psycopg2.extras.NumericRange / ...Range)"
HSTORE_AS_STR = "psycopg2 returns hstore as its text form without register_hstore()"
SENT_AS_TEXT = "sent in textual form with the cast"

TYPE_CASES: tuple[TypeCase, ...] = (
    case("bool-true", "bool", True, same=True),
    case("bool-false", "bool", False, same=True),
    case("int2-min", "int2", -32768, same=True),
    case("int4-max", "int4", 2147483647, same=True),
    case("int8-max", "int8", 9223372036854775807, same=True),
    case("int8-min", "int8", -9223372036854775808, same=True),
    case("float4", "float4", 1.5, same=True),
    case("float4-nan", "float4", float("nan"), NaN(float)),
    case("float8", "float8", 0.1, same=True),
    case("float8-tiny", "float8", -1.25e-300, same=True),
    case("float8-nan", "float8", float("nan"), NaN(float)),
    case("float8-inf", "float8", float("inf"), same=True),
    case("float8-minus-inf", "float8", float("-inf"), same=True),
    case("numeric", "numeric", Decimal("12.345"), same=True),
    case("numeric-negative-scale", "numeric", Decimal("-0.000001"), same=True),
    case("numeric-huge-precision", "numeric", HUGE_NUMERIC, same=True),
    case("numeric-nan", "numeric", Decimal("NaN"), NaN(Decimal)),
    case("text", "text", "hello", same=True),
    case("text-empty", "text", "", same=True),
    case("text-non-ascii", "text", "grüße, 日本語, 🐘", same=True),
    case("text-quotes-backslash", "text", 'it\'s "quoted" \\ back', same=True),
    case("varchar", "varchar(10)", "abc", same=True),
    case("char-padded", "char(4)", "ab", "ab  "),
    case(
        "bytea",
        "bytea",
        b"\x00\x01\xfe\xff'\\",
        b"\x00\x01\xfe\xff'\\",
        differs=psycopg2(BYTEA_AS_MEMORYVIEW, expected=MemoryviewOf(b"\x00\x01\xfe\xff'\\")),
    ),
    case(
        "bytea-empty",
        "bytea",
        b"",
        b"",
        differs=psycopg2(BYTEA_AS_MEMORYVIEW, expected=MemoryviewOf(b"")),
    ),
    case("date", "date", dt.date(2024, 2, 29), same=True),
    case("time", "time", dt.time(13, 14, 15, 123456), same=True),
    case("timetz", "timetz", dt.time(13, 14, 15, tzinfo=PLUS_TWO), same=True),
    case("timestamp", "timestamp", dt.datetime(2024, 2, 29, 13, 14, 15, 123456), same=True),
    case("timestamptz", "timestamptz", T0, same=True),
    case(
        "timestamptz-other-offset",
        "timestamptz",
        dt.datetime(2024, 2, 29, 15, 14, 15, 123456, tzinfo=PLUS_TWO),
        T0,
    ),
    case("interval", "interval", dt.timedelta(days=3, seconds=3723, microseconds=5), same=True),
    case("interval-negative", "interval", -dt.timedelta(hours=1, minutes=2), same=True),
    case(
        "interval-with-months",
        "interval",
        "1 year 2 mons 3 days 04:05:06",
        interval_of(months=14, days=3, microseconds=14706 * 10**6),
        note=SENT_AS_TEXT + ": a timedelta cannot carry months",
        differs=psycopg2(
            "psycopg2 approximates a year as 365 days and a month as 30 days",
            expected=dt.timedelta(days=365 + 2 * 30 + 3, seconds=14706),
        ),
    ),
    case(
        "uuid",
        "uuid",
        UUID_A,
        UUID_A,
        differs=psycopg2(UUID_AS_STR, send=str(UUID_A), expected=str(UUID_A)),
    ),
    case(
        "json-object",
        "json",
        '{"a": [1, 2.5, null], "b": "ü"}',
        {"a": [1, 2.5, None], "b": "ü"},
        note=SENT_AS_TEXT + ": a dict parameter does not say json rather than jsonb or hstore",
    ),
    case("json-array", "json", '[1, "x", true]', [1, "x", True], note=SENT_AS_TEXT),
    case("json-scalar-string", "json", '"just text"', "just text", note=SENT_AS_TEXT),
    case(
        "jsonb-object",
        "jsonb",
        '{"nested": {"k": [1, {"z": null}]}, "n": 12}',
        {"nested": {"k": [1, {"z": None}]}, "n": 12},
        note=SENT_AS_TEXT,
    ),
    case("int4-array", "int4[]", [1, 2, 3], same=True),
    case("int4-array-empty", "int4[]", [], same=True),
    case("int4-array-with-nulls", "int4[]", [1, None, 3], same=True),
    case("int4-array-2d", "int4[]", [[1, 2], [3, 4]], same=True),
    case("text-array-tricky", "text[]", TRICKY_TEXTS, same=True),
    case("text-array-2d-with-nulls", "text[]", [["a", None], [None, "d}"]], same=True),
    case("numeric-array", "numeric[]", [Decimal("1.5"), Decimal("-2")], same=True),
    case("date-array", "date[]", [dt.date(2024, 1, 1), None], same=True),
    case(
        "uuid-array",
        "uuid[]",
        [UUID_A, UUID_B],
        [UUID_A, UUID_B],
        differs=psycopg2(
            "psycopg2 has no uuid[] typecaster without register_uuid(): the array is sent and "
            "returned in its text form",
            send=f"{{{UUID_A},{UUID_B}}}",
            expected=f"{{{UUID_A},{UUID_B}}}",
        ),
    ),
    case(
        "int4range",
        "int4range",
        lazy_range(1, 10, "[)"),
        range_of(1, 10, "[)"),
        differs=psycopg2(
            RANGE_AS_PSYCOPG2,
            send=lazy_psycopg2("NumericRange", 1, 10, "[)"),
            expected=lazy_psycopg2("NumericRange", 1, 10, "[)"),
        ),
    ),
    case(
        "int4range-canonicalised",
        "int4range",
        "(1,10]",
        range_of(2, 11, "[)"),
        note=SENT_AS_TEXT + ": the server canonicalises discrete ranges to [)",
        differs=psycopg2(RANGE_AS_PSYCOPG2, expected=lazy_psycopg2("NumericRange", 2, 11, "[)")),
    ),
    case(
        "int4range-unbounded-above",
        "int4range",
        lazy_range(5, None, "[)"),
        range_of(5, None, "[)"),
        differs=psycopg2(
            RANGE_AS_PSYCOPG2,
            send=lazy_psycopg2("NumericRange", 5, None, "[)"),
            expected=lazy_psycopg2("NumericRange", 5, None, "[)"),
        ),
    ),
    case(
        "int4range-empty",
        "int4range",
        Lazy(lambda: purepg_type("Range")(empty=True), "purepg.types.Range(empty=True)"),
        empty_range(),
        differs=psycopg2(
            RANGE_AS_PSYCOPG2,
            send=lazy_psycopg2("NumericRange", empty=True),
            expected=lazy_psycopg2("NumericRange", empty=True),
        ),
    ),
    case(
        "numrange-inclusive",
        "numrange",
        lazy_range(Decimal("1.5"), Decimal("2.5"), "[]"),
        range_of(Decimal("1.5"), Decimal("2.5"), "[]"),
        differs=psycopg2(
            RANGE_AS_PSYCOPG2,
            send=lazy_psycopg2("NumericRange", Decimal("1.5"), Decimal("2.5"), "[]"),
            expected=lazy_psycopg2("NumericRange", Decimal("1.5"), Decimal("2.5"), "[]"),
        ),
    ),
    case(
        "tstzrange",
        "tstzrange",
        lazy_range(T0, T1, "[)"),
        range_of(T0, T1, "[)"),
        differs=psycopg2(
            RANGE_AS_PSYCOPG2,
            send=lazy_psycopg2("DateTimeTZRange", T0, T1, "[)"),
            expected=lazy_psycopg2("DateTimeTZRange", T0, T1, "[)"),
        ),
    ),
    case(
        "inet-host",
        "inet",
        ipaddress.ip_interface("192.168.0.1"),
        ipaddress.ip_interface("192.168.0.1"),
        differs=psycopg2(NET_AS_STR, send="192.168.0.1", expected="192.168.0.1"),
    ),
    case(
        "inet-with-prefix",
        "inet",
        ipaddress.ip_interface("192.168.0.1/24"),
        ipaddress.ip_interface("192.168.0.1/24"),
        differs=psycopg2(NET_AS_STR, send="192.168.0.1/24", expected="192.168.0.1/24"),
    ),
    case(
        "inet-ipv6",
        "inet",
        ipaddress.ip_interface("2001:db8::1/64"),
        ipaddress.ip_interface("2001:db8::1/64"),
        differs=psycopg2(NET_AS_STR, send="2001:db8::1/64", expected="2001:db8::1/64"),
    ),
    case(
        "cidr",
        "cidr",
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("10.0.0.0/8"),
        differs=psycopg2(NET_AS_STR, send="10.0.0.0/8", expected="10.0.0.0/8"),
    ),
    case(
        "hstore",
        "hstore",
        'a=>1, b=>NULL, "ü"=>"x y"',
        {"a": "1", "b": None, "ü": "x y"},
        note=SENT_AS_TEXT + ": a dict parameter does not say hstore rather than json",
        differs=psycopg2(HSTORE_AS_STR, expected='"a"=>"1", "b"=>NULL, "ü"=>"x y"'),
    ),
    case(
        "hstore-empty",
        "hstore",
        "",
        {},
        note=SENT_AS_TEXT,
        differs=psycopg2(HSTORE_AS_STR, expected=""),
    ),
    case("enum", ENUM_TYPE, "happy", same=True, note="an enum label is sent and returned as str"),
    case("null-int4", "int4", None, same=True),
    case("null-text", "text", None, same=True),
    case("null-timestamptz", "timestamptz", None, same=True),
    case("null-uuid", "uuid", None, same=True),
    case("null-jsonb", "jsonb", None, same=True),
    case("null-int4-array", "int4[]", None, same=True),
    case("null-int4range", "int4range", None, same=True),
)
