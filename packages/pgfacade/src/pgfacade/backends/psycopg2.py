"""The psycopg2 backend: connection and cursor subclasses that raise purepg's exceptions and
return purepg's value types; everything else is psycopg2's own C code.

Cold-start budget: on the path of a successful connect and query this imports nothing psycopg2
did not import already (not ``typing``, not even ``purepg``): purepg's exception classes and
`psycopg2_errors` are imported by the first error. The cursor's hot methods are plain
functions around psycopg2's C methods, without ``*args`` packing.
"""

from __future__ import annotations

import os
import sys

import psycopg2
import psycopg2.extensions as ext

from .psycopg2_types import (
    FIRST_NON_BUILTIN_OID,
    MODULES_SEEN,
    install_adapters,
    late_casts,
    recast,
    register_on,
    settle_hstore,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: `typing` costs a Lambda cold start milliseconds
    from collections.abc import Callable, Iterable
    from typing import Any, TypeVar

    from purepg import errors

    F = TypeVar("F", bound=Callable[..., Any])

NAME = "psycopg2"
# psycopg2 raises these for parameters that do not match the placeholders.
_PARAMETER_ERRORS = (TypeError, IndexError, KeyError, ValueError)
_modules = sys.modules

# libpq's texts for a server that broke the protocol; libpq itself discards the message and
# keeps the connection open, the facade closes it (purepg's behaviour).
_PROTOCOL_VIOLATIONS = ("unexpected response from server", "lost synchronization with server")


def _translate(exc: BaseException, secrets: Iterable[str] = ()) -> errors.Error:
    """`psycopg2_errors.translate`, imported with purepg's exceptions by the first error."""
    from .psycopg2_errors import translate

    return translate(exc, secrets)


def _connection_of(owner: Any) -> Any:
    """The psycopg2 connection of a connection or cursor method's ``self``."""
    return owner if isinstance(owner, ext.connection) else getattr(owner, "connection", None)


def _failed(owner: Any, exc: psycopg2.Error) -> errors.Error:
    """The purepg error for ``exc``, the connection's secrets masked in it and in ``exc`` (it is
    chained); a protocol violation also closes the connection."""
    connection = _connection_of(owner)
    secrets: tuple[str, ...] = getattr(connection, "_secrets", ())
    translated = _translate(exc, secrets)
    if secrets:
        from ..redaction import contains_secret, redact

        if contains_secret(str(exc), secrets):
            exc.args = (redact(str(exc), secrets),)
    if any(text in str(exc) for text in _PROTOCOL_VIOLATIONS):
        from purepg import errors

        if connection is not None and not connection.closed:
            ext.connection.close(connection)
        translated = errors.ProtocolViolation(str(translated))
    return translated


def _fetch_failed(cursor: Any, exc: psycopg2.Error | UnicodeDecodeError) -> errors.Error:
    """The purepg error for a failed fetch: `_failed`, or DataError for a value psycopg2
    cannot decode (text invalid in the client encoding)."""
    if isinstance(exc, psycopg2.Error):
        return _failed(cursor, exc)
    from purepg import errors

    return errors.DataError(f"cannot decode a value of the result: {exc}")


def _named_like(wrapper: Callable[..., Any], method: F) -> F:
    """``wrapper`` with ``method``'s name and docstring (``functools.wraps`` copies more, at
    a cost paid for each of the thirty methods on a cold start)."""
    wrapper.__name__ = method.__name__
    wrapper.__qualname__ = method.__qualname__
    wrapper.__doc__ = method.__doc__
    return wrapper  # type: ignore[return-value]


def _translating(method: F) -> F:
    """``method`` raising purepg's exceptions, the psycopg2 one chained as ``__cause__`` (for
    the methods called rarely; the hot ones are written out below)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except psycopg2.Error as exc:
            raise _failed(args[0] if args else None, exc) from exc

    return _named_like(wrapper, method)


def _translate_methods(cls: type, names: str) -> None:
    """Override the methods of ``cls``'s psycopg2 base class named in ``names`` with their
    `_translating` version (the ones with nothing else to add)."""
    base = cls.__base__
    for name in names.split():
        setattr(cls, name, _translating(getattr(base, name)))


def _translating_parameters(method: F) -> F:
    """Like `_translating`, also turning parameter formatting errors into ProgrammingError."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except psycopg2.Error as exc:
            raise _failed(args[0] if args else None, exc) from exc
        except _PARAMETER_ERRORS as exc:
            raise _translate(exc) from exc

    return _named_like(wrapper, method)


def _translating_setter(descriptor: Any, doc: str) -> property:
    """A psycopg2 attribute whose assignment raises purepg's exceptions (``autocommit`` inside
    a transaction, ``scrollable`` after ``execute``...)."""

    def setter(owner: Any, value: Any) -> None:
        try:
            descriptor.__set__(owner, value)
        except psycopg2.Error as exc:
            raise _failed(owner, exc) from exc

    return property(descriptor.__get__, setter, doc=doc)


def _checked_gid(method: F) -> F:
    """A ``tpc_*`` method that refuses a transaction id with a NUL character, which libpq
    would silently cut short (psycopg2 passes the GID as a C string)."""

    def wrapper(self: Any, xid: Any = None) -> Any:
        if xid is not None and "\0" in str(xid):
            from purepg import errors

            raise errors.ProgrammingError("a transaction id cannot contain a NUL character")
        try:
            return method(self) if xid is None else method(self, xid)
        except psycopg2.Error as exc:
            raise _failed(self, exc) from exc

    return _named_like(wrapper, method)


def _xid(self: Any, format_id: Any, gtrid: Any, bqual: Any) -> Any:
    """psycopg2's ``xid()``: an invalid part is a ProgrammingError (psycopg2: ValueError)."""
    try:
        return ext.connection.xid(self, format_id, gtrid, bqual)
    except (ValueError, TypeError) as exc:
        from purepg import errors

        raise errors.ProgrammingError(f"invalid transaction id: {exc}") from exc


_parameter_status = ext.connection.get_parameter_status


def _encoding_switched(cursor: Any) -> None:
    """Close the connection of ``cursor``, whose statement switched the client encoding
    (psycopg2 would go on encoding and decoding with the first one, corrupting text), and raise
    purepg's NotSupportedError for it."""
    from purepg.protocol.client_encoding import check_reported

    connection = cursor.connection
    reported = _parameter_status(connection, "client_encoding")
    ext.connection.close(connection)
    check_reported(str(reported))


def _check_requested_encoding(params: dict[str, str]) -> None:
    """Refuse a client encoding other than UTF8 asked for by the keyword, PGCLIENTENCODING,
    ``options`` or PGOPTIONS (purepg's rule, so that both backends accept the same)."""
    from purepg.protocol.client_encoding import check_requested

    check_requested(
        params.get("client_encoding") or os.environ.get("PGCLIENTENCODING"),
        params.get("options") or os.environ.get("PGOPTIONS"),
    )


def _set_client_encoding(self: Any, encoding: Any) -> None:
    """psycopg2's ``set_client_encoding``, for UTF8 only (purepg's rule)."""
    from purepg.protocol.client_encoding import check_requested

    check_requested(str(encoding), None)
    try:
        ext.connection.set_client_encoding(self, encoding)
    except psycopg2.Error as exc:
        raise _failed(self, exc) from exc


_execute = ext.cursor.execute
_executemany = ext.cursor.executemany
_fetchone = ext.cursor.fetchone
_fetchmany = ext.cursor.fetchmany
_fetchall = ext.cursor.fetchall
_next = ext.cursor.__next__


def _executed(
    cursor: Cursor, execute: Callable[[Any, Any, Any], Any], query: Any, vars: Any
) -> None:
    """``execute(cursor, query, vars)`` (psycopg2's) raising purepg's exceptions; a statement
    that switched the client encoding closes the connection (`_encoding_switched`)."""
    if len(_modules) != MODULES_SEEN[0]:
        install_adapters()
    try:
        execute(cursor, query, vars)
    except psycopg2.Error as exc:
        raise _failed(cursor, exc) from exc
    except _PARAMETER_ERRORS as exc:
        raise _translate(exc) from exc
    if _parameter_status(cursor.connection, "client_encoding") != "UTF8":
        _encoding_switched(cursor)


class Cursor(ext.cursor):
    """psycopg2's cursor raising purepg's exceptions.

    On a connection that does not know hstore's OIDs yet (`Connection` ``hstore_pending``)
    each result is checked for a type that is not built in, which makes the connection look
    hstore up (once per database in the process) and this result's hstore values converted
    as they are fetched (``_late_casts``, until the next ``execute``)."""

    _late_casts: list[tuple[int, Any]] | None = None
    """Typecasters psycopg2 could not apply to the current result (see `late_casts`)."""

    def execute(self, query: Any, vars: Any = None) -> None:
        """psycopg2's ``execute``."""
        _executed(self, _execute, query, vars)
        if self._late_casts is not None:  # the previous result's: the connection is settled
            self._late_casts = None
        elif self.connection.hstore_pending:  # type: ignore[attr-defined] # a `Connection`
            self._check_result_types()

    def executemany(self, query: Any, vars_list: Any) -> None:
        """psycopg2's ``executemany``."""
        _executed(self, _executemany, query, vars_list)

    def fetchone(self) -> Any:
        """psycopg2's ``fetchone``."""
        try:
            row = _fetchone(self)
        except (psycopg2.Error, UnicodeDecodeError) as exc:
            raise _fetch_failed(self, exc) from exc
        if self._late_casts is not None and row is not None:
            return recast(row, self._late_casts, self)
        return row

    def fetchmany(self, size: int | None = None) -> list[Any]:
        """psycopg2's ``fetchmany`` (``size`` defaults to ``arraysize``)."""
        try:
            rows: list[Any] = _fetchmany(self) if size is None else _fetchmany(self, size)
        except (psycopg2.Error, UnicodeDecodeError) as exc:
            raise _fetch_failed(self, exc) from exc
        return rows if self._late_casts is None else self._recast_all(rows)

    def fetchall(self) -> list[Any]:
        """psycopg2's ``fetchall``."""
        try:
            rows: list[Any] = _fetchall(self)
        except (psycopg2.Error, UnicodeDecodeError) as exc:
            raise _fetch_failed(self, exc) from exc
        return rows if self._late_casts is None else self._recast_all(rows)

    def __next__(self) -> Any:
        """psycopg2's iteration."""
        try:
            row = _next(self)
        except (psycopg2.Error, UnicodeDecodeError) as exc:
            raise _fetch_failed(self, exc) from exc
        return row if self._late_casts is None else recast(row, self._late_casts, self)

    def _recast_all(self, rows: list[Any]) -> list[Any]:
        casts: Any = self._late_casts
        return [recast(row, casts, self) for row in rows]

    def _check_result_types(self) -> None:
        """Settle hstore when this result has a type that is not built in (or this is a named
        cursor: its FETCHes take the connection's typecasters)."""
        description = self.description
        if description is None:
            if self.name is not None:
                self._settle(convert_result=False)
            return
        for column in description:
            if column.type_code >= FIRST_NON_BUILTIN_OID:
                self._settle(convert_result=True)
                return

    def _settle(self, *, convert_result: bool) -> None:
        """Settle hstore on the connection; with ``convert_result``, convert this result's
        hstore values too (psycopg2 chose its typecasters before the lookup)."""
        connection: Any = self.connection
        try:
            if convert_result:
                casts = late_casts(self)
            else:
                settle_hstore(connection)
                casts = None
        except psycopg2.Error as exc:
            raise _failed(self, exc) from exc
        connection.hstore_pending = False
        self._late_casts = casts

    mogrify = _translating_parameters(ext.cursor.mogrify)
    callproc = _translating_parameters(ext.cursor.callproc)
    scrollable = _translating_setter(ext.cursor.scrollable, "psycopg2's ``scrollable``.")
    withhold = _translating_setter(ext.cursor.withhold, "psycopg2's ``withhold``.")


_translate_methods(Cursor, "scroll close copy_from copy_to copy_expert nextset cast")

_cursor = ext.connection.cursor


def _connection_cursor(self: Any, *args: Any, **kwargs: Any) -> Any:
    """psycopg2's ``cursor()``. A cursor of another factory (``cursor_factory=``) cannot
    settle hstore itself: an unsettled connection settles it now (one query)."""
    try:
        cursor = _cursor(self, *args, **kwargs)
        if self.hstore_pending and not isinstance(cursor, Cursor):
            settle_hstore(self)
            self.hstore_pending = False
    except psycopg2.Error as exc:
        raise _failed(self, exc) from exc
    return cursor


def _commit(self: Any) -> None:
    """psycopg2's ``commit``; when the connection was lost meanwhile the error says that the
    transaction may or may not have been committed (purepg's wording)."""
    try:
        ext.connection.commit(self)
    except psycopg2.Error as exc:
        translated = _failed(self, exc)
        if self.closed and isinstance(exc, psycopg2.OperationalError):  # not: closed before
            from purepg.core.session import lost_during_commit

            translated = lost_during_commit(translated)
        raise translated from exc


def _exit(self: Any, exc_type: Any, exc: Any, traceback: Any) -> None:
    """Commit on success (`_commit`); on an exception roll back, and let that exception
    through even when the rollback fails (a lost connection), as purepg does."""
    if exc_type is None:
        ext.connection.__exit__(self, None, None, None)  # leaves the block, calls `_commit`
        return
    from purepg import errors

    try:
        ext.connection.__exit__(self, exc_type, exc, traceback)  # calls the translated `rollback`
    except errors.Error:
        return  # the block's own exception is the one to see


class _MaskedNotices(list):  # type: ignore[type-arg]
    """``connection.notices`` of a connection with a password: each notice is appended with
    the secrets masked (a server may echo them, ``RAISE NOTICE`` of a value)."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self._secrets = secrets

    def append(self, notice: Any) -> None:
        """Append ``notice`` with every secret masked."""
        from ..redaction import redact

        super().append(redact(notice, self._secrets))


class _PurepgError:
    """A class attribute that is purepg's exception class of the same name (DB-API's
    ``connection.Error``...), imported on first access."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance: object, owner: type | None = None) -> type[errors.Error]:
        from purepg import errors

        klass: type[errors.Error] = getattr(errors, self._name)
        return klass


