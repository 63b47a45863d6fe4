"""The DB-API Connection: transactions, autocommit, session characteristics, notices,
prepared statements, streaming, LISTEN/NOTIFY and two-phase commit.

No protocol code here: requests go to the protocol machine through the transport, and this
class decides what to send (implicit ``BEGIN`` like psycopg2, ``COMMIT``, ``ROLLBACK``, which
prepared statement to use).

Prepared statements: a query run with parameters ``prepare_threshold`` times (default 5) is
prepared as a named statement, kept in an LRU of ``statement_cache_size`` (default 100;
0 = never name statements, for PgBouncer transaction pooling and RDS Proxy). Its later
executions skip Parse and Describe (still one round trip) and fetch binary results where the
codec registry prefers them. A DDL command run on this connection (command tag ``CREATE ...``,
``ALTER ...`` or ``DROP ...``) closes every statement. When the server reports a statement
stale after a schema change made elsewhere ("cached plan must not change result type", "cache
lookup failed for type", "operator does not exist" from a statement that ran before) or gone
("prepared statement does not exist" after ``DEALLOCATE ALL`` / ``DISCARD ALL``), every
statement is closed and the query re-prepared and run again transparently if it was the first
statement of its transaction (autocommit, or the implicit ``BEGIN`` went with it: nothing else
is lost by rolling that transaction back); inside a transaction that already did work, the
error is raised with a note (the transaction is aborted: roll back and run it again, which
re-prepares).
See docs/guide/prepared-statements-and-ddl.md.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable

from purepg import errors
from purepg.connection_options import (
    ISOLATION_LEVEL_AUTOCOMMIT,
    ISOLATION_NAMES,
    begin_statement,
    parse_isolation_level,
    socket_timeout_seconds,
    statement_timeout_option,
)
from purepg.connection_state import ConnectionState
from purepg.errors import InterfaceError, ProgrammingError
from purepg.protocol import flow
from purepg.protocol.machine import Exchange, ParamSet, Result
from purepg.protocol.messages import Notification
from purepg.statements import PreparedQuery, PreparedStatement, StatementCache
from purepg.tpc import Xid, transaction_command

if TYPE_CHECKING:
    import ssl

    from purepg.codecs.registry import Registry
    from purepg.cursor import Cursor
    from purepg.io.blocking import Transport

DEFAULT_STATEMENT_CACHE_SIZE = 100
DEFAULT_PREPARE_THRESHOLD = 5
STALE_PLAN_MESSAGE = "cached plan must not change result type"
STALE_TYPE_MESSAGE = "cache lookup failed for type"
SCHEMA_CHANGING_TAGS = ("CREATE", "ALTER", "DROP")
STALE_IN_TRANSACTION_NOTE = (
    "purepg: a prepared statement of this connection is stale (the schema changed since it was"
    " prepared). The transaction is aborted: roll it back and run it again; the statement"
    " cache was cleared, so the retry prepares the statements anew."
)


def connect(
    dsn: str | None = None,
    *,
    ssl_context: ssl.SSLContext | None = None,
    statement_timeout: int | float | str | None = None,
    socket_timeout: float | str | None = None,
    statement_cache_size: int = DEFAULT_STATEMENT_CACHE_SIZE,
    prepare_threshold: int = DEFAULT_PREPARE_THRESHOLD,
    **params: Any,
) -> Connection:
    """Open a connection; ``params`` are libpq keywords, with libpq's meaning and defaults.

    ``dsn`` is a conninfo string or URI; PG* environment variables and ``~/.pgpass`` apply.
    ``ssl_context`` replaces the context built from the ``ssl*`` keywords. ``statement_timeout``
    (milliseconds, or a string with a unit such as ``"5s"``) limits every statement.
    ``socket_timeout`` (seconds; None or 0: none, the default) bounds each request as a whole
    once connected, however the server trickles its answer (``connect_timeout`` covers
    connecting): a request not answered in time fails with OperationalError and breaks the
    connection.
    It is not in libpq; make it longer than your slowest statement.
    A query executed ``prepare_threshold`` times becomes a named prepared statement, at most
    ``statement_cache_size`` of them per connection; ``statement_cache_size=0`` uses only
    unnamed statements (required behind PgBouncer in transaction mode or RDS Proxy).
    """
    from purepg.codecs.registry import default_registry
    from purepg.conninfo import resolve
    from purepg.io.blocking import connect as open_transport

    try:
        statements = StatementCache(int(statement_cache_size), int(prepare_threshold))
    except ValueError as exc:
        raise ProgrammingError(str(exc)) from None
    timeout = socket_timeout_seconds(socket_timeout)
    resolved = resolve(dsn, params)
    if ssl_context is not None:  # a context means TLS: sslmode at least require
        from purepg.tls import mode_for_context

        resolved = mode_for_context(resolved)
    extra = statement_timeout_option(statement_timeout)
    transport = open_transport(resolved, ssl_context, extra, socket_timeout=timeout)
    shown_dsn = ""
    if dsn:
        from purepg.redaction import masked_dsn

        shown_dsn = masked_dsn(dsn)
    return Connection(transport, default_registry.copy(), shown_dsn, statements)


def _stale_statement(error: errors.Error) -> bool:
    """True when ``error``, from a named statement that ran before, says it is stale or gone
    (worth re-preparing): its result type changed, a type it was planned with was dropped
    (recreated types get new OIDs), or the server deallocated it. An undefined operator is
    a recreated type too; a genuine one fails again when re-prepared, and is raised then."""
    sqlstate, message = error.sqlstate, error.message
    if sqlstate == "26000":  # invalid_sql_statement_name: prepared statement ... does not exist
        return True
    if sqlstate == "0A000":  # feature_not_supported
        return STALE_PLAN_MESSAGE in message
    if sqlstate == "XX000":  # internal_error
        return STALE_TYPE_MESSAGE in message
    return sqlstate == "42883"  # undefined_function: operator does not exist: myenum = text


def _stale_in_transaction(error: errors.Error) -> errors.Error:
    """``error`` (same class and fields) with the note that rolling back and retrying works."""
    noted = type(error)(f"{error}\n{STALE_IN_TRANSACTION_NOTE}", fields=error.fields)
    noted.__cause__ = error
    return noted


def _changes_schema(exchange: Exchange) -> bool:
    """True when a command of ``exchange`` created, altered or dropped an object: statements
    prepared before may have stale plans (a table dropped elsewhere and created here)."""
    return any((result.tag or "").startswith(SCHEMA_CHANGING_TAGS) for result in exchange.results)


def _tristate(value: Any, name: str) -> bool | None:
    if value is None or (isinstance(value, str) and value.upper() == "DEFAULT"):
        return None
    if isinstance(value, bool):
        return value
    raise ValueError(f"bad {name} value: {value!r}, expected True, False, None or 'DEFAULT'")


class Connection(ConnectionState):
    """A connection to one PostgreSQL server (DB-API 2.0, psycopg2-compatible semantics)."""

    _transport: Transport

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

    def __init__(
        self,
        transport: Transport,
        registry: Registry,
        dsn: str = "",
        statements: StatementCache | None = None,
    ) -> None:
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

    # -- state ------------------------------------------------------------------------------

    def fail(self, error: errors.Error) -> None:
        """Mark the connection broken because of ``error`` (e.g. a protocol violation found
        while decoding rows) and close its socket: ``closed`` becomes 2."""
        self._machine.fail(error)
        self._transport.close()

    def _check_open(self) -> None:
        super()._check_open()
        if self._streaming:
            raise ProgrammingError(
                "the connection is streaming a result: finish iterating it or close its "
                "cursor before sending another query"
            )

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

    def get_backend_pid(self) -> int | None:
        """psycopg2's name for ``backend_pid``; InterfaceError once closed, as psycopg2."""
        self._check_not_closed()
        return self._machine.backend_pid

    def get_parameter_status(self, name: str) -> str | None:
        """A parameter the server reported (``server_version``, ``TimeZone``, ...);
        InterfaceError once closed, as psycopg2."""
        self._check_not_closed()
        return self._machine.parameters.get(name)

    def _check_not_closed(self) -> None:
        if self.closed:
            raise InterfaceError("connection already closed")

    @property
    def encoding(self) -> str:
        """The client encoding (PostgreSQL's name)."""
        return self._machine.parameters.get("client_encoding", "UTF8")

    @property
    def _round_trips(self) -> int:
        """Debug counter (tests): network turnarounds (a read after a write) since connecting."""
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
            self._isolation_level = parse_isolation_level(isolation_level)
        if readonly is not None:
            self._read_only = _tristate(readonly, "readonly")
        if deferrable is not None:
            self._deferrable = _tristate(deferrable, "deferrable")
        if autocommit is not None:
            self._autocommit = bool(autocommit)
        if self._autocommit:
            self._apply_session_defaults()

    def _apply_session_defaults(self) -> None:
        isolation = ISOLATION_NAMES.get(self._isolation_level or -1, "DEFAULT")
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
        return begin_statement(self._isolation_level, self._read_only, self._deferrable)

    # -- requests ---------------------------------------------------------------------------

    def request(
        self,
        sql: str,
        param_sets: Sequence[ParamSet] | None = None,
        *,
        describe: bool = True,
        copy_source: Iterable[bytes] | None = None,
        copy_sink: Callable[[bytes], Any] | None = None,
        statement: PreparedStatement | None = None,
        row_limit: int = 0,
    ) -> Exchange:
        """Send one request (simple query when ``param_sets`` is None) and wait for its results.

        Outside autocommit, a ``BEGIN`` is sent first in the same write when no transaction
        is open. ``statement`` runs a named statement (parsed now unless already described).
        ``row_limit``: the most rows a simple query may return (a FETCH's count). Raises the
        server's error, if any.
        """
        with self._lock:
            self._check_open()
            machine = self._machine
            begin = None
            if not self._autocommit and machine.transaction_status == "I":
                begin = self._begin_statement()
            if statement is None:
                flow.send_request(
                    machine,
                    sql,
                    param_sets,
                    begin,
                    describe=describe,
                    close_statements=self._statements.take_closes()
                    if param_sets is not None
                    else (),
                    row_limit=row_limit,
                )
            else:
                flow.send_request(
                    machine,
                    sql,
                    param_sets,
                    begin,
                    statement=statement.name,
                    described=statement.described,
                    result_formats=statement.result_formats,
                    close_statements=self._statements.take_closes(),
                )
            try:
                done = self._transport.run(copy_source, copy_sink)
            finally:
                self._collect_messages()
            exchange = flow.request_result(done, begin is not None)
            if _changes_schema(exchange):
                self._statements.invalidate()
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
            if _changes_schema(exchange):
                self._statements.invalidate()
            return exchange

    def run(self, sql: str, **params: Any) -> list[list[Any]] | None:
        """pg8000-style: run ``sql`` with ``:name`` placeholders, return rows as lists (None
        without a result); sets ``columns`` and ``row_count``. See ``purepg.native``."""
        from purepg import native

        return native.run(self, sql, params)

    # -- prepared statements ----------------------------------------------------------------

    @property
    def prepared_statements(self) -> int:
        """How many named statements this connection keeps prepared on the server."""
        return len(self._statements)

    def execute_params(
        self, sql: str, param_set: ParamSet, prepare: bool | None = None
    ) -> Exchange:
        """Run ``sql`` ($n placeholders) with one parameter set, through the statement cache.

        ``prepare`` True prepares (and pins) the statement now, False never prepares it,
        None prepares it automatically once it ran ``prepare_threshold`` times.
        """
        cache = self._statements
        key = (sql, tuple(param_set[0]))
        for attempt in (1, 2):
            statement = cache.lookup(key)
            if (
                statement is None
                and prepare is not False
                and cache.enabled
                and (prepare or cache.should_prepare(key))
            ):
                statement = cache.add(key, pinned=bool(prepare))
            if statement is None:
                return self.request(sql, [param_set])
            alone = self._machine.transaction_status == "I"
            try:
                exchange = self.request(sql, [param_set], statement=statement)
            except errors.Error as exc:
                stale = statement.described and _stale_statement(exc)
                if not stale:
                    cache.discard(statement)
                    raise
                if exc.sqlstate == "26000":
                    cache.forget_all()  # the server deallocated them all
                else:
                    cache.invalidate()  # prepared under the old schema: all may be stale
                if attempt == 2 or self.closed:
                    raise
                if not alone:
                    raise _stale_in_transaction(exc) from exc
                if self._machine.transaction_status != "I":
                    self.execute_simple("ROLLBACK")  # only our implicit BEGIN and the failure
                if statement.pinned:
                    prepare = True  # pinned again if the server's deallocation forgot it
                else:
                    cache.add(key)  # it was hot: prepare it again right away
                continue
            result = exchange.results[-1] if exchange.results else None
            if not statement.described:
                columns = result.columns if result is not None else None
                formats = [self.registry.result_format(c.type_oid) for c in columns or ()]
                statement.describe(columns, formats)
            elif result is not None and result.columns is None:
                result.columns = statement.columns
            return exchange
        raise AssertionError("unreachable")  # pragma: no cover

    def prepare(self, query: str) -> PreparedQuery:
        """A query (``%s`` / ``%(name)s`` placeholders) to run as a named prepared statement.

        The statement is parsed on its first execution (in the same round trip) and stays
        prepared, never evicted by the cache, until ``PreparedQuery.close()``. Run it with
        ``cursor.execute(prepared, params)``.
        """
        from purepg import sql as sql_module

        return PreparedQuery(self, sql_module.parse(query).sql, query)

    # -- streaming ----------------------------------------------------------------------------

    def stream(self, sql: str, param_set: ParamSet, size: int) -> Generator[Result, None, None]:
        """The results of one statement in batches of at most ``size`` rows (an unnamed portal
        executed ``size`` rows at a time): constant memory however many rows it returns.

        The first batch carries the columns. No other request may be sent until the
        iteration ends; leaving it early closes the portal.
        """
        if size < 1:
            raise ProgrammingError(f"the stream batch size must be >= 1, not {size}")
        with self._lock:
            self._check_open()
            machine = self._machine
            begin = not self._autocommit and machine.transaction_status == "I"
            if begin:
                machine.send_query(self._begin_statement())
            exchange = machine.send_extended(
                sql, [param_set], max_rows=size, close_statements=self._statements.take_closes()
            )
            self._streaming = True
        try:
            while True:
                try:
                    done = self._transport.run()
                finally:
                    self._collect_messages()
                for finished in done:
                    if finished is not exchange and finished.error is not None:
                        raise finished.error
                while exchange.results:
                    yield exchange.results.pop(0)
                if exchange.done:
                    if exchange.error is not None:
                        raise exchange.error
                    return
                machine.send_execute(exchange, size)
        finally:
            self._streaming = False
            if not exchange.done and not self.closed:
                machine.send_sync(exchange)
                with contextlib.suppress(errors.Error):
                    self._transport.run()
                self._collect_messages()

    def copy_out(self, sql: str, chunk_rows: int = 64) -> Generator[bytes, None, None]:
        """Run ``COPY ... TO STDOUT`` and yield its data as it arrives (one row per chunk).

        At most ``chunk_rows`` chunks are buffered between two reads of the consumer: memory
        stays constant. Leaving early reads (and drops) the rest of the data.
        """
        buffered: list[bytes] = []

        def pause() -> bool:
            return len(buffered) >= chunk_rows

        with self._lock:
            self._check_open()
            machine = self._machine
            begin = not self._autocommit and machine.transaction_status == "I"
            if begin:
                machine.send_query(self._begin_statement())
            exchange = machine.send_query(sql)
            self._streaming = True
        try:
            while True:
                try:
                    done = self._transport.run(copy_sink=buffered.append, pause=pause)
                finally:
                    self._collect_messages()
                for finished in done:
                    if finished is not exchange and finished.error is not None:
                        raise finished.error
                while buffered:
                    chunk = buffered.pop(0)
                    yield chunk
                if exchange.done:
                    if exchange.error is not None:
                        raise exchange.error
                    return
        finally:
            self._streaming = False
            if not exchange.done and not self.closed:
                with contextlib.suppress(errors.Error):
                    self._transport.run()
                self._collect_messages()

    # -- LISTEN / NOTIFY ----------------------------------------------------------------------

    def wait_notify(self, timeout: float | None = None) -> Notification | None:
        """The oldest notification not taken yet, waiting up to ``timeout`` seconds for one
        (None = forever); None when none arrived. Taken notifications leave ``notifies``.

        Returns as soon as one arrives: it waits on the socket, not by polling in a loop.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.poll()
            if self.notifies:
                return self.notifies.pop(0)
            remaining = None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
            self._transport.wait_readable(remaining)

    def notifications(self, timeout: float | None = None) -> Iterator[Notification]:
        """Notifications as they arrive; stops once none came for ``timeout`` seconds
        (None: never stops by itself)."""
        while True:
            notification = self.wait_notify(timeout)
            if notification is None:
                return
            yield notification

    # -- two-phase commit (DB-API tpc extension) ----------------------------------------------

    def xid(self, format_id: int, gtrid: str, bqual: str) -> Xid:
        """A transaction id for ``tpc_*`` (the X/Open XA triple)."""
        return Xid.checked(format_id, gtrid, bqual)

    def tpc_begin(self, xid: Xid | str) -> None:
        """Begin a two-phase transaction identified by ``xid``."""
        self._check_open()
        if self._autocommit:
            raise ProgrammingError("tpc_begin cannot be used in autocommit mode")
        if self._tpc_xid is not None or self._machine.transaction_status != "I":
            raise ProgrammingError("tpc_begin must be called outside a transaction")
        self._tpc_xid = xid if isinstance(xid, Xid) else Xid.from_string(xid)
        self._tpc_prepared = False
        self.execute_simple(self._begin_statement())

    def tpc_prepare(self) -> None:
        """First phase: ``PREPARE TRANSACTION`` of the transaction begun by ``tpc_begin``."""
        self._check_open()
        xid = self._tpc_xid
        if xid is None:
            raise ProgrammingError("tpc_prepare must be called in a two-phase transaction")
        if self._tpc_prepared:
            raise ProgrammingError("the two-phase transaction is already prepared")
        self.execute_simple(transaction_command("PREPARE TRANSACTION", xid.gid))
        self._tpc_prepared = True

    def tpc_commit(self, xid: Xid | str | None = None) -> None:
        """Commit the two-phase transaction (``xid``: a prepared one, from ``tpc_recover``)."""
        self._tpc_finish("COMMIT", xid)

    def tpc_rollback(self, xid: Xid | str | None = None) -> None:
        """Roll back the two-phase transaction (``xid``: a prepared one)."""
        self._tpc_finish("ROLLBACK", xid)

    def _tpc_finish(self, verb: str, xid: Xid | str | None) -> None:
        self._check_open()
        if xid is not None:
            if self._tpc_xid is not None or self._machine.transaction_status != "I":
                raise ProgrammingError(
                    f"tpc_{verb.lower()} with an xid must be called outside a transaction"
                )
            gid = xid.gid if isinstance(xid, Xid) else xid
            self.execute_simple(transaction_command(f"{verb} PREPARED", gid))
            return
        current = self._tpc_xid
        if current is None:
            raise ProgrammingError(
                f"tpc_{verb.lower()} without an xid must be called in a two-phase transaction"
            )
        try:
            if self._tpc_prepared:
                self.execute_simple(transaction_command(f"{verb} PREPARED", current.gid))
            elif self._machine.transaction_status != "I":
                self.execute_simple(verb)  # one-phase
        finally:
            self._tpc_xid = None
            self._tpc_prepared = False

    def tpc_recover(self) -> list[Xid]:
        """The transactions prepared on the server and not yet committed or rolled back."""
        exchange = self.execute_simple(
            "SELECT gid, prepared::text, owner::text, database::text "
            "FROM pg_catalog.pg_prepared_xacts"
        )
        found = []
        for gid, prepared, owner, database in self._decode_rows(exchange, [bytes.decode] * 4):
            xid = Xid.from_string(gid)
            found.append(xid.recovered(prepared, owner, database))
        return found

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
        from purepg.codecs.registry import HSTORE_QUERY

        exchange = self.execute_simple(HSTORE_QUERY)
        for oid, array_oid in self._decode_rows(exchange, [int, int]):
            registry.register_hstore(oid, array_oid)

    def register_composite(self, name: str, *, python_type: type | None = None) -> type:
        """Decode the composite type ``name`` (schema-qualified or found through search_path)
        and arrays of it to ``python_type`` (default: a new namedtuple of its attributes), and
        encode ``python_type`` values as that type; on this connection only. Returns the class.

        The type is looked up once, now (inside the current transaction, if one is open).
        """
        from purepg.codecs import composite

        exchange = self.execute_simple(composite.lookup_query(name))
        rows = self._decode_rows(exchange, composite.LOOKUP_DECODERS)
        return composite.register_from_rows(self.registry, name, rows, python_type)

    def _decode_rows(
        self, exchange: Exchange, decoders: Sequence[Callable[[bytes], Any]]
    ) -> list[tuple[Any, ...]]:
        """The rows of an internal query's last result (the connection breaks on a malformed
        DataRow; a value that does not decode is a DataError)."""
        from purepg.cursor import decode_rows  # cursor imports this module

        result = exchange.results[-1]
        try:
            return decode_rows(result.rows, decoders, result.columns or ())
        except errors.ProtocolViolation as exc:
            self.fail(exc)
            raise

    # -- DB-API -----------------------------------------------------------------------------

    def cursor(
        self,
        name: str | None = None,
        *,
        withhold: bool = False,
        scrollable: bool | None = None,
        **kwargs: Any,
    ) -> Cursor:
        """A new cursor; with ``name`` a server-side cursor (``purepg.server_cursor``)."""
        self._check_open()
        if name is not None:
            from purepg.server_cursor import ServerCursor

            if kwargs.pop("cursor_factory", None) is not None or kwargs:
                raise TypeError("a named cursor takes only withhold and scrollable")
            return ServerCursor(self, name, withhold, scrollable)
        factory = kwargs.pop("cursor_factory", None) or self.cursor_factory
        if kwargs:
            raise TypeError(f"unexpected arguments: {', '.join(kwargs)}")
        if factory is not None:
            return factory(self)
        from purepg.cursor import Cursor

        return Cursor(self)

    def _check_no_tpc(self, what: str) -> None:
        if self._tpc_xid is not None:
            raise ProgrammingError(f"{what} cannot be used during a two-phase transaction")

    def commit(self) -> None:
        """Commit the current transaction (nothing to do in autocommit mode or when idle)."""
        self._check_open()
        self._check_no_tpc("commit")
        if self._machine.transaction_status != "I":
            try:
                self.execute_simple("COMMIT")
            except errors.Error as error:
                raise self._commit_failure(error) from None

    def rollback(self) -> None:
        """Roll back the current transaction."""
        self._check_open()
        self._check_no_tpc("rollback")
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
