"""Connection options shared by the blocking and the asyncio connection: their validation and
the SQL they become (isolation levels, ``BEGIN``, ``statement_timeout``, ``socket_timeout``)."""

from __future__ import annotations

from typing import Any

from purepg.errors import ProgrammingError

# psycopg2's isolation level constants.
ISOLATION_LEVEL_AUTOCOMMIT = 0
ISOLATION_LEVEL_READ_UNCOMMITTED = 4
ISOLATION_LEVEL_READ_COMMITTED = 1
ISOLATION_LEVEL_REPEATABLE_READ = 2
ISOLATION_LEVEL_SERIALIZABLE = 3
ISOLATION_LEVEL_DEFAULT = None

ISOLATION_NAMES = {
    ISOLATION_LEVEL_READ_UNCOMMITTED: "READ UNCOMMITTED",
    ISOLATION_LEVEL_READ_COMMITTED: "READ COMMITTED",
    ISOLATION_LEVEL_REPEATABLE_READ: "REPEATABLE READ",
    ISOLATION_LEVEL_SERIALIZABLE: "SERIALIZABLE",
}
"""The SQL name of each isolation level constant (autocommit is not a level of a BEGIN)."""
_ISOLATION_BY_NAME = {name: level for level, name in ISOLATION_NAMES.items()}


def socket_timeout_seconds(value: float | str | None) -> float | None:
    """``socket_timeout`` in seconds, None for no timeout (None or 0)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if isinstance(value, bool) or not 0 <= seconds < float("inf"):  # also refuses NaN
        raise ProgrammingError(
            f"invalid socket_timeout: {value!r}, expected seconds >= 0 (0 or None: no timeout)"
        )
    return seconds or None


def statement_timeout_option(value: int | float | str | None) -> str | None:
    """The startup ``options`` item that sets ``statement_timeout`` (None: none)."""
    if value is None:
        return None
    text = str(value).replace(" ", "")
    if not text or any(ch in text for ch in "\\'\""):
        raise ProgrammingError(f"invalid statement_timeout: {value!r}")
    return f"-c statement_timeout={text}"


def begin_statement(
    isolation_level: int | None, read_only: bool | None, deferrable: bool | None
) -> str:
    """The BEGIN that opens a transaction with these characteristics (None: server default)."""
    sql = "BEGIN"
    if isolation_level is not None:
        sql += " ISOLATION LEVEL " + ISOLATION_NAMES[isolation_level]
    if read_only is not None:
        sql += " READ ONLY" if read_only else " READ WRITE"
    if deferrable is not None:
        sql += " DEFERRABLE" if deferrable else " NOT DEFERRABLE"
    return sql


def parse_isolation_level(value: Any) -> int | None:
    """A psycopg2 isolation level (int constant, name, "DEFAULT" or None) as its constant."""
    if value is None:
        return None
    if isinstance(value, str):
        name = value.strip().upper().replace("_", " ")
        if name == "DEFAULT":
            return None
        if name in _ISOLATION_BY_NAME:
            return _ISOLATION_BY_NAME[name]
        raise ValueError(f"bad isolation level: {value!r}")
    if isinstance(value, int) and not isinstance(value, bool) and value in ISOLATION_NAMES:
        return value
    raise ValueError(f"bad isolation level: {value!r}")