class Connection(ext.connection):
    """psycopg2's connection raising purepg's exceptions, its cursors `Cursor` (the methods
    with nothing else to add are translated by `_translate_methods` below the class)."""

    Warning = _PurepgError()  # type: ignore[assignment]
    Error = _PurepgError()  # type: ignore[assignment]
    InterfaceError = _PurepgError()  # type: ignore[assignment]
    DatabaseError = _PurepgError()  # type: ignore[assignment]
    DataError = _PurepgError()  # type: ignore[assignment]
    OperationalError = _PurepgError()  # type: ignore[assignment]
    IntegrityError = _PurepgError()  # type: ignore[assignment]
    InternalError = _PurepgError()  # type: ignore[assignment]
    ProgrammingError = _PurepgError()  # type: ignore[assignment]
    NotSupportedError = _PurepgError()  # type: ignore[assignment]

    _secrets: tuple[str, ...] = ()
    """The password and sslpassword, masked in every error and notice (see `_failed`)."""

    hstore_pending = False
    """True until this connection has hstore's typecasters, or knows its database has none
    (looked up by the first result with a type that is not built in: `Cursor`)."""

    autocommit = _translating_setter(ext.connection.autocommit, "DB-API autocommit (psycopg2's).")
    readonly = _translating_setter(ext.connection.readonly, "psycopg2's ``readonly``.")
    deferrable = _translating_setter(ext.connection.deferrable, "psycopg2's ``deferrable``.")
    isolation_level = _translating_setter(
        ext.connection.isolation_level, "psycopg2's ``isolation_level``."
    )
    cursor = _connection_cursor
    commit = _commit
    set_client_encoding = _set_client_encoding
    tpc_begin = _checked_gid(ext.connection.tpc_begin)
    tpc_commit = _checked_gid(ext.connection.tpc_commit)
    tpc_rollback = _checked_gid(ext.connection.tpc_rollback)
    xid = _xid
    __exit__ = _exit


