"""The psycopg2 backend: connection and cursor subclasses that raise purepg's exceptions and
return purepg's value types; everything else is psycopg2's own C code."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg2
import psycopg2.extensions as ext
from purepg import errors

from ..redaction import contains_secret, dsn_secrets
from . import psycopg2_types
from .psycopg2_errors import translate

F = TypeVar("F", bound=Callable[..., Any])
NAME = "psycopg2"
# psycopg2 raises these for parameters that do not match the placeholders.
_PARAMETER_ERRORS = (TypeError, IndexError, KeyError, ValueError)


# libpq's texts for a server that broke the protocol; libpq itself discards the message and
# keeps the connection open, the facade closes it (purepg's behaviour).
_PROTOCOL_VIOLATIONS = ("unexpected response from server", "lost synchronization with server")


def _connection_of(owner: Any) -> Any:
    """The psycopg2 connection of a connection or cursor method's ``self``."""
    return owner if isinstance(owner, ext.connection) else getattr(owner, "connection", None)


def _failed(owner: Any, exc: psycopg2.Error) -> errors.Error:
    """The purepg error for ``exc``; a protocol violation also closes the connection."""
    translated = translate(exc)
    if any(text in str(exc) for text in _PROTOCOL_VIOLATIONS):
        connection = _connection_of(owner)
        if connection is not None and not connection.closed:
            ext.connection.close(connection)
        translated = errors.ProtocolViolation(str(translated))
    return translated


def _translating(method: F) -> F:
    """``method`` raising purepg's exceptions, the psycopg2 one chained as ``__cause__``."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except psycopg2.Error as exc:
            raise _failed(args[0] if args else None, exc) from exc

    return wrapper  # type: ignore[return-value]


def _translating_parameters(method: F) -> F:
    """Like `_translating`, also turning parameter formatting errors into ProgrammingError."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except psycopg2.Error as exc:
            raise _failed(args[0] if args else None, exc) from exc
        except _PARAMETER_ERRORS as exc:
            raise translate(exc) from exc

    return wrapper  # type: ignore[return-value]


