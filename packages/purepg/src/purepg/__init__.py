"""purepg: a pure-Python PostgreSQL driver (DB-API 2.0) with a sans-IO protocol core.

``import purepg`` (and ``purepg.errors``, ``purepg.types``) stays light: the driver itself
(connection, cursor, protocol, sockets) is imported on first use of ``connect``, ``Connection``,
``Cursor`` or a connection constant (PEP 562 module ``__getattr__``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    from purepg.connection import (
        DEFAULT_PREPARE_THRESHOLD,
        DEFAULT_STATEMENT_CACHE_SIZE,
        Connection,
        connect,
    )
    from purepg.connection_options import (
        ISOLATION_LEVEL_AUTOCOMMIT,
        ISOLATION_LEVEL_DEFAULT,
        ISOLATION_LEVEL_READ_COMMITTED,
        ISOLATION_LEVEL_READ_UNCOMMITTED,
        ISOLATION_LEVEL_REPEATABLE_READ,
        ISOLATION_LEVEL_SERIALIZABLE,
    )
    from purepg.cursor import Cursor

__version__ = "0.1.0"

apilevel = "2.0"
threadsafety = 2
paramstyle = "pyformat"

_LAZY = {
    "connect": "purepg.connection",
    "Connection": "purepg.connection",
    "DEFAULT_PREPARE_THRESHOLD": "purepg.connection",
    "DEFAULT_STATEMENT_CACHE_SIZE": "purepg.connection",
    "ISOLATION_LEVEL_AUTOCOMMIT": "purepg.connection_options",
    "ISOLATION_LEVEL_DEFAULT": "purepg.connection_options",
    "ISOLATION_LEVEL_READ_COMMITTED": "purepg.connection_options",
    "ISOLATION_LEVEL_READ_UNCOMMITTED": "purepg.connection_options",
    "ISOLATION_LEVEL_REPEATABLE_READ": "purepg.connection_options",
    "ISOLATION_LEVEL_SERIALIZABLE": "purepg.connection_options",
    "Cursor": "purepg.cursor",
}
"""Names imported from the driver modules on first use."""


def __getattr__(name: str) -> Any:
    """``connect``, ``Connection``, ``Cursor`` and the connection constants, imported lazily."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'purepg' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BINARY",
    "DATETIME",
    "DEFAULT_PREPARE_THRESHOLD",
    "DEFAULT_STATEMENT_CACHE_SIZE",
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
