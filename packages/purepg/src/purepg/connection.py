"""The DB-API Connection: transactions, autocommit, session characteristics, notices.

No protocol code here: requests go to the protocol machine through the transport, and this
class decides what to send (implicit ``BEGIN`` like psycopg2, ``COMMIT``, ``ROLLBACK``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable

from purepg import errors
from purepg.errors import InterfaceError, ProgrammingError
from purepg.protocol.machine import Exchange, ParamSet
from purepg.protocol.messages import Notification, decode_data_row

if TYPE_CHECKING:
    from purepg.codecs.registry import Registry
    from purepg.cursor import Cursor
    from purepg.io.blocking import Transport

# psycopg2's isolation level constants.
ISOLATION_LEVEL_AUTOCOMMIT = 0
ISOLATION_LEVEL_READ_UNCOMMITTED = 4
ISOLATION_LEVEL_READ_COMMITTED = 1
ISOLATION_LEVEL_REPEATABLE_READ = 2
ISOLATION_LEVEL_SERIALIZABLE = 3
ISOLATION_LEVEL_DEFAULT = None

_ISOLATION_NAMES = {
    ISOLATION_LEVEL_READ_UNCOMMITTED: "READ UNCOMMITTED",
    ISOLATION_LEVEL_READ_COMMITTED: "READ COMMITTED",
    ISOLATION_LEVEL_REPEATABLE_READ: "REPEATABLE READ",
    ISOLATION_LEVEL_SERIALIZABLE: "SERIALIZABLE",
}
_ISOLATION_BY_NAME = {name: level for level, name in _ISOLATION_NAMES.items()}
MAX_NOTICES = 50


def _isolation_level(value: Any) -> int | None:
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
    if isinstance(value, int) and not isinstance(value, bool) and value in _ISOLATION_NAMES:
        return value
    raise ValueError(f"bad isolation level: {value!r}")


def _tristate(value: Any, name: str) -> bool | None:
    if value is None or (isinstance(value, str) and value.upper() == "DEFAULT"):
        return None
    if isinstance(value, bool):
        return value
    raise ValueError(f"bad {name} value: {value!r}, expected True, False, None or 'DEFAULT'")


class Connection:
    """A connection to one PostgreSQL server (DB-API 2.0, psycopg2-compatible semantics)."""

    Warning = errors.Warning
    Error = errors.Error
    InterfaceError = errors.InterfaceError
    DatabaseError = errors.DatabaseError
    DataError = errors.DataError
    OperationalError = errors.OperationalError
    IntegrityError = errors.IntegrityError
    InternalError = errors.InternalError
    ProgrammingError = errors.ProgrammingError
    NotSupportedError = errors.NotSupportedError

    def __init__(self, transport: Transport, registry: Registry, dsn: str = "") -> None:
        self._transport = transport
        self._machine = transport.machine
        self.registry = registry
        """Per-connection codecs (``default_registry.copy()``): register adapters here."""
        self.dsn = dsn
        self.notices: list[str] = []
        """The server's NOTICE/WARNING messages, as psycopg2 keeps them (the last 50)."""
        self.notifies: list[Notification] = []
        """NOTIFY messages received so far (``pid``, ``channel``, ``payload``)."""
        self.cursor_factory: Callable[[Connection], Cursor] | None = None
        self._autocommit = False
        self._isolation_level: int | None = None
        self._read_only: bool | None = None
        self._deferrable: bool | None = None
        self._closed = False
        self._lock = threading.RLock()
        self._types_discovered = False

    # -- state ------------------------------------------------------------------------------

    @property
    def closed(self) -> int:
        """0 while usable, 1 after ``close()``, 2 when the connection broke (as psycopg2)."""
        if self._closed:
            return 1
        if self._transport.closed or self._machine.phase == "failed":
            return 2
        return 0

    @property
    def broken(self) -> bool:
        """True when the connection was lost or desynchronised."""
        return self.closed == 2

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError("connection already closed")
        if self._transport.closed or self._machine.phase == "failed":
            raise InterfaceError("the connection is broken and was closed")

    @property
    def transaction_status(self) -> str:
        """The server's last reported status: "I" idle, "T" in a transaction, "E" failed."""
        return self._machine.transaction_status

    @property
    def server_version(self) -> int:
        """The server version as psycopg2 reports it (150004 for 15.4, 90624 for 9.6.24)."""
        text = self._machine.parameters.get("server_version", "0")
        parts = []
        for part in text.split()[0].split("."):
            digits = "".join(ch for ch in part if ch.isdigit())
            parts.append(int(digits) if digits else 0)
        parts += [0, 0]
        if parts[0] >= 10:
            return parts[0] * 10000 + parts[1]
        return parts[0] * 10000 + parts[1] * 100 + parts[2]

    @property
    def protocol_version(self) -> int:
        """3: the frontend/backend protocol version in use."""
        return 3

    @property
    def backend_pid(self) -> int | None:
        """The server process id of this session."""
        return self._machine.backend_pid

    def get_backend_pid(self) -> int | None:
        """psycopg2's name for ``backend_pid``."""
        return self._machine.backend_pid

    def get_parameter_status(self, name: str) -> str | None:
        """A parameter the server reported (``server_version``, ``TimeZone``, ...)."""
        return self._machine.parameters.get(name)

    @property
    def parameters(self) -> dict[str, str]:
        """Every parameter the server reported (a copy)."""
        return dict(self._machine.parameters)

    @property
    def encoding(self) -> str:
        """The client encoding (PostgreSQL's name)."""
        return self._machine.parameters.get("client_encoding", "UTF8")

    @property
    def round_trips(self) -> int:
        """Debug counter: network turnarounds (a read after a write) since connecting."""
        return self._transport.round_trips

    # -- transaction characteristics --------------------------------------------------------

    def _check_no_transaction(self, what: str) -> None:
        if self._machine.transaction_status != "I":
            raise ProgrammingError(f"{what} cannot be used inside a transaction")

    @property
    def autocommit(self) -> bool:
        """When True each statement commits on its own; else a transaction starts implicitly."""
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._check_open()
        self._check_no_transaction("set_session")
        self._autocommit = bool(value)

    @property
    def isolation_level(self) -> int | None:
        """The isolation level of new transactions (psycopg2 constants), None = server default."""
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        if value == ISOLATION_LEVEL_AUTOCOMMIT and not isinstance(value, str) and value is not None:
            self.autocommit = True
            return
        self.set_session(isolation_level=value if value is not None else "DEFAULT")

    @property
    def readonly(self) -> bool | None:
        """Whether new transactions are READ ONLY (None = server default)."""
        return self._read_only

    @readonly.setter
    def readonly(self, value: bool | None) -> None:
        self.set_session(readonly=value if value is not None else "DEFAULT")

    read_only = readonly

    @property
    def deferrable(self) -> bool | None:
        """Whether new transactions are DEFERRABLE (None = server default)."""
        return self._deferrable

    @deferrable.setter
    def deferrable(self, value: bool | None) -> None:
        self.set_session(deferrable=value if value is not None else "DEFAULT")

    def set_session(
        self,
        isolation_level: Any = None,
        readonly: Any = None,
        deferrable: Any = None,
        autocommit: bool | None = None,
    ) -> None:
        """Set the characteristics of the following transactions, like psycopg2.

        Arguments left None are unchanged; ``"DEFAULT"`` resets to the server's default.
        In autocommit mode they are applied as the session's ``default_transaction_*``.
        """
        self._check_open()
        self._check_no_transaction("set_session")
        if isolation_level is not None:
            self._isolation_level = _isolation_level(isolation_level)
        if readonly is not None:
            self._read_only = _tristate(readonly, "readonly")
        if deferrable is not None:
            self._deferrable = _tristate(deferrable, "deferrable")
        if autocommit is not None:
            self._autocommit = bool(autocommit)
        if self._autocommit:
            self._apply_session_defaults()

    def _apply_session_defaults(self) -> None:
        isolation = _ISOLATION_NAMES.get(self._isolation_level or -1, "DEFAULT")
        statements = [
            "SET default_transaction_isolation TO "
            + ("DEFAULT" if isolation == "DEFAULT" else f"'{isolation.lower()}'"),
            "SET default_transaction_read_only TO "
            + ("DEFAULT" if self._read_only is None else ("on" if self._read_only else "off")),
            "SET default_transaction_deferrable TO "
            + ("DEFAULT" if self._deferrable is None else ("on" if self._deferrable else "off")),
        ]
        self.execute_simple("; ".join(statements))

    def _begin_statement(self) -> str:
        sql = "BEGIN"
        if self._isolation_level is not None:
            sql += " ISOLATION LEVEL " + _ISOLATION_NAMES[self._isolation_level]
        if self._read_only is not None:
            sql += " READ ONLY" if self._read_only else " READ WRITE"
        if self._deferrable is not None:
            sql += " DEFERRABLE" if self._deferrable else " NOT DEFERRABLE"
        return sql

    # -- requests ---------------------------------------------------------------------------

    def run(
        self,
        sql: str,
        param_sets: Sequence[ParamSet] | None = None,
        *,
        describe: bool = True,
        copy_source: Iterable[bytes] | None = None,
        copy_sink: Callable[[bytes], Any] | None = None,
    ) -> Exchange:
        """Send one request (simple query when ``param_sets`` is None) and wait for its results.

        Outside autocommit, a ``BEGIN`` is sent first in the same write when no transaction
        is open. Raises the server's error, if any.
        """
        with self._lock:
            self._check_open()
            machine = self._machine
            begin = not self._autocommit and machine.transaction_status == "I"
            if begin:
                machine.send_query(self._begin_statement())
            if param_sets is None:
                machine.send_query(sql)
            else:
                machine.send_extended(sql, param_sets, describe=describe)
            try:
                done = self._transport.run(copy_source, copy_sink)
            finally:
                self._collect_messages()
            if begin and done[0].error is not None:
                raise done[0].error
            exchange = done[-1]
            if exchange.error is not None:
                raise exchange.error
            return exchange

    def execute_simple(self, sql: str) -> Exchange:
        """Run ``sql`` (simple protocol) without starting a transaction."""
        with self._lock:
            self._check_open()
            self._machine.send_query(sql)
            try:
                (exchange,) = self._transport.run()
            finally:
                self._collect_messages()
            if exchange.error is not None:
                raise exchange.error
            return exchange

    def discover_types(self, oids: Iterable[int]) -> None:
        """Register the extension types (hstore) the first time a result has an unknown type.

        Their OIDs differ per database, so they are looked up (one query per connection)
        only when a column of a type the registry does not know shows up.
        """
        if self._types_discovered:
            return
        registry = self.registry
        if all(registry.type_name(oid) for oid in oids):
            return
        self._types_discovered = True
        exchange = self.execute_simple(
            "SELECT oid, typarray FROM pg_catalog.pg_type WHERE typname = 'hstore'"
        )
        for payload in exchange.results[-1].rows:
            oid, array_oid = decode_data_row(payload, [int, int])
            registry.register_hstore(oid, array_oid)

    def _collect_messages(self) -> None:
        machine = self._machine
        if machine.notices:
            for fields in machine.notices:
                severity = fields.get("S") or fields.get("V") or "NOTICE"
                self.notices.append(f"{severity}:  {fields.get('M', '')}\n")
            machine.notices.clear()
            del self.notices[:-MAX_NOTICES]
        if machine.notifications:
            self.notifies.extend(machine.notifications)
            machine.notifications.clear()

    # -- DB-API -----------------------------------------------------------------------------

    def cursor(self, name: str | None = None, **kwargs: Any) -> Cursor:
        """A new cursor. Named (server-side) cursors are not supported yet."""
        self._check_open()
        if name is not None:
            raise errors.NotSupportedError("named (server-side) cursors are not supported yet")
        factory = kwargs.pop("cursor_factory", None) or self.cursor_factory
        if kwargs:
            raise TypeError(f"unexpected arguments: {', '.join(kwargs)}")
        if factory is not None:
            return factory(self)
        from purepg.cursor import Cursor  # noqa: PLC0415 - cursor imports connection

        return Cursor(self)

    def commit(self) -> None:
        """Commit the current transaction (nothing to do in autocommit mode or when idle)."""
        self._check_open()
        if self._machine.transaction_status != "I":
            self.execute_simple("COMMIT")

    def rollback(self) -> None:
        """Roll back the current transaction."""
        self._check_open()
        if self._machine.transaction_status != "I":
            self.execute_simple("ROLLBACK")

    def close(self) -> None:
        """Close the connection (an open transaction is rolled back by the server)."""
        if self._closed:
            return
        self._closed = True
        self._transport.close()

    def cancel(self) -> None:
        """Cancel the query running on this connection; safe to call from another thread."""
        if self._closed:
            raise InterfaceError("connection already closed")
        self._transport.cancel()

    def poll(self) -> int:
        """Process what the server sent meanwhile (notifications, notices); returns 0 (OK).

        With ``select()`` on ``fileno()`` this is psycopg2's way to wait for NOTIFY.
        """
        with self._lock:
            self._check_open()
            try:
                self._transport.poll()
            finally:
                self._collect_messages()
        return 0

    def fileno(self) -> int:
        """The socket's file descriptor."""
        self._check_open()
        return self._transport.fileno()

    def __enter__(self) -> Connection:
        self._check_open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Commit on success, roll back on an exception; the connection stays open."""
        if self.closed:
            return
        if exc_type is None:
            self.commit()
        else:
            with contextlib.suppress(errors.Error):
                self.rollback()

    def __del__(self) -> None:
        transport = getattr(self, "_transport", None)
        if transport is not None and not getattr(self, "_closed", True):
            with contextlib.suppress(Exception):  # may run during interpreter shutdown
                transport.close()
