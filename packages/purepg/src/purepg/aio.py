"""asyncio API: ``conn = await purepg.aio.connect(...)``, ``await cur.execute(...)``.

The same operations as the blocking API, not a copy of them: each coroutine here starts the
``purepg.core`` operation the blocking method starts and awaits it on asyncio streams
(``purepg.io.aio.AsyncTransport.wait``). Parameters, paramstyle, codecs, errors, the
prepared-statement cache, transactions, two-phase commit, COPY, streaming and named cursors
behave as in ``purepg.connection`` / ``purepg.cursor``; docs/guide/async.md lists the few
differences (setters that would need I/O are ``await conn.set_session(...)``; iterating is
``async for``).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any, Callable, TypeVar

from purepg.connection_options import ConnectPlan
from purepg.core import discovery, executing, named, notify, requests, transactions
from purepg.core.cursor_state import CursorState
from purepg.core.named import NamedCursorState
from purepg.core.session import Session
from purepg.core.streams import CopyOutStream, PortalStream, RowStream
from purepg.errors import InterfaceError, ProgrammingError

if TYPE_CHECKING:
    from purepg.core.operation import Operation
    from purepg.core.streams import Batches
    from purepg.io.aio import AsyncTransport
    from purepg.protocol.machine import Exchange, ParamSet, Result
    from purepg.protocol.messages import Notification
    from purepg.sql import ParsedQuery
    from purepg.statements import PreparedQuery
    from purepg.tpc import Xid

T = TypeVar("T")
Piece = TypeVar("Piece")


async def connect(dsn: str | None = None, **params: Any) -> AsyncConnection:
    """Open a connection: the parameters of ``purepg.connect`` (libpq keywords, PG*
    environment variables, ``~/.pgpass``, ``ssl_context``, ``statement_timeout``,
    ``socket_timeout``, the statement cache), ``connect_timeout`` per attempt."""
    from purepg.io.aio import connect as open_transport

    plan = ConnectPlan.from_arguments(dsn, params)
    transport = await open_transport(
        plan.params, plan.ssl_context, plan.extra_options, socket_timeout=plan.socket_timeout
    )
    return AsyncConnection(transport, plan.registry(), plan.shown_dsn, plan.statements)


class AsyncConnection(Session):
    """An asyncio connection to one PostgreSQL server (psycopg2-like semantics).

    One operation at a time: concurrent tasks using the same connection are serialised.
    """

    _transport: AsyncTransport
    _new_lock = staticmethod(asyncio.Lock)

    async def _wait(self, operation: Operation[T]) -> T:
        """``operation``'s result, its I/O done with asyncio; one operation at a time."""
        async with self._lock:
            return await self._transport.wait(operation)

    async def _iterate(self, stream: Batches[Piece]) -> AsyncGenerator[Piece, None]:
        """The pieces of ``stream`` as they arrive; leaving early finishes it."""
        try:
            while True:
                batch = await self._wait(stream.next_batch())
                if batch is None:
                    return
                for piece in batch:
                    yield piece
        finally:
            await self._wait(stream.finish())

    async def set_session(
        self,
        isolation_level: Any = None,
        readonly: Any = None,
        deferrable: Any = None,
        autocommit: bool | None = None,
    ) -> None:
        """``Connection.set_session``: the characteristics of the following transactions
        (also the way to set ``isolation_level``, ``readonly`` and ``deferrable`` here)."""
        operation = transactions.set_session(
            self, isolation_level, readonly, deferrable, autocommit
        )
        await self._wait(operation)

    # -- requests -----------------------------------------------------------------------------

    async def request(
        self, sql: str, param_sets: list[ParamSet] | None = None, **options: Any
    ) -> Exchange:
        """``purepg.core.requests.request``, awaited."""
        return await self._wait(requests.request(self, sql, param_sets, **options))

    async def execute_simple(self, sql: str) -> Exchange:
        """``sql`` by the simple protocol, no transaction started."""
        return await self._wait(requests.execute_simple(self, sql))

    async def execute_params(
        self, sql: str, param_set: ParamSet, prepare: bool | None = None
    ) -> Exchange:
        """``sql`` with ``$n`` placeholders and one parameter set, via the statement cache."""
        return await self._wait(requests.execute_params(self, sql, param_set, prepare))

    async def run(self, sql: str, **params: Any) -> list[list[Any]] | None:
        """pg8000-style ``:name`` query, rows as lists (``purepg.native``)."""
        from purepg import native

        return await native.run_async(self, sql, params)

    def stream(self, sql: str, param_set: ParamSet, size: int) -> AsyncIterator[Result]:
        """``Connection.stream``: results in batches of ``size`` rows, ``async for``."""
        return self._iterate(PortalStream(self, sql, param_set, size))

    def copy_out(self, sql: str, chunk_rows: int = 64) -> AsyncIterator[bytes]:
        """``Connection.copy_out``: the COPY TO STDOUT data, ``async for``."""
        return self._iterate(CopyOutStream(self, sql, chunk_rows))

    # -- LISTEN / NOTIFY ------------------------------------------------------------------------

    async def poll(self) -> int:
        """What the server sent meanwhile (notifications, notices), processed; 0."""
        return await self._wait(notify.poll(self))

    async def wait_notify(self, timeout: float | None = None) -> Notification | None:
        """The oldest notification not taken, awaited up to ``timeout`` s (None: forever)."""
        return await self._wait(notify.wait_notify(self, timeout))

    async def notifications(self, timeout: float | None = None) -> AsyncIterator[Notification]:
        """Notifications as they arrive, until none came for ``timeout`` seconds."""
        while True:
            notification = await self.wait_notify(timeout)
            if notification is None:
                return
            yield notification

    def fileno(self) -> int:
        """The socket's file descriptor (to watch it; reading is asyncio's)."""
        self._check_open()
        sock = self._transport.writer.get_extra_info("socket")
        return int(sock.fileno())

    # -- two-phase commit -----------------------------------------------------------------------

    async def tpc_begin(self, xid: Xid | str) -> None:
        """Start the two-phase transaction ``xid``."""
        await self._wait(transactions.tpc_begin(self, xid))

    async def tpc_prepare(self) -> None:
        """PREPARE TRANSACTION (the first phase)."""
        await self._wait(transactions.tpc_prepare(self))

    async def tpc_commit(self, xid: Xid | str | None = None) -> None:
        """COMMIT PREPARED (or commit in one phase), of ``xid`` if given."""
        await self._wait(transactions.tpc_finish(self, "COMMIT", xid))

    async def tpc_rollback(self, xid: Xid | str | None = None) -> None:
        """ROLLBACK PREPARED (or roll back), of ``xid`` if given."""
        await self._wait(transactions.tpc_finish(self, "ROLLBACK", xid))

    async def tpc_recover(self) -> list[Xid]:
        """The prepared transactions waiting on the server."""
        return await self._wait(transactions.tpc_recover(self))

    # -- types ------------------------------------------------------------------------------------

    async def register_composite(self, name: str, *, python_type: type | None = None) -> type:
        """``Connection.register_composite``: the composite type ``name`` as a Python class."""
        return await self._wait(discovery.register_composite(self, name, python_type))

    # -- DB-API -----------------------------------------------------------------------------------

    def cursor(
        self,
        name: str | None = None,
        *,
        withhold: bool = False,
        scrollable: bool | None = None,
        cursor_factory: Callable[[AsyncConnection], Any] | None = None,
    ) -> AsyncCursor:
        """A new cursor; with ``name`` a server-side (named) cursor; ``cursor_factory`` (or the
        connection's) makes a cursor of your own class."""
        self._check_open()
        if name is not None:
            if cursor_factory is not None:
                raise TypeError("a named cursor takes only withhold and scrollable")
            return AsyncServerCursor(self, name, withhold, scrollable)
        factory = cursor_factory or self.cursor_factory
        return factory(self) if factory is not None else AsyncCursor(self)

    async def commit(self) -> None:
        """COMMIT (nothing in autocommit mode or outside a transaction)."""
        await self._wait(transactions.commit(self))

    async def rollback(self) -> None:
        """ROLLBACK of the current transaction."""
        await self._wait(transactions.rollback(self))

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

    async def __aenter__(self) -> AsyncConnection:
        self._check_open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Commit on success, roll back on an exception; the connection stays open."""
        await self._wait(transactions.end_block(self, exc_info[0] is not None))


class AsyncCursor(CursorState):
    """A client-side cursor: each execute fetches its whole result, fetch* decode rows."""

    connection: AsyncConnection

    async def execute(
        self,
        query: str | bytes | PreparedQuery | ParsedQuery,
        params: Any = None,
        *,
        prepare: bool | None = None,
    ) -> None:
        """``Cursor.execute``: ``params`` bound server-side, ``prepare`` as there."""
        await self.connection._wait(self._execute(query, params, prepare))

    async def executemany(self, query: str | bytes, seq_of_params: Iterable[Any]) -> None:
        """Every parameter set in one round trip, all or none (``Cursor.executemany``)."""
        await self.connection._wait(executing.executemany(self, query, seq_of_params))

    async def callproc(self, procname: str, parameters: Sequence[Any] = ()) -> Sequence[Any]:
        """``SELECT * FROM procname(...)``; returns the parameters."""
        return await self.connection._wait(executing.callproc(self, procname, parameters))

    def stream(
        self, query: str | bytes, params: Any = None, *, size: int | None = None
    ) -> AsyncIterator[tuple[Any, ...]]:
        """``Cursor.stream``: the rows in constant memory, ``async for``."""
        stream = RowStream(self, query, params, self.itersize if size is None else size)
        return self._track(self.connection._iterate(stream))

    async def copy_expert(self, sql: str, file: IO[Any], size: int = 8192) -> None:
        """COPY FROM STDIN reading ``file``, or COPY TO STDOUT writing it (a regular,
        blocking file object)."""
        await self.connection._wait(executing.copy_expert(self, sql, file, size))

    async def copy_in(self, sql: str, source: Any, size: int = 65536) -> int:
        """``Cursor.copy_in``: COPY FROM STDIN from Python data; the rows loaded."""
        return await self.connection._wait(executing.copy_in(self, sql, source, size))

    def copy_out(self, sql: str) -> AsyncIterator[bytes]:
        """``Cursor.copy_out``: the COPY TO STDOUT data, ``async for``."""
        self._check_usable()
        self._reset()
        return self._track(self.connection._iterate(CopyOutStream(self.connection, sql)))

    async def copy_from(self, file: IO[Any], table: str, *options: Any, **named: Any) -> None:
        """psycopg2's ``copy_from``: ``table`` loaded from ``file`` (text format)."""
        sql, size = executing.copy_from_table(table, *options, **named)
        await self.copy_expert(sql, file, size)

    async def copy_to(self, file: IO[Any], table: str, *options: Any, **named: Any) -> None:
        """psycopg2's ``copy_to``: ``table`` written to ``file`` (text format)."""
        await self.copy_expert(executing.copy_to_table(table, *options, **named), file)

    # -- fetching (no I/O for a client-side cursor: coroutines for the named one's sake) --------

    async def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None."""
        return self._fetch_one()

    async def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        """Up to ``size`` (default ``arraysize``) next rows."""
        return self._fetch_many(size)

    async def fetchall(self) -> list[tuple[Any, ...]]:
        """The remaining rows."""
        return self._fetch_all()

    def __aiter__(self) -> AsyncIterator[tuple[Any, ...]]:
        return self

    async def __anext__(self) -> tuple[Any, ...]:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    # -- lifetime -------------------------------------------------------------------------------

    async def scroll(self, value: int, mode: str = "relative") -> None:  # type: ignore[override]
        """Move in the result (``relative`` or ``absolute``); a coroutine, as on the named
        cursor, though the rows are here."""
        CursorState.scroll(self, value, mode)

    def _track(self, rows: AsyncGenerator[Any, None]) -> AsyncGenerator[Any, None]:
        self._open_iterator = weakref.ref(rows)
        return rows

    async def _close_open_iterator(self) -> None:
        ref, self._open_iterator = self._open_iterator, None
        rows = ref() if ref is not None else None
        if rows is not None:
            await rows.aclose()

    async def close(self) -> None:
        """Close the cursor; a running ``stream()`` or ``copy_out()`` is stopped."""
        self._closed = True
        await self._close_open_iterator()
        self._reset()

    async def __aenter__(self) -> AsyncCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class AsyncServerCursor(NamedCursorState, AsyncCursor):
    """A named cursor (``purepg.core.named``): rows fetched from the server on demand."""

    async def executemany(self, query: str | bytes, seq_of_params: Iterable[Any]) -> None:
        """Refused, as on the blocking named cursor."""
        raise ProgrammingError("executemany cannot be used on a named cursor")

    async def fetchone(self) -> tuple[Any, ...] | None:
        """One FETCH of one row; None at the end."""
        rows = await self.connection._wait(named.fetch(self, 1))
        return rows[0] if rows else None

    async def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        """One FETCH of ``size`` (default ``arraysize``) rows."""
        return await self.connection._wait(named.fetch(self, named.batch_size(self, size)))

    async def fetchall(self) -> list[tuple[Any, ...]]:
        """One FETCH ALL."""
        return await self.connection._wait(named.fetch(self, None))

    def __aiter__(self) -> AsyncIterator[tuple[Any, ...]]:
        return self._batches()

    async def _batches(self) -> AsyncGenerator[tuple[Any, ...], None]:
        while True:
            rows = await self.fetchmany(max(int(self.itersize), 1))
            if not rows:
                return
            for row in rows:
                yield row

    async def scroll(self, value: int, mode: str = "relative") -> None:  # type: ignore[override]
        """MOVE on the server; backwards needs ``scrollable=True``."""
        await self.connection._wait(named.scroll(self, value, mode))

    async def close(self) -> None:
        """CLOSE on the server (when it still exists), then locally."""
        if self._closed:
            return
        await self._close_open_iterator()  # a stream would keep CLOSE from running
        await self.connection._wait(named.close(self))
        await super().close()


__all__ = ["AsyncConnection", "AsyncCursor", "AsyncServerCursor", "connect"]
