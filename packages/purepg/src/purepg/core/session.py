"""What a connection knows and decides without I/O, shared by the blocking ``Connection`` and
the asyncio ``AsyncConnection``: open/broken state, the server's reported status and
parameters, transaction characteristics, the statement cache, notices and notifications,
the two-phase transaction in progress. The operations of ``purepg.core`` read and update it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from purepg import errors
from purepg.connection_options import (
    DEFAULT_PREPARE_THRESHOLD,
    DEFAULT_STATEMENT_CACHE_SIZE,
    begin_statement,
    parse_isolation_level,
)
from purepg.errors import InterfaceError, ProgrammingError
from purepg.protocol import flow
from purepg.protocol.machine import FAILED
from purepg.statements import PreparedQuery, StatementCache
from purepg.tpc import Xid

if TYPE_CHECKING:
    from typing import Protocol

    from purepg.codecs.registry import Registry
    from purepg.protocol.machine import Machine
    from purepg.protocol.messages import Notification

    class Transport(Protocol):
        """What the session needs of a transport (blocking or asyncio) besides ``wait``."""

        machine: Machine
        round_trips: int

        @property
        def closed(self) -> bool: ...

        def abort(self) -> None: ...


def lost_during_commit(error: errors.Error) -> errors.Error:
    """``error`` (same class, same fields) saying that the connection was lost during COMMIT,
    so the transaction may or may not have been committed (pgfacade's psycopg2 backend says
    the same)."""
    text = (
        f"the connection was lost during COMMIT: the transaction may or may not have been "
        f"committed ({error})"
    )
    return type(error)(text, fields=error.fields)


def tristate(value: Any, name: str) -> bool | None:
    """A ``set_session`` flag: True, False, or None for the server's default."""
    if value is None or (isinstance(value, str) and value.upper() == "DEFAULT"):
        return None
    if isinstance(value, bool):
        return value
    raise ValueError(f"bad {name} value: {value!r}, expected True, False, None or 'DEFAULT'")


def version_number(text: str) -> int:
    """A ``server_version`` as psycopg2 reports it (150004 for 15.4, 90624 for 9.6.24)."""
    words = text.split()
    parts = []
    for part in (words[0] if words else "0").split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    parts += [0, 0]
    if parts[0] >= 10:
        return parts[0] * 10000 + parts[1]
    return parts[0] * 10000 + parts[1] * 100 + parts[2]


