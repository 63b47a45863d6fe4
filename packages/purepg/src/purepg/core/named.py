"""Named (server-side) cursors, as psycopg2's ``connection.cursor(name=...)``.

``execute`` declares the cursor (``DECLARE name [NO] SCROLL CURSOR [WITH HOLD] FOR query``);
rows are then fetched on demand with ``FETCH``: ``fetchone`` one row, ``fetchmany(n)`` n rows,
``fetchall`` the rest, iteration ``itersize`` rows per round trip. Only the rows of the current
batch are in memory. Without ``withhold`` the cursor lives until the transaction ends (so it
needs a transaction: not autocommit); with it, until ``close()``.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from purepg.core import executing, requests
from purepg.core.cursor_state import CursorState
from purepg.errors import Error, InterfaceError, ProgrammingError

if TYPE_CHECKING:
    from purepg.core.operation import Operation
    from purepg.core.session import Session


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    from purepg.sql import quote_identifier as quoted

    return quoted(name, "a cursor name")


class NamedCursorState(CursorState):
    """A named cursor's state: its name, options, and how far it was fetched."""

    def __init__(
        self,
        connection: Session,
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

    @property
    def rownumber(self) -> int | None:
        """Rows fetched so far."""
        return self._fetched if self._declared else None

    def _check_usable(self) -> None:
        if self._closed:
            raise InterfaceError(f"named cursor {self.name!r} already closed")
        super()._check_usable()

    def _execute(self, query: Any, params: Any, prepare: bool | None) -> Operation[None]:
        """A named cursor's ``execute`` declares it (``declare``)."""
        return declare(self, query, params)


def declare(cursor: NamedCursorState, query: Any, params: Any) -> Operation[None]:
    """Declare the cursor for ``query``; rows are fetched by the fetch methods."""
    cursor._check_usable()
    if cursor._declared:
        raise ProgrammingError("a named cursor can be executed only once")
    if not isinstance(query, (str, bytes)):
        raise ProgrammingError("a named cursor executes SQL text, not a prepared query")
    text = cursor._text(query)
    scroll = ""
    if cursor.scrollable is not None:
        scroll = " SCROLL" if cursor.scrollable else " NO SCROLL"
    hold = " WITH HOLD" if cursor.withhold else ""
    prefix = f"DECLARE {quote_identifier(cursor.name)}{scroll} CURSOR{hold} FOR "
    if params is not None:
        prefix = prefix.replace("%", "%%")
    yield from executing.execute(cursor, prefix + text, params, prepare=False)
    cursor._declared = True
    cursor._fetched = 0
    cursor._rowcount = 0


def fetch(cursor: NamedCursorState, count: int | None) -> Operation[list[tuple[Any, ...]]]:
    """The next ``count`` rows (None: all), in one FETCH; a server sending more breaks the
    connection (memory stays bounded by what was asked for)."""
    cursor._check_usable()
    if not cursor._declared:
        raise ProgrammingError("no results to fetch: execute the named cursor first")
    how = "ALL" if count is None else str(count)
    exchange = yield from requests.request(
        cursor.connection,
        f"FETCH FORWARD {how} FROM {quote_identifier(cursor.name)}",
        row_limit=0 if count is None else max(count, 1),  # FORWARD 0: the current row
    )
    result = exchange.results[-1]
    columns = result.columns
    if columns is not None and cursor._columns is None:
        decoders = yield from executing.new_decoders(cursor, columns)
        cursor._use_columns(columns, decoders)
    rows = result.rows
    cursor._rows = rows
    cursor._pos = 0
    decoded = cursor._decode(rows, len(rows))
    cursor._fetched += len(decoded)
    cursor._rowcount = cursor._fetched
    return decoded


def batch_size(cursor: NamedCursorState, size: int | None) -> int:
    """Rows per FETCH of ``fetchmany(size)`` (default ``arraysize``)."""
    count = cursor.arraysize if size is None else size
    return max(int(count), 0)


def scroll(cursor: NamedCursorState, value: int, mode: str) -> Operation[None]:
    """Move the cursor on the server (``MOVE``); backwards needs ``scrollable=True``."""
    cursor._check_usable()
    if mode not in ("relative", "absolute"):
        raise ProgrammingError(f"scroll mode must be 'relative' or 'absolute', not {mode!r}")
    how = f"ABSOLUTE {int(value)}" if mode == "absolute" else f"RELATIVE {int(value)}"
    yield from requests.request(
        cursor.connection, f"MOVE {how} FROM {quote_identifier(cursor.name)}"
    )
    cursor._fetched = value if mode == "absolute" else cursor._fetched + value


def close(cursor: NamedCursorState) -> Operation[None]:
    """Close the cursor on the server (when it still exists); the caller closes it locally."""
    connection = cursor.connection
    usable = not connection.closed and connection.transaction_status != "E"
    alive = connection.transaction_status == "T" or cursor.withhold
    if cursor._declared and usable and alive:
        with contextlib.suppress(Error):
            yield from requests.execute_simple(connection, f"CLOSE {quote_identifier(cursor.name)}")
