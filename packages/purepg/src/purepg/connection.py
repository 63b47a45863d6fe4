"""The blocking DB-API Connection: a thin shell over ``purepg.core``.

Each method starts an operation of ``purepg.core`` (written once, shared with
``purepg.aio``) and waits for it on the socket (``purepg.io.blocking.Transport.wait``), one
request at a time (a lock: connections may be shared between threads). Its state and every
decision that needs no I/O are ``purepg.core.session.Session``'s.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from purepg.connection_options import (
    DEFAULT_PREPARE_THRESHOLD,
    DEFAULT_STATEMENT_CACHE_SIZE,
    ISOLATION_LEVEL_AUTOCOMMIT,
    ConnectPlan,
)
from purepg.core import discovery, notify, requests, transactions
from purepg.core.session import Session
from purepg.core.streams import CopyOutStream, PortalStream
from purepg.errors import InterfaceError

if TYPE_CHECKING:
    import ssl

    from purepg.core.operation import Operation
    from purepg.core.streams import Batches
    from purepg.cursor import Cursor
    from purepg.io.blocking import Transport
    from purepg.protocol.machine import Exchange, ParamSet, Result
    from purepg.protocol.messages import Notification
    from purepg.tpc import Xid

T = TypeVar("T")
Piece = TypeVar("Piece")

__all__ = [
    "DEFAULT_PREPARE_THRESHOLD",
    "DEFAULT_STATEMENT_CACHE_SIZE",
    "Connection",
    "connect",
]


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
    connection. It is not in libpq; make it longer than your slowest statement.
    A query executed ``prepare_threshold`` times becomes a named prepared statement, at most
    ``statement_cache_size`` of them per connection; ``statement_cache_size=0`` uses only
    unnamed statements (required behind PgBouncer in transaction mode or RDS Proxy).
    """
    from purepg.io.blocking import connect as open_transport

    plan = ConnectPlan(
        dsn,
        params,
        ssl_context,
        statement_timeout,
        socket_timeout,
        statement_cache_size,
        prepare_threshold,
    )
    transport = open_transport(
        plan.params, ssl_context, plan.extra_options, socket_timeout=plan.socket_timeout
    )
    return Connection(transport, plan.registry(), plan.shown_dsn, plan.statements)