class Session:
    """State every connection shares, and the decisions that need no I/O."""

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

    @staticmethod
    def _new_lock() -> Any:
        """The lock that serialises this connection's operations (the shells choose)."""
        raise NotImplementedError

    def __init__(
        self,
        transport: Transport,
        registry: Registry,
        dsn: str = "",
        statements: StatementCache | None = None,
    ) -> None:
        self._transport = transport
        self._machine = transport.machine
        self._run = flow.Run(self._machine)
        """The drive of a request without COPY data, reused (``purepg.core.requests``)."""
        self.registry = registry
        """Per-connection codecs (``default_registry.copy()``): register adapters here."""
        self.dsn = dsn
        self.notices: list[str] = []
        """The server's NOTICE/WARNING messages, as psycopg2 keeps them (the last 50)."""
        self.notifies: list[Notification] = []
        """NOTIFY messages received and not taken yet (``pid``, ``channel``, ``payload``)."""
        self.cursor_factory: Callable[[Any], Any] | None = None
        self._autocommit = False
        self._isolation_level: int | None = None
        self._read_only: bool | None = None
        self._deferrable: bool | None = None
        self._closed = False
        self._lock = self._new_lock()
        """One operation at a time: a thread lock (blocking) or an asyncio lock."""
        self._types_discovered = False
        if statements is None:
            statements = StatementCache(DEFAULT_STATEMENT_CACHE_SIZE, DEFAULT_PREPARE_THRESHOLD)
        self._statements = statements
        self._streaming = False
        self._tpc_xid: Xid | None = None
        self._tpc_prepared = False
        self.columns: list[dict[str, Any]] | None = None
        """``run()``: the last result's columns (pg8000's dicts), None without rows."""
        self.row_count = -1
        """``run()``: rows returned or affected by the last statement, -1 if unknown."""

    # -- open, closed, broken -----------------------------------------------------------------

    @property
    def closed(self) -> int:
        """0 while usable, 1 after ``close()``, 2 when the connection broke (as psycopg2)."""
        if self._closed:
            return 1
        if self._transport.closed or self._machine.phase == FAILED:
            return 2
        return 0

    def fail(self, error: errors.Error) -> None:
        """Mark the connection broken because of ``error`` (e.g. a protocol violation found
        while decoding rows) and close its socket: ``closed`` becomes 2."""
        self._machine.fail(error)
        self._transport.abort()

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError("connection already closed")
        if self._transport.closed or self._machine.phase == FAILED:
            raise InterfaceError("the connection is broken and was closed")
        if self._streaming:
            raise ProgrammingError(
                "the connection is streaming a result: finish iterating it or close its "
                "cursor before sending another query"
            )

    def _check_not_closed(self) -> None:
        if self.closed:
            raise InterfaceError("connection already closed")

    def _commit_failure(self, error: errors.Error) -> errors.Error:
        """``error`` of a COMMIT; when the connection broke meanwhile the server may have
        committed, and the error says so (libpq does not; a retry could write twice)."""
        if not (self._transport.closed or self._machine.phase == FAILED):
            return error  # the server answered: the transaction was not committed
        return lost_during_commit(error)

    # -- what the server reported -------------------------------------------------------------

    @property
    def transaction_status(self) -> str:
        """The server's last reported status: "I" idle, "T" in a transaction, "E" failed."""
        return self._machine.transaction_status

    @property
    def backend_pid(self) -> int | None:
        """The server process id of this session."""
        return self._machine.backend_pid

    @property
    def parameters(self) -> dict[str, str]:
        """Every parameter the server reported (a copy)."""
        return dict(self._machine.parameters)

    @property
    def server_version(self) -> int:
        """The server version as psycopg2 reports it (150004 for 15.4, 90624 for 9.6.24)."""
        return version_number(self._machine.parameters.get("server_version", "0"))

    @property
    def protocol_version(self) -> int:
        """3: the frontend/backend protocol version in use."""
        return 3

    @property
    def encoding(self) -> str:
        """The client encoding (PostgreSQL's name)."""
        return self._machine.parameters.get("client_encoding", "UTF8")

    def get_backend_pid(self) -> int | None:
        """psycopg2's name for ``backend_pid``; InterfaceError once closed, as psycopg2."""
        self._check_not_closed()
        return self._machine.backend_pid

    def get_parameter_status(self, name: str) -> str | None:
        """A parameter the server reported (``server_version``, ``TimeZone``, ...);
        InterfaceError once closed, as psycopg2."""
        self._check_not_closed()
        return self._machine.parameters.get(name)

    @property
    def standard_conforming_strings(self) -> bool:
        """False when the server reports ``standard_conforming_strings=off``: a backslash then
        escapes a quote in every string literal (how placeholders are found follows it)."""
        return self._machine.parameters.get("standard_conforming_strings") != "off"

    @property
    def _round_trips(self) -> int:
        """Debug counter (tests): network turnarounds (a read after a write) since connecting."""
        return self._transport.round_trips

    def _collect_messages(self) -> None:
        machine = self._machine
        if machine.notices or machine.notifications:
            flow.collect_messages(machine, self.notices, self.notifies)

    # -- transaction characteristics ----------------------------------------------------------

    def _check_no_transaction(self, what: str) -> None:
        if self._machine.transaction_status != "I":
            raise ProgrammingError(f"{what} cannot be used inside a transaction")

    def _check_no_tpc(self, what: str) -> None:
        if self._tpc_xid is not None:
            raise ProgrammingError(f"{what} cannot be used during a two-phase transaction")

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

    @property
    def readonly(self) -> bool | None:
        """Whether new transactions are READ ONLY (None = server default)."""
        return self._read_only

    @property
    def read_only(self) -> bool | None:
        """``readonly`` (psycopg 3's name)."""
        return self._read_only

    @property
    def deferrable(self) -> bool | None:
        """Whether new transactions are DEFERRABLE (None = server default)."""
        return self._deferrable

    def _change_session(
        self, isolation_level: Any, readonly: Any, deferrable: Any, autocommit: bool | None
    ) -> bool:
        """Record ``set_session``'s arguments (None: unchanged); True when the session's
        ``default_transaction_*`` settings must be sent (autocommit mode)."""
        self._check_open()
        self._check_no_transaction("set_session")
        if isolation_level is not None:
            self._isolation_level = parse_isolation_level(isolation_level)
        if readonly is not None:
            self._read_only = tristate(readonly, "readonly")
        if deferrable is not None:
            self._deferrable = tristate(deferrable, "deferrable")
        if autocommit is not None:
            self._autocommit = bool(autocommit)
        return self._autocommit

    def _begin_statement(self) -> str:
        return begin_statement(self._isolation_level, self._read_only, self._deferrable)

    def _implicit_begin(self) -> str | None:
        """The BEGIN a request must send first (psycopg2's rule: outside autocommit, when no
        transaction is open), else None."""
        if self._autocommit or self._machine.transaction_status != "I":
            return None
        return begin_statement(self._isolation_level, self._read_only, self._deferrable)

    # -- prepared statements and two-phase ids ------------------------------------------------

    @property
    def prepared_statements(self) -> int:
        """How many named statements this connection keeps prepared on the server."""
        return len(self._statements)

    def prepare(self, query: str) -> PreparedQuery:
        """A query (``%s`` / ``%(name)s`` placeholders) to run as a named prepared statement.

        The statement is parsed on its first execution (in the same round trip) and stays
        prepared, never evicted by the cache, until ``PreparedQuery.close()``. Run it with
        ``cursor.execute(prepared, params)``.
        """
        from purepg import sql

        return PreparedQuery(
            self._statements, sql.parse(query, self.standard_conforming_strings).sql, query
        )

    def xid(self, format_id: int, gtrid: str, bqual: str) -> Xid:
        """A transaction id for ``tpc_*`` (the X/Open XA triple)."""
        return Xid.checked(format_id, gtrid, bqual)