_translate_methods(
    Connection,
    "rollback cancel close reset set_session set_isolation_level tpc_prepare tpc_recover"
    " get_backend_pid get_parameter_status get_transaction_status get_dsn_parameters fileno"
    " poll lobject __enter__",
)


def connect(
    params: dict[str, str], *, pooler_safe: bool, socket_timeout: float | None = None
) -> Connection:
    """Open a psycopg2 connection with the facade's types and exceptions: no query of its own
    (hstore's OIDs are looked up by the first result that needs them, once per database).

    psycopg2 never uses named prepared statements, so ``pooler_safe`` needs nothing here.
    libpq has no read timeout: ``socket_timeout`` becomes `timeout_keywords`.
    """
    install_adapters()
    if socket_timeout is not None:
        params = {**timeout_keywords(socket_timeout), **params}  # the caller's keywords win
    options = params.get("options") or os.environ.get("PGOPTIONS") or ""
    if params.get("client_encoding") or "PGCLIENTENCODING" in os.environ or "encoding" in options:
        _check_requested_encoding(params)
    params = {"client_encoding": "UTF8", **params}  # not the database's, as purepg
    secrets = tuple(
        secret for secret in (params.get("password"), params.get("sslpassword")) if secret
    )
    translated: errors.Error | None = None
    try:
        connection: Connection = psycopg2.connect(
            connection_factory=Connection, cursor_factory=Cursor, **params
        )
    except psycopg2.Error as exc:
        from ..redaction import contains_secret

        translated = _translate(exc, secrets)
        if not contains_secret(str(exc), secrets):
            raise translated from exc
    if translated is not None:  # raised outside the handler: the original, which shows a
        raise translated  # secret, is neither the cause nor the context
    if secrets:
        connection._secrets = secrets
        connection.notices = _MaskedNotices(secrets)
    if not register_on(connection):
        connection.hstore_pending = True
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
        return dict(ext.parse_dsn(dsn))
    except psycopg2.Error as exc:
        from ..redaction import dsn_secrets

        translated = _translate(exc, dsn_secrets(dsn))
    raise translated  # outside the handler: the original (it shows the password) is not chained


def transaction_status(connection: Any) -> str:
    """``idle``, ``active``, ``intrans``, ``inerror`` or ``unknown`` (no round trip)."""
    status = connection.info.transaction_status
    return {
        ext.TRANSACTION_STATUS_IDLE: "idle",
        ext.TRANSACTION_STATUS_ACTIVE: "active",
        ext.TRANSACTION_STATUS_INTRANS: "intrans",
        ext.TRANSACTION_STATUS_INERROR: "inerror",
    }.get(status, "unknown")


def configure_for_sqlalchemy(
    connection: Any, loads: Callable[[Any], Any] | None, inet_as_str: bool
) -> None:
    """SQLAlchemy's ``json_deserializer`` and inet/cidr representation, through psycopg2's
    per-connection typecasters."""
    import psycopg2.extras
    from purepg.codecs import oids

    if loads is not None:
        psycopg2.extras.register_default_json(connection, loads=loads)
        psycopg2.extras.register_default_jsonb(connection, loads=loads)
    if inet_as_str:

        def as_text(value: Any, cursor: Any) -> Any:
            return value

        caster = ext.new_type((oids.INET, oids.CIDR), "PGFACADE_INET_TEXT", as_text)
        ext.register_type(caster, connection)


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
    import re
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
