"""Requests whose answer is taken in pieces, in constant memory: a result read from an
unnamed portal ``size`` rows at a time, and the data of a ``COPY ... TO STDOUT``.

Each stream is consumed by calling ``next_batch()`` (an operation returning the next pieces,
None once all were returned) until it returns None, then ``finish()`` (also when the consumer
stopped early: it closes the portal or drains the COPY, freeing the connection). While a
stream runs the connection refuses other requests.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from purepg import errors
from purepg.errors import ProgrammingError
from purepg.protocol.flow import Run

if TYPE_CHECKING:
    from purepg.core.cursor_state import CursorState
    from purepg.core.operation import Operation
    from purepg.core.session import Session
    from purepg.protocol.machine import Exchange, Machine, ParamSet, Result

NO_PARAMS: ParamSet = ((), (), ())
Piece = TypeVar("Piece")

if TYPE_CHECKING:
    from typing import Protocol

    class Batches(Protocol[Piece]):
        """What a connection iterates: ``next_batch()`` until None, then ``finish()``."""

        def next_batch(self) -> Operation[list[Piece] | None]: ...

        def finish(self) -> Operation[None]: ...


class Stream(Generic[Piece]):
    """What both streams share: starting the request, collecting its pieces, finishing."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.exchange: Exchange | None = None
        self._ended = False
        self._error: errors.Error | None = None

    def _send(self, machine: Machine) -> Exchange:
        """Queue the request (after the BEGIN, if any); its exchange."""
        raise NotImplementedError

    def _run(self) -> Run:
        """The drive of the machine that brings the next pieces."""
        return Run(self.session._machine)

    def _take(self, exchange: Exchange) -> list[Piece]:
        """The pieces the last drive brought."""
        raise NotImplementedError

    def _continue(self, machine: Machine, exchange: Exchange) -> None:
        """Queue what asks the server for the next pieces (nothing by default)."""

    def _abandon(self, machine: Machine, exchange: Exchange) -> None:
        """Queue what ends the request early (nothing by default: the rest is drained)."""

    def next_batch(self) -> Operation[list[Piece] | None]:
        """The next pieces (maybe none yet), or None once the request is answered."""
        session = self.session
        machine = session._machine
        if self.exchange is None:
            session._check_open()
            begin = session._implicit_begin()
            if begin is not None:
                machine.send_query(begin)
            self.exchange = self._send(machine)
            session._streaming = True
        elif self._ended:
            error, self._error = self._error, None
            if error is not None:
                raise error
            return None
        exchange = self.exchange
        try:
            done = yield self._run()
        finally:
            session._collect_messages()
        for finished in done:
            if finished is not exchange and finished.error is not None:
                raise finished.error
        pieces = self._take(exchange)
        if exchange.done:
            self._ended = True
            self._error = exchange.error
        else:
            self._continue(machine, exchange)
        return pieces

    def finish(self) -> Operation[None]:
        """End the stream: what was not read yet is dropped, the connection is free again."""
        session = self.session
        session._streaming = False
        exchange = self.exchange
        if exchange is None or exchange.done or session.closed:
            return
        self._abandon(session._machine, exchange)
        try:
            with contextlib.suppress(errors.Error):
                yield Run(session._machine)  # what was not read yet is dropped
        finally:
            session._collect_messages()


class PortalStream(Stream["Result"]):
    """The results of one statement in batches of at most ``size`` rows (an unnamed portal
    executed ``size`` rows at a time). The first batch carries the columns."""

    def __init__(self, session: Session, sql: str, param_set: ParamSet, size: int) -> None:
        if size < 1:
            raise ProgrammingError(f"the stream batch size must be >= 1, not {size}")
        super().__init__(session)
        self.sql = sql
        self.param_set = param_set
        self.size = size

    def _send(self, machine: Machine) -> Exchange:
        closes = self.session._statements.take_closes()
        return machine.send_extended(
            self.sql, [self.param_set], max_rows=self.size, close_statements=closes
        )

    def _take(self, exchange: Exchange) -> list[Result]:
        results = list(exchange.results)
        exchange.results.clear()
        return results

    def _continue(self, machine: Machine, exchange: Exchange) -> None:
        machine.send_execute(exchange, self.size)

    def _abandon(self, machine: Machine, exchange: Exchange) -> None:
        machine.send_sync(exchange)


class CopyOutStream(Stream[bytes]):
    """The data of ``COPY ... TO STDOUT`` as it arrives (one row per chunk), at most
    ``chunk_rows`` chunks buffered between two batches."""

    def __init__(self, session: Session, sql: str, chunk_rows: int = 64) -> None:
        super().__init__(session)
        self.sql = sql
        self.chunk_rows = chunk_rows
        self._buffered: list[bytes] = []

    def _send(self, machine: Machine) -> Exchange:
        return machine.send_query(self.sql)

    def _run(self) -> Run:
        buffered = self._buffered

        def pause() -> bool:
            return len(buffered) >= self.chunk_rows

        return Run(self.session._machine, copy_sink=buffered.append, pause=pause)

    def _take(self, exchange: Exchange) -> list[bytes]:
        chunks = list(self._buffered)
        self._buffered.clear()
        return chunks


class RowStream:
    """A cursor's ``stream()``: the rows of a ``PortalStream``, decoded, with the cursor's
    description, status and row count kept up to date."""

    def __init__(self, cursor: CursorState, query: str | bytes, params: Any, size: int) -> None:
        cursor._check_usable()
        text = cursor._text(query)
        cursor._reset()
        if params is None:
            sql, param_set = text, NO_PARAMS
        else:
            sql, param_set = cursor._bind(text, params)
        cursor._query = sql
        cursor._rowcount = 0
        self.cursor = cursor
        self.portal = PortalStream(cursor.connection, sql, param_set, size)

    def next_batch(self) -> Operation[list[tuple[Any, ...]] | None]:
        """The next decoded rows, or None once the result is complete."""
        results = yield from self.portal.next_batch()
        if results is None:
            return None
        cursor = self.cursor
        rows: list[tuple[Any, ...]] = []
        for result in results:
            if result.columns is not None and cursor._columns is None:
                # Types are not discovered here: the connection runs nothing else meanwhile.
                cursor._use_columns(result.columns, cursor._build_decoders(result.columns))
            if result.tag is not None:
                cursor.statusmessage = result.tag
            cursor.max_buffered_rows = max(cursor.max_buffered_rows, len(result.rows))
            rows += cursor._decode_batch(result.rows)
        cursor._rowcount += len(rows)
        return rows

    def finish(self) -> Operation[None]:
        """Close the portal if the rows were not all read."""
        return self.portal.finish()
