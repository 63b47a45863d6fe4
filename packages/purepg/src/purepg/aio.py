"""asyncio API: ``conn = await purepg.aio.connect(...)``, ``await cur.execute(...)``.

The same connection parameters, paramstyle (``purepg.sql``), codecs (``Registry``) and
errors as the blocking API, and the same sans-IO core: requests are built by
``purepg.protocol.flow`` and answered by the machine; ``purepg.io.aio`` only moves bytes.

Transactions work like psycopg2's: outside autocommit the first statement opens one, and
``async with conn:`` commits on success or rolls back on an exception (it does not close).
Queries with parameters use unnamed statements (no prepared-statement cache).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Callable

from purepg import errors
from purepg.connection_options import (
    begin_statement,
    parse_isolation_level,
    socket_timeout_seconds,
    statement_timeout_option,
)
from purepg.connection_state import ConnectionState
from purepg.copy_format import file_chunks
from purepg.cursor import CursorState, decode_rows
from purepg.errors import InterfaceError, ProgrammingError
from purepg.protocol import flow
from purepg.protocol.machine import Exchange, ParamSet, Result
from purepg.protocol.messages import Notification

if TYPE_CHECKING:
    import ssl

    from purepg.codecs.registry import Registry
    from purepg.io.aio import AsyncTransport


async def connect(
    dsn: str | None = None,
    *,
    ssl_context: ssl.SSLContext | None = None,
    statement_timeout: int | float | str | None = None,
    socket_timeout: float | str | None = None,
    **params: Any,
) -> AsyncConnection:
    """Open a connection; the same parameters as ``purepg.connect`` (libpq keywords, PG*
    environment variables, ``~/.pgpass``, ``ssl_context``, ``statement_timeout``,
    ``socket_timeout``). ``connect_timeout`` bounds each connection attempt."""
    from purepg.codecs.registry import default_registry
    from purepg.conninfo import resolve
    from purepg.io.aio import connect as open_transport

    params.pop("statement_cache_size", None)  # accepted for symmetry: no cache here
    params.pop("prepare_threshold", None)
    timeout = socket_timeout_seconds(socket_timeout)
    resolved = resolve(dsn, params)
    if ssl_context is not None:  # a context means TLS: sslmode at least require
        from purepg.tls import mode_for_context

        resolved = mode_for_context(resolved)
    extra = statement_timeout_option(statement_timeout)
    transport = await open_transport(resolved, ssl_context, extra, socket_timeout=timeout)
    return AsyncConnection(transport, default_registry.copy())


class AsyncConnection(ConnectionState):
    """An asyncio connection to one PostgreSQL server (psycopg2-like semantics).

    One request at a time: concurrent tasks using the same connection are serialised.
    """

    _transport: AsyncTransport

    def __init__(self, transport: AsyncTransport, registry: Registry) -> None:
        self._transport = transport
        self._machine = transport.machine
        self.registry = registry
        """Per-connection codecs (``default_registry.copy()``): register adapters here."""
        self.notices: list[str] = []
        """The server's NOTICE/WARNING messages (the last 50)."""
        self.notifies: list[Notification] = []
        """NOTIFY messages received and not taken by ``wait_notify`` yet."""
        self._autocommit = False
        self._isolation_level: int | None = None
        self._closed = False
        self._lock: asyncio.Lock | None = None
        self._types_discovered = False

    # -- state ------------------------------------------------------------------------------

    def fail(self, error: errors.Error) -> None:
        """Mark the connection broken because of ``error`` (e.g. a protocol violation found
        while decoding rows): ``closed`` becomes 2 (``close()`` closes the socket)."""
        self._machine.fail(error)

    @property
    def autocommit(self) -> bool:
        """When True each statement commits on its own; else a transaction starts implicitly."""
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._check_open()
        if self._machine.transaction_status != "I":
            raise ProgrammingError("autocommit cannot be changed inside a transaction")
        self._autocommit = bool(value)

    @property
    def isolation_level(self) -> int | None:
        """The isolation level of new transactions (psycopg2 constants), None = default."""
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._check_open()
        if self._machine.transaction_status != "I":
            raise ProgrammingError("isolation_level cannot be changed inside a transaction")
        self._isolation_level = parse_isolation_level(value)

    # -- requests ---------------------------------------------------------------------------

    def _serialised(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def request(
        self,
        sql: str,
        param_sets: Sequence[ParamSet] | None = None,
        *,
        describe: bool = True,
        copy_source: Iterable[bytes] | None = None,
        copy_sink: Callable[[bytes], Any] | None = None,
    ) -> Exchange:
        """Send one request (simple query when ``param_sets`` is None), wait for its results;
        outside autocommit a ``BEGIN`` goes first when no transaction is open."""
        async with self._serialised():
            self._check_open()
            machine = self._machine
            begin = None
            if not self._autocommit and machine.transaction_status == "I":
                begin = begin_statement(self._isolation_level, None, None)
            flow.send_request(machine, sql, param_sets, begin, describe=describe)
            try:
                done = await self._transport.run(copy_source, copy_sink)
            finally:
                self._collect_messages()
            return flow.request_result(done, begin is not None)

    async def execute_simple(self, sql: str) -> Exchange:
        """Run ``sql`` (simple protocol) without starting a transaction."""
        async with self._serialised():
            self._check_open()
            self._machine.send_query(sql)
            try:
                (exchange,) = await self._transport.run()
            finally:
                self._collect_messages()
            return flow.raise_error(exchange)

    async def discover_types(self, oids: Iterable[int]) -> None:
        """Register hstore the first time a result has a type the registry does not know."""
        if self._types_discovered:
            return
        registry = self.registry
        if all(registry.type_name(oid) for oid in oids):
            return
        self._types_discovered = True
        from purepg.codecs.registry import HSTORE_QUERY

        exchange = await self.execute_simple(HSTORE_QUERY)
        result = exchange.results[-1]
        for oid, array_oid in decode_rows(result.rows, [int, int], result.columns or ()):
            registry.register_hstore(oid, array_oid)

    async def register_composite(self, name: str, *, python_type: type | None = None) -> type:
        """Decode the composite type ``name`` and arrays of it to ``python_type`` (default: a
        new namedtuple) and encode ``python_type`` as it, on this connection only (as
        ``Connection.register_composite``). Returns the class."""
        from purepg.codecs import composite

        exchange = await self.execute_simple(composite.lookup_query(name))
        result = exchange.results[-1]
        rows = decode_rows(result.rows, composite.LOOKUP_DECODERS, result.columns or ())
        return composite.register_from_rows(self.registry, name, rows, python_type)

    # -- DB-API -----------------------------------------------------------------------------

    def cursor(self) -> AsyncCursor:
        """A new cursor."""
        self._check_open()
        return AsyncCursor(self)

    async def commit(self) -> None:
        """Commit the current transaction (nothing to do in autocommit mode or when idle)."""
        self._check_open()
        if self._machine.transaction_status != "I":
            try:
                await self.execute_simple("COMMIT")
            except errors.Error as error:
                raise self._commit_failure(error) from None

    async def rollback(self) -> None:
        """Roll back the current transaction."""
        self._check_open()
        if self._machine.transaction_status != "I":
            await self.execute_simple("ROLLBACK")

    async def close(self) -> None:
        """Close the connection (an open transaction is rolled back by the server)."""
        if self._closed:
            return
        self._closed = True
        await self._transport.close()

    async def cancel(self) -> None:
        """Cancel the query running on this connection (call it from another task)."""
        if self._closed:
            raise InterfaceError("connection already closed")
        await self._transport.cancel()

    async def wait_notify(self, timeout: float | None = None) -> Notification | None:
        """The oldest notification not taken yet, waiting up to ``timeout`` seconds for one
        (None = forever); None when none arrived."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.notifies:
                return self.notifies.pop(0)
            remaining = None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
            async with self._serialised():
                self._check_open()
                try:
                    await self._transport.receive(remaining)
                finally:
                    self._collect_messages()

    async def __aenter__(self) -> AsyncConnection:
        self._check_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Commit on success, roll back on an exception; the connection stays open."""
        if self.closed:
            return
        if exc_type is None:
            await self.commit()
        else:
            with contextlib.suppress(errors.Error):
                await self.rollback()


class AsyncCursor(CursorState):
    """A client-side cursor: each execute fetches its whole result, fetch* decode rows."""

    connection: AsyncConnection

    async def execute(self, query: str, params: Any = None) -> None:
        """Execute ``query``, binding ``params`` (``%s`` / ``%(name)s``) server-side; without
        params the query is sent as-is (several statements allowed, ``%`` untouched)."""
        from purepg import sql

        self._check_usable()
        self._reset()
        if params is None:
            exchange = await self.connection.request(query)
        else:
            parsed = sql.parse(query)
            param_set = self._encode(parsed.bind(params))
            exchange = await self.connection.request(parsed.sql, [param_set])
        await self._finish(exchange)

    async def executemany(self, query: str, seq_of_params: Iterable[Any]) -> None:
        """Execute ``query`` once per parameter set, all in one round trip (one Sync: they
        succeed or fail together); ``rowcount`` is the total of affected rows."""
        from purepg import sql

        self._check_usable()
        self._reset()
        parsed = sql.parse(query)
        encode_many = self.connection.registry.encode_many
        param_sets = encode_many(parsed.bind(params) for params in seq_of_params)
        if not param_sets:
            return
        exchange = await self.connection.request(parsed.sql, param_sets, describe=False)
        self._rowcount = sum(max(result.rowcount, 0) for result in exchange.results)
        if exchange.results:
            self.statusmessage = exchange.results[-1].tag

    async def _finish(self, exchange: Exchange) -> None:
        if not exchange.results:
            return
        result: Result = exchange.results[-1]
        self.statusmessage = result.tag
        self._rowcount = result.rowcount
        if result.columns is not None:
            columns = result.columns
            decoders = self._remembered_decoders(columns)
            if decoders is None:
                await self.connection.discover_types(c.type_oid for c in columns)
                decoders = self._build_decoders(columns)
            self._decoders = decoders
            self._columns = columns
            self._rows = result.rows
            if self._rowcount < 0:
                self._rowcount = len(result.rows)

    async def copy_expert(self, sql: str, file: IO[Any], size: int = 8192) -> None:
        """Run ``COPY ... FROM STDIN`` reading ``file`` or ``COPY ... TO STDOUT`` writing it
        (a regular, blocking file object: ``read`` / ``write``)."""
        self._check_usable()
        self._reset()
        sink: Callable[[bytes], Any] | None = None
        if isinstance(file, io.TextIOBase):

            def sink(data: bytes) -> Any:
                return file.write(data.decode("utf-8"))

        elif hasattr(file, "write"):
            sink = file.write
        source = file_chunks(file, size) if hasattr(file, "read") else None
        exchange = await self.connection.request(sql, copy_source=source, copy_sink=sink)
        if exchange.results:
            self.statusmessage = exchange.results[-1].tag
            self._rowcount = exchange.results[-1].rowcount

    # -- fetching ---------------------------------------------------------------------------

    async def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None when there are no more."""
        return self._fetch_one()

    async def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        """Up to ``size`` (default ``arraysize``) next rows."""
        return self._fetch_many(size)

    async def fetchall(self) -> list[tuple[Any, ...]]:
        """Every remaining row (their raw payloads are freed as they are decoded)."""
        return self._fetch_all()

    def __aiter__(self) -> AsyncIterator[tuple[Any, ...]]:
        return self

    async def __anext__(self) -> tuple[Any, ...]:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def close(self) -> None:
        """Close the cursor; its results are released."""
        self._closed = True
        self._reset()

    async def __aenter__(self) -> AsyncCursor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


__all__ = ["AsyncConnection", "AsyncCursor", "connect"]
