"""Connection options shared by the blocking and the asyncio connection: their validation and
the SQL they become (isolation levels, ``BEGIN``, ``statement_timeout``, ``socket_timeout``)."""

from __future__ import annotations

from typing import Any

from purepg.errors import ProgrammingError

DEFAULT_STATEMENT_CACHE_SIZE = 100
"""Named prepared statements a connection keeps at most (0: none, only unnamed ones)."""
DEFAULT_PREPARE_THRESHOLD = 5
"""Executions of a query with parameters before it becomes a named prepared statement."""

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


class ConnectPlan:
    """What ``connect`` (blocking or asyncio) makes of its arguments before opening a socket:
    the resolved libpq parameters (an ``ssl_context`` means at least ``sslmode=require``),
    the DSN as shown (password masked), the startup options, the socket timeout and the
    statement cache."""

    def __init__(  # noqa: PLR0917 - connect's own arguments, in its order
        self,
        dsn: str | None,
        params: dict[str, Any],
        ssl_context: Any,
        statement_timeout: int | float | str | None,
        socket_timeout: float | str | None,
        statement_cache_size: Any,
        prepare_threshold: Any,
    ) -> None:
        from purepg.conninfo import resolve
        from purepg.statements import StatementCache

        try:
            self.statements = StatementCache(int(statement_cache_size), int(prepare_threshold))
        except ValueError as exc:
            raise ProgrammingError(str(exc)) from None
        self.socket_timeout = socket_timeout_seconds(socket_timeout)
        resolved = resolve(dsn, params)
        if ssl_context is not None:  # a context means TLS: sslmode at least require
            from purepg.tls import mode_for_context

            resolved = mode_for_context(resolved)
        self.params = resolved
        self.ssl_context = ssl_context
        self.extra_options = statement_timeout_option(statement_timeout)
        self.shown_dsn = ""
        if dsn:
            from purepg.redaction import masked_dsn

            self.shown_dsn = masked_dsn(dsn)

    @classmethod
    def from_arguments(cls, dsn: str | None, arguments: dict[str, Any]) -> ConnectPlan:
        """The plan for ``connect(dsn, **arguments)``: the keywords ``purepg.connect`` names
        taken out of ``arguments``, the rest being libpq keywords."""
        return cls(
            dsn,
            arguments,
            arguments.pop("ssl_context", None),
            arguments.pop("statement_timeout", None),
            arguments.pop("socket_timeout", None),
            arguments.pop("statement_cache_size", DEFAULT_STATEMENT_CACHE_SIZE),
            arguments.pop("prepare_threshold", DEFAULT_PREPARE_THRESHOLD),
        )

    @staticmethod
    def registry() -> Any:
        """A fresh copy of the default codec registry for the new connection."""
        from purepg.codecs.registry import default_registry

        return default_registry.copy()
