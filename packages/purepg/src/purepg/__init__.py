"""purepg: a pure-Python PostgreSQL driver (DB-API 2.0) with a sans-IO protocol core."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from purepg.connection import (
    DEFAULT_PREPARE_THRESHOLD,
    DEFAULT_STATEMENT_CACHE_SIZE,
    ISOLATION_LEVEL_AUTOCOMMIT,
    ISOLATION_LEVEL_DEFAULT,
    ISOLATION_LEVEL_READ_COMMITTED,
    ISOLATION_LEVEL_READ_UNCOMMITTED,
    ISOLATION_LEVEL_REPEATABLE_READ,
    ISOLATION_LEVEL_SERIALIZABLE,
    Connection,
)
from purepg.cursor import Cursor
from purepg.dbapi_types import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)
from purepg.errors import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)

if TYPE_CHECKING:
    import ssl

__version__ = "0.1.0"

apilevel = "2.0"
threadsafety = 2
paramstyle = "pyformat"


def connect(
    dsn: str | None = None,
    *,
    ssl_context: ssl.SSLContext | None = None,
    statement_timeout: int | float | str | None = None,
    statement_cache_size: int = DEFAULT_STATEMENT_CACHE_SIZE,
    prepare_threshold: int = DEFAULT_PREPARE_THRESHOLD,
    **params: Any,
) -> Connection:
    """Open a connection; ``params`` are libpq keywords, with libpq's meaning and defaults.

    ``dsn`` is a conninfo string or URI; PG* environment variables and ``~/.pgpass`` apply.
    ``ssl_context`` replaces the context built from the ``ssl*`` keywords. ``statement_timeout``
    (milliseconds, or a string with a unit such as ``"5s"``) limits every statement.
    A query executed ``prepare_threshold`` times becomes a named prepared statement, at most
    ``statement_cache_size`` of them per connection; ``statement_cache_size=0`` uses only
    unnamed statements (required behind PgBouncer in transaction mode or RDS Proxy).
    """
    from purepg.codecs.registry import default_registry
    from purepg.conninfo import resolve
    from purepg.io.blocking import connect as open_transport
    from purepg.statements import StatementCache

    try:
        statements = StatementCache(int(statement_cache_size), int(prepare_threshold))
    except ValueError as exc:
        raise ProgrammingError(str(exc)) from None
    resolved = resolve(dsn, params)
    extra = None
    if statement_timeout is not None:
        value = str(statement_timeout).replace(" ", "")
        if not value or any(ch in value for ch in "\\'\""):
            raise ProgrammingError(f"invalid statement_timeout: {statement_timeout!r}")
        extra = f"-c statement_timeout={value}"
    transport = open_transport(resolved, ssl_context, extra)
    return Connection(transport, default_registry.copy(), dsn or "", statements)


__all__ = [
    "BINARY",
    "DATETIME",
    "ISOLATION_LEVEL_AUTOCOMMIT",
    "ISOLATION_LEVEL_DEFAULT",
    "ISOLATION_LEVEL_READ_COMMITTED",
    "ISOLATION_LEVEL_READ_UNCOMMITTED",
    "ISOLATION_LEVEL_REPEATABLE_READ",
    "ISOLATION_LEVEL_SERIALIZABLE",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Warning",
    "apilevel",
    "connect",
    "paramstyle",
    "threadsafety",
]
