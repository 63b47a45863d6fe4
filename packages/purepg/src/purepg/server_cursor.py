"""Named (server-side) cursors, as psycopg2's ``connection.cursor(name=...)``.

``execute`` declares the cursor (``DECLARE name [NO] SCROLL CURSOR [WITH HOLD] FOR query``);
rows are then fetched on demand with ``FETCH``: ``fetchone`` one row, ``fetchmany(n)`` n rows,
``fetchall`` the rest, iteration ``itersize`` rows per round trip. Only the rows of the current
batch are in memory. Without ``withhold`` the cursor lives until the transaction ends (so it
needs a transaction: not autocommit); with it, until ``close()``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from purepg.cursor import Cursor
from purepg.errors import Error, InterfaceError, ProgrammingError

if TYPE_CHECKING:
    from purepg.connection import Connection
    from purepg.statements import PreparedQuery


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    from purepg.sql import quote_identifier as quoted

    return quoted(name, "a cursor name")


class ServerCursor(Cursor):
    """A cursor whose result stays on the server and is fetched in batches."""

    def __init__(
        self,
        connection: Connection,
        name: str,
        withhold: bool = False,
        scrollable: bool | None = None,
    ) -> None:
        super().__init__(connection)
        if not name:
            raise ProgrammingError("a named cursor needs a non-empty name")
        self.name = name
        self.withhold = withhold
        self.scrollable = scrollable
        self._declared = False
        self._fetched = 0

    def execute(
        self, query: str | bytes | PreparedQuery, params: Any = None, *, prepare: bool | None = None
    ) -> None:
        """Declare the cursor for ``query``; rows are fetched by the fetch methods."""
        self._check_usable()
        if self._declared:
            raise ProgrammingError("a named cursor can be executed only once")
        if not isinstance(query, (str, bytes)):
            raise ProgrammingError("a named cursor executes SQL text, not a prepared query")
        text = query.decode("utf-8") if isinstance(query, bytes) else query
        scroll = ""
        if self.scrollable is not None:
            scroll = " SCROLL" if self.scrollable else " NO SCROLL"
        hold = " WITH HOLD" if self.withhold else ""
        prefix = f"DECLARE {quote_identifier(self.name)}{scroll} CURSOR{hold} FOR "
        if params is not None:
            prefix = prefix.replace("%", "%%")
        super().execute(prefix + text, params, prepare=False)
        self._declared = True
        self._fetched = 0
        self._rowcount = 0

    def executemany(self, query: str | bytes, seq_of_params: Any) -> None:
        """Not possible on a named cursor (psycopg2 refuses it too)."""
        raise ProgrammingError("executemany cannot be used on a named cursor")

    def _fetch(self, count: int | None) -> list[tuple[Any, ...]]:
        """The next ``count`` rows (None: all), in one FETCH; a server sending more breaks
        the connection (memory stays bounded by what was asked for)."""
        self._check_usable()
        if not self._declared:
            raise ProgrammingError("no results to fetch: execute the named cursor first")
        how = "ALL" if count is None else str(count)
        exchange = self.connection.request(
            f"FETCH FORWARD {how} FROM {quote_identifier(self.name)}",
            row_limit=0 if count is None else max(count, 1),  # FORWARD 0: the current row
        )
        result = exchange.results[-1]
        if result.columns is not None and self._columns is None:
            self._set_columns(result.columns)
        rows = result.rows
        self._rows = rows
        self._pos = 0
        decoded = self._decode(rows, len(rows))
        self._fetched += len(decoded)
        self._rowcount = self._fetched
        return decoded

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row (one FETCH), or None."""
        rows = self._fetch(1)
        return rows[0] if rows else None

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        """The next ``size`` (default ``arraysize``) rows, in one FETCH."""
        count = self.arraysize if size is None else size
        return self._fetch(max(int(count), 0))

    def fetchall(self) -> list[tuple[Any, ...]]:
        """Every remaining row (one FETCH ALL: they are all held in memory)."""
        return self._fetch(None)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while True:
            rows = self._fetch(max(int(self.itersize), 1))
            if not rows:
                return
            yield from rows

    def __next__(self) -> tuple[Any, ...]:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    @property
    def rownumber(self) -> int | None:
        """Rows fetched so far."""
        return self._fetched if self._declared else None

    def scroll(self, value: int, mode: str = "relative") -> None:
        """Move the cursor on the server (``MOVE``); backwards needs ``scrollable=True``."""
        self._check_usable()
        if mode not in ("relative", "absolute"):
            raise ProgrammingError(f"scroll mode must be 'relative' or 'absolute', not {mode!r}")
        how = f"ABSOLUTE {int(value)}" if mode == "absolute" else f"RELATIVE {int(value)}"
        self.connection.request(f"MOVE {how} FROM {quote_identifier(self.name)}")
        self._fetched = value if mode == "absolute" else self._fetched + value

    def close(self) -> None:
        """Close the cursor on the server (when it still exists) and locally."""
        if self._closed:
            return
        self._close_open_iterator()  # a stream would keep CLOSE from running
        connection = self.connection
        usable = not connection.closed and connection.transaction_status != "E"
        alive = connection.transaction_status == "T" or self.withhold
        if self._declared and usable and alive:
            with contextlib.suppress(Error):
                connection.execute_simple(f"CLOSE {quote_identifier(self.name)}")
        super().close()

    def _check_usable(self) -> None:
        if self._closed:
            raise InterfaceError(f"named cursor {self.name!r} already closed")
        super()._check_usable()
