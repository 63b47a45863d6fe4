"""pgfacade: one connect() for AWS Lambda handlers over a static psycopg2 or purepg.

``import pgfacade`` imports neither driver (nor boto3): the backend is chosen and imported by
the first `connect()`. The DB-API exception classes are purepg's (`purepg.errors`), one
hierarchy whichever backend runs, with every SQLSTATE subclass
(``pgfacade.errors.UniqueViolation``).
"""

from __future__ import annotations

# Only this module is imported by ``import pgfacade`` (not even ``typing``): settings, backends,
# errors and the Lambda runtime are imported by the functions that need them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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

    from .connecting import DriverNotAvailableError
    from .lambda_runtime import LambdaContext
    from .settings import Settings

__version__ = "0.1.0"

apilevel = "2.0"
threadsafety = 1
paramstyle = "pyformat"

# Defaults of `lambda_connection` (`pgfacade.lambda_runtime` uses these).
DEFAULT_IDLE_CHECK_AFTER = 30.0
DEFAULT_DEADLINE_MARGIN_MS = 500

_ERROR_NAMES = frozenset(
    {
        "Warning",
        "Error",
        "InterfaceError",
        "DatabaseError",
        "DataError",
        "OperationalError",
        "IntegrityError",
        "InternalError",
        "ProgrammingError",
        "NotSupportedError",
    }
)
# DB-API type constructors and type objects: purepg's (they compare with type OIDs, which is
# what both backends put in cursor.description).
_DBAPI_NAMES = frozenset(
    {
        "Date",
        "Time",
        "Timestamp",
        "DateFromTicks",
        "TimeFromTicks",
        "TimestampFromTicks",
        "Binary",
        "STRING",
        "BINARY",
        "NUMBER",
        "DATETIME",
        "ROWID",
    }
)


def connect(
    dsn: str | None = None,
    *,
    driver: str | None = None,
    reuse: bool = False,
    pooler_safe: bool = False,
    secret_id: str | None = None,
    iam_auth: bool = False,
    region: str | None = None,
    socket_timeout: float | str | None = None,
    **params: Any,
) -> Any:
    """Connect through psycopg2 or purepg (``driver=``, else ``PGFACADE_DRIVER``, else
    psycopg2 when importable, else purepg).

    ``dsn`` is a conninfo string or URI (default: ``DATABASE_URL``); ``params`` are libpq
    keywords and win over it; PG* variables fill the rest. ``reuse=True`` returns the
    process-wide connection for these settings, checked and reconnected when needed (see
    `lambda_connection`). ``secret_id`` reads an RDS secret from Secrets Manager;
    ``iam_auth=True`` uses an RDS IAM token as password (always ``sslmode=verify-full``);
    ``pooler_safe=True`` avoids named prepared statements and session state (RDS Proxy,
    PgBouncer transaction pooling). Remote hosts default to ``sslmode=verify-full``.
    ``socket_timeout`` (seconds, None: none) bounds waits for an unresponsive server once
    connected: purepg fails a request not answered that long (however it trickles); over
    psycopg2 (libpq has no read timeout) it becomes ``tcp_user_timeout`` and TCP keepalives,
    which detect a dead peer or network but not a server that is alive and silent.
    """
    from .settings import Settings

    settings = Settings.from_arguments(
        dsn,
        params,
        driver=driver,
        pooler_safe=pooler_safe,
        secret_id=secret_id,
        iam_auth=iam_auth,
        region=region,
        socket_timeout=socket_timeout,
    )
    if reuse:
        from .lambda_runtime import reusable_connection

        return reusable_connection(settings)
    from .connecting import open_connection

    return open_connection(settings)


def lambda_connection(
    context: LambdaContext | None = None,
    dsn: str | None = None,
    *,
    idle_check_after: float = DEFAULT_IDLE_CHECK_AFTER,
    deadline_margin_ms: int = DEFAULT_DEADLINE_MARGIN_MS,
    statement_timeout: bool = True,
    cancel_at_deadline: bool = True,
    driver: str | None = None,
    pooler_safe: bool = False,
    secret_id: str | None = None,
    iam_auth: bool = False,
    region: str | None = None,
    socket_timeout: float | str | None = None,
    **params: Any,
) -> Any:
    """The connection for this Lambda invocation: call it at the start of every handler run.

    The same connection is returned across warm invocations; a leftover transaction is
    rolled back, a connection idle for more than ``idle_check_after`` seconds is pinged, a dead
    one is replaced. With ``context``, statements end ``deadline_margin_ms`` before the
    invocation's deadline (``statement_timeout`` and/or a cancel timer). ``socket_timeout``
    as for `connect`.
    """
    from .lambda_runtime import reusable_connection
    from .settings import Settings

    settings = Settings.from_arguments(
        dsn,
        params,
        driver=driver,
        pooler_safe=pooler_safe,
        secret_id=secret_id,
        iam_auth=iam_auth,
        region=region,
        socket_timeout=socket_timeout,
    )
    return reusable_connection(
        settings,
        context=context,
        idle_check_after=idle_check_after,
        deadline_margin_ms=deadline_margin_ms,
        statement_timeout=statement_timeout,
        cancel_at_deadline=cancel_at_deadline,
    )


def driver_info(driver: str | None = None) -> dict[str, Any]:
    """Which backend ``connect()`` uses and why, its version, libpq/OpenSSL versions and
    module path for psycopg2, and which drivers failed to import."""
    from .connecting import backend_module, current_selection

    selection = current_selection(driver)
    info: dict[str, Any] = {"driver": selection.name, "reason": selection.reason}
    info.update(backend_module(selection).details())
    info["import_errors"] = dict(selection.import_errors)
    return info


def __getattr__(name: str) -> Any:
    """The exception classes, DB-API constructors, `Settings` and `DriverNotAvailableError`,
    imported on first use."""
    if name in _ERROR_NAMES or name == "errors":
        from importlib import import_module  # not `from . import`: that would recurse here

        errors = import_module("pgfacade.errors")
        return errors if name == "errors" else getattr(errors, name)
    if name in _DBAPI_NAMES:
        import purepg

        return getattr(purepg, name)
    if name == "Settings":
        from .settings import Settings

        return Settings
    if name == "DriverNotAvailableError":
        from .connecting import DriverNotAvailableError

        return DriverNotAvailableError
    raise AttributeError(f"module 'pgfacade' has no attribute {name!r}")


__all__ = [
    "DataError",
    "DatabaseError",
    "DriverNotAvailableError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Settings",
    "Warning",
    "apilevel",
    "connect",
    "driver_info",
    "lambda_connection",
    "paramstyle",
    "threadsafety",
]