class Connection(Session):
    """A connection to one PostgreSQL server (DB-API 2.0, psycopg2-compatible semantics)."""

    _transport: Transport
    _new_lock = staticmethod(threading.RLock)

    def _wait(self, operation: Operation[T]) -> T:
        """``operation``'s result, its I/O done on the socket; one operation at a time."""
        with self._lock:
            return self._transport.wait(operation)

    def _iterate(self, stream: Batches[Piece]) -> Generator[Piece, None, None]:
        """The pieces of ``stream`` as they arrive; leaving early finishes it."""
        try:
            while True:
                batch = self._wait(stream.next_batch())
                if batch is None:
                    return
                yield from batch
        finally:
            self._wait(stream.finish())

    # -- transaction characteristics (setters that may send SQL) -------------------------------

    def _set_isolation_level(self, value: Any) -> None:
        if value == ISOLATION_LEVEL_AUTOCOMMIT and not isinstance(value, str) and value is not None:
            self.autocommit = True
            return
        self.set_session(isolation_level=value if value is not None else "DEFAULT")

    def _set_readonly(self, value: bool | None) -> None:
        self.set_session(readonly=value if value is not None else "DEFAULT")

    def _set_deferrable(self, value: bool | None) -> None:
        self.set_session(deferrable=value if value is not None else "DEFAULT")

    @property
    def isolation_level(self) -> int | None:
        """The isolation level of new transactions (psycopg2 constants), None = server default."""
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._set_isolation_level(value)

    @property
    def readonly(self) -> bool | None:
        """Whether new transactions are READ ONLY (None = server default)."""
        return self._read_only

    @readonly.setter
    def readonly(self, value: bool | None) -> None:
        self._set_readonly(value)

    @property
    def read_only(self) -> bool | None:
        """``readonly`` (psycopg 3's name)."""
        return self._read_only

    @read_only.setter
    def read_only(self, value: bool | None) -> None:
        self._set_readonly(value)

    @property
    def deferrable(self) -> bool | None:
        """Whether new transactions are DEFERRABLE (None = server default)."""
        return self._deferrable

    @deferrable.setter
    def deferrable(self, value: bool | None) -> None:
        self._set_deferrable(value)

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
        operation = transactions.set_session(
            self, isolation_level, readonly, deferrable, autocommit
        )
        self._wait(operation)

    # -- requests -----------------------------------------------------------------------------

    def request(
        self, sql: str, param_sets: list[ParamSet] | None = None, **options: Any
    ) -> Exchange:
        """Send one request and wait for its results (``purepg.core.requests.request``)."""
        return self._wait(requests.request(self, sql, param_sets, **options))

    def execute_simple(self, sql: str) -> Exchange:
        """Run ``sql`` (simple protocol) without starting a transaction."""
        return self._wait(requests.execute_simple(self, sql))

    def execute_params(
        self, sql: str, param_set: ParamSet, prepare: bool | None = None
    ) -> Exchange:
        """Run ``sql`` ($n placeholders) with one parameter set, through the statement cache."""
        return self._wait(requests.execute_params(self, sql, param_set, prepare))

    def run(self, sql: str, **params: Any) -> list[list[Any]] | None:
        """pg8000-style: run ``sql`` with ``:name`` placeholders, return rows as lists (None
        without a result); sets ``columns`` and ``row_count``. See ``purepg.native``."""
        from purepg import native

        return native.run(self, sql, params)

    def stream(self, sql: str, param_set: ParamSet, size: int) -> Iterator[Result]:
        """The results of one statement in batches of at most ``size`` rows (an unnamed
        portal): constant memory however many rows it returns. The first batch carries the
        columns; no other request may be sent until the iteration ends."""
        return self._iterate(PortalStream(self, sql, param_set, size))

    def copy_out(self, sql: str, chunk_rows: int = 64) -> Iterator[bytes]:
        """Run ``COPY ... TO STDOUT`` and yield its data as it arrives (one row per chunk),
        at most ``chunk_rows`` chunks buffered; leaving early drops the rest."""
        return self._iterate(CopyOutStream(self, sql, chunk_rows))

    # -- LISTEN / NOTIFY ------------------------------------------------------------------------

    def poll(self) -> int:
        """Process what the server sent meanwhile (notifications, notices); returns 0 (OK).

        With ``select()`` on ``fileno()`` this is psycopg2's way to wait for NOTIFY.
        """
        return self._wait(notify.poll(self))

    def wait_notify(self, timeout: float | None = None) -> Notification | None:
        """The oldest notification not taken yet, waiting up to ``timeout`` seconds for one
        (None = forever); None when none arrived. Taken notifications leave ``notifies``."""
        return self._wait(notify.wait_notify(self, timeout))

    def notifications(self, timeout: float | None = None) -> Iterator[Notification]:
        """Notifications as they arrive; stops once none came for ``timeout`` seconds
        (None: never stops by itself)."""
        while True:
            notification = self.wait_notify(timeout)
            if notification is None:
                return
            yield notification

    def fileno(self) -> int:
        """The socket's file descriptor."""
        self._check_open()
        return self._transport.fileno()

    # -- two-phase commit (DB-API tpc extension) ------------------------------------------------

    def tpc_begin(self, xid: Xid | str) -> None:
        """Begin a two-phase transaction identified by ``xid``."""
        self._wait(transactions.tpc_begin(self, xid))

    def tpc_prepare(self) -> None:
        """First phase: ``PREPARE TRANSACTION`` of the transaction begun by ``tpc_begin``."""
        self._wait(transactions.tpc_prepare(self))

    def tpc_commit(self, xid: Xid | str | None = None) -> None:
        """Commit the two-phase transaction (``xid``: a prepared one, from ``tpc_recover``)."""
        self._wait(transactions.tpc_finish(self, "COMMIT", xid))

    def tpc_rollback(self, xid: Xid | str | None = None) -> None:
        """Roll back the two-phase transaction (``xid``: a prepared one)."""
        self._wait(transactions.tpc_finish(self, "ROLLBACK", xid))

    def tpc_recover(self) -> list[Xid]:
        """The transactions prepared on the server and not yet committed or rolled back."""
        return self._wait(transactions.tpc_recover(self))

    # -- types ------------------------------------------------------------------------------------

    def register_composite(self, name: str, *, python_type: type | None = None) -> type:
        """Decode and encode the composite type ``name`` as ``python_type`` (default: a new
        namedtuple), on this connection (``purepg.core.discovery.register_composite``)."""
        return self._wait(discovery.register_composite(self, name, python_type))

    # -- DB-API -----------------------------------------------------------------------------------

    def cursor(
        self,
        name: str | None = None,
        *,
        withhold: bool = False,
        scrollable: bool | None = None,
        **kwargs: Any,
    ) -> Cursor:
        """A new cursor; with ``name`` a server-side cursor (``purepg.core.named``)."""
        self._check_open()
        if name is not None:
            from purepg.cursor import ServerCursor

            if kwargs.pop("cursor_factory", None) is not None or kwargs:
                raise TypeError("a named cursor takes only withhold and scrollable")
            return ServerCursor(self, name, withhold, scrollable)
        factory = kwargs.pop("cursor_factory", None) or self.cursor_factory
        if kwargs:
            raise TypeError(f"unexpected arguments: {', '.join(kwargs)}")
        if factory is not None:
            return factory(self)  # type: ignore[no-any-return]
        from purepg.cursor import Cursor

        return Cursor(self)

    def commit(self) -> None:
        """Commit the current transaction (nothing to do in autocommit mode or when idle)."""
        self._wait(transactions.commit(self))

    def rollback(self) -> None:
        """Roll back the current transaction."""
        self._wait(transactions.rollback(self))

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

    def __enter__(self) -> Connection:
        self._check_open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Commit on success, roll back on an exception; the connection stays open."""
        self._wait(transactions.end_block(self, exc_info[0] is not None))

    def __del__(self) -> None:
        transport = getattr(self, "_transport", None)
        if transport is not None and not getattr(self, "_closed", True):
            with contextlib.suppress(Exception):  # may run during interpreter shutdown
                transport.close()
