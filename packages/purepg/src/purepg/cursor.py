"""The blocking DB-API cursors, thin shells over ``purepg.core``: ``Cursor`` (client-side:
each execute fetches its whole result, fetch* decode rows) and ``ServerCursor`` (a named
cursor whose rows stay on the server, ``purepg.core.named``).

Each I/O method runs an operation of ``purepg.core.executing`` on the connection; the state
and the decoding are ``purepg.core.cursor_state.CursorState``'s, shared with ``purepg.aio``.

Beyond DB-API: ``stream()`` iterates a result of any size in constant memory (a row-limited
portal), ``copy_in()`` / ``copy_out()`` run COPY from and to Python objects.
"""

from __future__ import annotations

import weakref
from collections.abc import Generator, Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

from purepg.core import executing, named
from purepg.core.cursor_state import CursorState
from purepg.core.named import NamedCursorState
from purepg.core.streams import CopyOutStream, RowStream
from purepg.errors import ProgrammingError

if TYPE_CHECKING:
    from purepg.connection import Connection
    from purepg.sql import ParsedQuery
    from purepg.statements import PreparedQuery


class Cursor(CursorState):
    """A client-side cursor: each execute fetches its whole result, fetch* decode rows."""

    connection: Connection

    # -- executing ----------------------------------------------------------------------------

    def execute(
        self,
        query: str | bytes | PreparedQuery | ParsedQuery,
        params: Any = None,
        *,
        prepare: bool | None = None,
    ) -> None:
        """Execute ``query``, binding ``params`` (``%s`` / ``%(name)s``) server-side.

        ``prepare`` True makes it a named prepared statement now, False never, None (default)
        after ``prepare_threshold`` executions. A ``Connection.prepare()`` query is always
        prepared. Without ``params`` the query is sent as-is (``%`` untouched). A named
        cursor declares itself for ``query`` (its rows are fetched by the fetch methods).
        """
        self.connection._wait(self._execute(query, params, prepare))

    def executemany(self, query: str | bytes, seq_of_params: Iterable[Any]) -> None:
        """Execute ``query`` once per parameter set, all in one round trip (one Sync: they
        succeed or fail together); ``rowcount`` is the total of affected rows."""
        self.connection._wait(executing.executemany(self, query, seq_of_params))

    def callproc(self, procname: str, parameters: Sequence[Any] = ()) -> Sequence[Any]:
        """Call a function with ``SELECT * FROM procname(...)``; returns the parameters."""
        return self.connection._wait(executing.callproc(self, procname, parameters))

    def stream(
        self, query: str | bytes, params: Any = None, *, size: int | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Iterate the rows of ``query`` in constant memory, fetching ``size`` (default
        ``itersize``) rows per round trip from an unnamed portal (protocol-level streaming).

        One statement only. ``description`` is set once the first batch arrived and
        ``rowcount`` counts the rows so far. The connection runs nothing else until the
        iteration ends; leaving the loop early (``break``, ``close()``, dropping the
        iterator) stops the query.
        """
        stream = RowStream(self, query, params, self.itersize if size is None else size)
        return self._track(self.connection._iterate(stream))

    # -- COPY -----------------------------------------------------------------------------------

    def copy_expert(self, sql: str, file: IO[Any], size: int = 8192) -> None:
        """Run ``COPY ... FROM STDIN`` reading ``file`` or ``COPY ... TO STDOUT`` writing it
        (``file`` needs only ``read`` for COPY FROM and only ``write`` for COPY TO)."""
        self.connection._wait(executing.copy_expert(self, sql, file, size))

    def copy_in(self, sql: str, source: Any, size: int = 65536) -> int:
        """Run ``COPY ... FROM STDIN`` with data from ``source`` (a file, bytes/str, chunks or
        rows: ``purepg.core.executing.copy_in``); returns the rows loaded."""
        return self.connection._wait(executing.copy_in(self, sql, source, size))

    def copy_out(self, sql: str) -> Iterator[bytes]:
        """Run ``COPY ... TO STDOUT`` and yield its data chunk by chunk (usually one row
        each), in constant memory. Leaving early (``close()`` of the iterator or of the
        cursor, or dropping the iterator) reads and drops the rest."""
        self._check_usable()
        self._reset()
        return self._track(self.connection._iterate(CopyOutStream(self.connection, sql)))

    def copy_from(self, file: IO[Any], table: str, *options: Any, **named: Any) -> None:
        """``COPY table FROM STDIN`` in text format, as psycopg2's ``copy_from(file, table,
        sep, null, size, columns)`` (``purepg.core.executing.copy_from_table``)."""
        sql, size = executing.copy_from_table(table, *options, **named)
        self.copy_expert(sql, file, size)

    def copy_to(self, file: IO[Any], table: str, *options: Any, **named: Any) -> None:
        """``COPY table TO STDOUT`` in text format, as psycopg2's ``copy_to(file, table, sep,
        null, columns)``."""
        self.copy_expert(executing.copy_to_table(table, *options, **named), file)

    # -- fetching (the rows are here: ``CursorState`` decodes them) ------------------------------

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None when there are no more."""
        return self._fetch_one()

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        """Up to ``size`` (default ``arraysize``) next rows."""
        return self._fetch_many(size)

    def fetchall(self) -> list[tuple[Any, ...]]:
        """Every remaining row (their raw payloads are freed as they are decoded)."""
        return self._fetch_all()

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return self

    def __next__(self) -> tuple[Any, ...]:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    # -- lifetime -------------------------------------------------------------------------------

    def _track(self, rows: Generator[Any, None, None]) -> Generator[Any, None, None]:
        """``rows`` (a stream holding the connection) remembered, to be closed with the
        cursor; weakly, so that dropping it closes it too."""
        self._open_iterator = weakref.ref(rows)
        return rows

    def _close_open_iterator(self) -> None:
        """Stop the stream or COPY TO iterator this cursor returned, if still running."""
        ref, self._open_iterator = self._open_iterator, None
        rows = ref() if ref is not None else None
        if rows is not None:
            rows.close()

    def close(self) -> None:
        """Close the cursor; its results are released, a running ``stream()`` or
        ``copy_out()`` is stopped and the connection freed."""
        self._closed = True
        self._close_open_iterator()
        self._reset()

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ServerCursor(NamedCursorState, Cursor):
    """A named cursor: its result stays on the server and is fetched in batches
    (``purepg.core.named``)."""

    def executemany(self, query: str | bytes, seq_of_params: Any) -> None:
        """Not possible on a named cursor (psycopg2 refuses it too)."""
        raise ProgrammingError("executemany cannot be used on a named cursor")

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row (one FETCH), or None."""
        rows = self.connection._wait(named.fetch(self, 1))
        return rows[0] if rows else None

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        """The next ``size`` (default ``arraysize``) rows, in one FETCH."""
        return self.connection._wait(named.fetch(self, named.batch_size(self, size)))

    def fetchall(self) -> list[tuple[Any, ...]]:
        """Every remaining row (one FETCH ALL: they are all held in memory)."""
        return self.connection._wait(named.fetch(self, None))

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while True:
            rows = self.fetchmany(max(int(self.itersize), 1))
            if not rows:
                return
            yield from rows

    def scroll(self, value: int, mode: str = "relative") -> None:
        """Move the cursor on the server (``MOVE``); backwards needs ``scrollable=True``."""
        self.connection._wait(named.scroll(self, value, mode))

    def close(self) -> None:
        """Close the cursor on the server (when it still exists) and locally."""
        if self._closed:
            return
        self._close_open_iterator()  # a stream would keep CLOSE from running
        self.connection._wait(named.close(self))
        super().close()