def _translating_rows(method: F) -> F:
    """Like `_translating`, also turning a value psycopg2 cannot decode (UnicodeDecodeError
    for text that is invalid in the client encoding) into DataError."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except psycopg2.Error as exc:
            raise _failed(args[0] if args else None, exc) from exc
        except UnicodeDecodeError as exc:
            raise errors.DataError(f"cannot decode a value of the result: {exc}") from exc

    return wrapper  # type: ignore[return-value]


class Cursor(ext.cursor):
    """psycopg2's cursor raising purepg's exceptions."""

    execute = _translating_parameters(ext.cursor.execute)
    executemany = _translating_parameters(ext.cursor.executemany)
    mogrify = _translating_parameters(ext.cursor.mogrify)
    callproc = _translating_parameters(ext.cursor.callproc)
    fetchone = _translating_rows(ext.cursor.fetchone)
    fetchmany = _translating_rows(ext.cursor.fetchmany)
    fetchall = _translating_rows(ext.cursor.fetchall)
    __next__ = _translating_rows(ext.cursor.__next__)
    scroll = _translating(ext.cursor.scroll)
    close = _translating(ext.cursor.close)
    copy_from = _translating(ext.cursor.copy_from)
    copy_to = _translating(ext.cursor.copy_to)
    copy_expert = _translating(ext.cursor.copy_expert)


def _set_autocommit(connection: ext.connection, value: bool) -> None:
    try:
        ext.connection.autocommit.__set__(connection, value)  # type: ignore[attr-defined]
    except psycopg2.Error as exc:
        raise translate(exc) from exc


class Connection(ext.connection):
    """psycopg2's connection raising purepg's exceptions, its cursors `Cursor`."""

    Warning = errors.Warning  # type: ignore[assignment]
    Error = errors.Error  # type: ignore[assignment]
    InterfaceError = errors.InterfaceError  # type: ignore[assignment]
    DatabaseError = errors.DatabaseError  # type: ignore[assignment]
    DataError = errors.DataError  # type: ignore[assignment]
    OperationalError = errors.OperationalError  # type: ignore[assignment]
    IntegrityError = errors.IntegrityError  # type: ignore[assignment]
    InternalError = errors.InternalError  # type: ignore[assignment]
    ProgrammingError = errors.ProgrammingError  # type: ignore[assignment]
    NotSupportedError = errors.NotSupportedError  # type: ignore[assignment]

    def __init__(self, dsn: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(dsn, *args, **kwargs)
        self.cursor_factory = Cursor

    autocommit = property(
        ext.connection.autocommit.__get__,  # type: ignore[attr-defined]
        _set_autocommit,
        doc="DB-API autocommit (psycopg2's).",
    )
    cursor = _translating(ext.connection.cursor)
    commit = _translating(ext.connection.commit)
    rollback = _translating(ext.connection.rollback)
    cancel = _translating(ext.connection.cancel)
    close = _translating(ext.connection.close)
    reset = _translating(ext.connection.reset)
    set_session = _translating(ext.connection.set_session)
    set_isolation_level = _translating(ext.connection.set_isolation_level)
    set_client_encoding = _translating(ext.connection.set_client_encoding)
    tpc_begin = _translating(ext.connection.tpc_begin)
    tpc_prepare = _translating(ext.connection.tpc_prepare)
    tpc_commit = _translating(ext.connection.tpc_commit)
    tpc_rollback = _translating(ext.connection.tpc_rollback)
    tpc_recover = _translating(ext.connection.tpc_recover)
    get_backend_pid = _translating(ext.connection.get_backend_pid)
    get_parameter_status = _translating(ext.connection.get_parameter_status)
    get_transaction_status = _translating(ext.connection.get_transaction_status)
    get_dsn_parameters = _translating(ext.connection.get_dsn_parameters)
    fileno = _translating(ext.connection.fileno)
    poll = _translating(ext.connection.poll)
    xid = _translating(ext.connection.xid)
    __enter__ = _translating(ext.connection.__enter__)
    __exit__ = _translating(ext.connection.__exit__)


def connect(
    params: dict[str, str], *, pooler_safe: bool, socket_timeout: float | None = None
) -> Connection:
    """Open a psycopg2 connection with the facade's types and exceptions.

    psycopg2 never uses named prepared statements, so ``pooler_safe`` needs nothing here.
    libpq has no read timeout: ``socket_timeout`` becomes `timeout_keywords`.
    """
    psycopg2_types.install_adapters()
    if socket_timeout is not None:
        params = {**timeout_keywords(socket_timeout), **params}  # the caller's keywords win
    secrets = [params["password"]] if params.get("password") else []
    try:
        connection = psycopg2.connect(ext.make_dsn(**params), connection_factory=Connection)
    except psycopg2.Error as exc:
        translated = translate(exc, secrets)
        if contains_secret(str(exc), secrets):
            raise translated from None  # the original message shows a secret: do not chain it
        raise translated from exc
    try:
        psycopg2_types.register_on(connection)
    except psycopg2.Error as exc:
        connection.close()
        raise translate(exc) from exc
    return connection


def timeout_keywords(seconds: float) -> dict[str, str]:
    """libpq keywords that fail a connection whose peer is silent about ``seconds`` long.

    ``tcp_user_timeout``: sent data unacknowledged that long breaks the connection;
    keepalives (idle half of it, then 3 probes over the other half) break an idle wait on a
    dead peer or network. A server that is alive but does not answer is not detected: TCP
    still acknowledges (use ``statement_timeout`` and the facade's deadline cancel for that).
    """
    whole = max(int(seconds), 2)
    return {
        "tcp_user_timeout": str(whole * 1000),
        "keepalives": "1",
        "keepalives_idle": str(max(whole // 2, 1)),
        "keepalives_interval": str(max(whole // 6, 1)),
        "keepalives_count": "3",
    }


def parse_dsn(dsn: str) -> dict[str, str]:
    """libpq's own parse of a conninfo string or URI."""
    try:
        parsed: dict[str, str] = ext.parse_dsn(dsn)
    except psycopg2.Error as exc:
        raise translate(exc, dsn_secrets(dsn)) from None
    return parsed


def transaction_status(connection: Any) -> str:
    """``idle``, ``active``, ``intrans``, ``inerror`` or ``unknown`` (no round trip)."""
    status = connection.info.transaction_status
    return {
        ext.TRANSACTION_STATUS_IDLE: "idle",
        ext.TRANSACTION_STATUS_ACTIVE: "active",
        ext.TRANSACTION_STATUS_INTRANS: "intrans",
        ext.TRANSACTION_STATUS_INERROR: "inerror",
    }.get(status, "unknown")


def details() -> dict[str, Any]:
    """Version facts for ``driver_info()``: libpq compiled/runtime, OpenSSL, module path."""
    return {
        "version": getattr(psycopg2, "__version__", None),
        "file": psycopg2.__file__,
        "libpq_compiled_version": psycopg2.__libpq_version__,
        "libpq_runtime_version": ext.libpq_version(),
        "openssl_version": _openssl_version(),
    }


_OPENSSL_TEXT = rb"OpenSSL \d+\.\d+\.\d+[a-z]?(?:-[\w.]+)? +\d{1,2} [A-Z][a-z]{2} \d{4}"


def _openssl_version() -> str | None:
    """The OpenSSL version text built into _psycopg (static build) or its bundled libcrypto."""
    from pathlib import Path  # only here: not on the connect path

    package = Path(psycopg2.__file__).parent
    candidates = sorted(package.glob("_psycopg*"))
    for libs in (package.parent / "psycopg2_binary.libs", package.parent / "psycopg2.libs"):
        candidates += sorted(libs.glob("libcrypto*"))
    for path in candidates:
        try:
            found = re.search(_OPENSSL_TEXT, path.read_bytes())
        except OSError:
            continue
        if found:
            return found.group(0).decode()
    return None
