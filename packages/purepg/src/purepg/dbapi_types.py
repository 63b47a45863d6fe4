"""DB-API 2.0 type objects and constructors.

``cursor.description[i].type_code`` is the column's type OID; it compares equal to the type
object of its family (``STRING == 25``), as the DB-API asks.
"""

from __future__ import annotations

import time as _time
from typing import TYPE_CHECKING, Any

from purepg.codecs import oids

if TYPE_CHECKING:
    import datetime


class DBAPITypeObject:
    """A family of type OIDs that compares equal to each of them."""

    def __init__(self, name: str, *type_oids: int) -> None:
        self.name = name
        self.values = frozenset(type_oids)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DBAPITypeObject):
            return self.values == other.values
        if isinstance(other, int):
            return other in self.values
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash(self.values)

    def __repr__(self) -> str:
        return f"<DBAPITypeObject {self.name}>"


STRING = DBAPITypeObject(
    "STRING",
    oids.TEXT,
    oids.VARCHAR,
    oids.BPCHAR,
    oids.NAME,
    oids.CHAR,
    oids.UNKNOWN_LITERAL,
    oids.XML,
    oids.JSON,
    oids.JSONB,
)
BINARY = DBAPITypeObject("BINARY", oids.BYTEA)
NUMBER = DBAPITypeObject(
    "NUMBER",
    oids.INT2,
    oids.INT4,
    oids.INT8,
    oids.OID,
    oids.FLOAT4,
    oids.FLOAT8,
    oids.NUMERIC,
    oids.MONEY,
)
DATETIME = DBAPITypeObject(
    "DATETIME",
    oids.DATE,
    oids.TIME,
    oids.TIMETZ,
    oids.TIMESTAMP,
    oids.TIMESTAMPTZ,
    oids.INTERVAL,
)
ROWID = DBAPITypeObject("ROWID", oids.OID, oids.TID)


def Date(year: int, month: int, day: int) -> datetime.date:  # noqa: N802 - DB-API name
    """A date value."""
    from datetime import date

    return date(year, month, day)


def Time(hour: int, minute: int, second: int) -> datetime.time:  # noqa: N802
    """A time value."""
    from datetime import time

    return time(hour, minute, second)


def Timestamp(  # noqa: N802, PLR0917 - DB-API signature
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime.datetime:
    """A timestamp value (naive)."""
    from datetime import datetime

    return datetime(year, month, day, hour, minute, second)


def DateFromTicks(ticks: float) -> datetime.date:  # noqa: N802
    """The local date of a POSIX timestamp."""
    return Date(*_time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> datetime.time:  # noqa: N802
    """The local time of day of a POSIX timestamp."""
    return Time(*_time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> datetime.datetime:  # noqa: N802
    """The local timestamp (naive) of a POSIX timestamp."""
    return Timestamp(*_time.localtime(ticks)[:6])


def Binary(data: Any) -> bytes:  # noqa: N802
    """A binary (bytea) value."""
    return bytes(data)
