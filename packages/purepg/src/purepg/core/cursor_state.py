"""What a cursor knows about its last result, shared by the blocking and asyncio cursors:
description, rowcount, position, the raw rows and their decoding (no I/O here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from purepg.core import executing
from purepg.errors import InterfaceError, NotSupportedError, ProgrammingError, ProtocolViolation
from purepg.protocol.machine import FAILED
from purepg.protocol.messages import Column, Decoder, decode_data_row
from purepg.rows import DECODE_ERRORS, ColumnDescription, decode_rows, describe

if TYPE_CHECKING:
    from purepg.codecs.registry import Registry
    from purepg.core.operation import Operation
    from purepg.core.session import Session
    from purepg.protocol.machine import Exchange, ParamSet, Result

DEFAULT_ITERSIZE = 2000
DECODE_CHUNK = 1000
"""Rows decoded per batch by fetch*: big enough for column-wise decoding to pay, small
enough that fetchall frees each chunk's payloads soon."""


class CursorState:
    """A cursor's state and everything it does without I/O; the operations of
    ``purepg.core.executing`` and ``purepg.core.named`` run its requests."""

    connection: Session

    def __init__(self, connection: Session) -> None:
        self.connection = connection
        self.arraysize = 1
        self.statusmessage: str | None = None
        """The last command tag, e.g. ``"INSERT 0 1"``."""
        self.itersize = DEFAULT_ITERSIZE
        """Rows per batch of ``stream()`` (and per FETCH of a named cursor)."""
        self.max_buffered_rows = 0
        """Debug counter: the most rows ``stream()`` ever held at once."""
        self._query: str | None = None
        self._open_iterator: Any = None
        """A weak reference to the running ``stream()`` / ``copy_out()`` iterator, if any."""
        self._closed = False
        self._decoder_memo: tuple[list[Column], Registry, int, list[Decoder]] | None = None
        self._reset()

    def _reset(self) -> None:
        self._columns: list[Column] | None = None
        self._description: list[ColumnDescription] | None = None
        self._rows: list[bytes] | None = None
        self._decoders: list[Decoder] = []
        self._pos = 0
        self._rowcount = -1

    @property
    def description(self) -> list[ColumnDescription] | None:
        """One 7-item sequence per result column (name, type_code, ...), None without rows."""
        if self._description is None and self._columns is not None:
            self._description = [describe(column) for column in self._columns]
        return self._description

    @property
    def rowcount(self) -> int:
        """Rows returned or affected by the last execute, -1 when unknown."""
        return self._rowcount

    @property
    def closed(self) -> bool:
        """True after ``close()`` or once the connection is closed."""
        return self._closed or bool(self.connection.closed)

    def _check_usable(self) -> None:
        connection = self.connection  # ``connection.closed``, without two property calls:
        if (
            self._closed
            or connection._closed
            or connection._machine.phase == FAILED
            or connection._transport.closed
        ):
            if self._closed:
                raise InterfaceError("cursor already closed")
            raise InterfaceError("connection already closed")

    def _encode(self, values: Sequence[Any]) -> ParamSet:
        return self.connection.registry.encode_all(values)

    def _take_result(self, exchange: Exchange) -> Result | None:
        """Make the last result of ``exchange`` the cursor's, decoded by the decoders built
        last time for the same columns (a prepared statement reuses its very list) unless
        the registry changed since. Returns the result when its columns need new decoders
        (``purepg.core.executing.new_decoders``, then ``_use_result``), else None."""
        results = exchange.results
        if not results:
            return None
        result = results[-1]
        self.statusmessage = result.tag
        self._rowcount = result.rowcount
        columns = result.columns
        if columns is None:
            return None
        memo = self._decoder_memo
        if memo is None or (memo[0] is not columns and memo[0] != columns):
            return result
        registry = self.connection.registry
        if memo[1] is not registry or memo[2] != registry.generation:
            return result
        self._use_result(result, memo[3])
        return None

    def _build_decoders(self, columns: list[Column]) -> list[Decoder]:
        """One decoder per column (their types known to the registry by now), remembered."""
        registry = self.connection.registry
        decoder = registry.decoder
        decoders = [decoder(c.type_oid, c.format) for c in columns]
        self._decoder_memo = (columns, registry, registry.generation, decoders)
        return decoders

    # -- fetching (no I/O: the rows are all here) ---------------------------------------------

    # Rows stay raw DataRow payloads until fetched. fetchone / fetchmany / iteration decode
    # them and keep the payloads (the caller owns the decoded rows: iterating a big result
    # holds only the small raw rows). fetchall replaces each payload by its decoded row, a
    # chunk at a time, so the payloads are freed while it runs and the rows it returns are
    # the only copy of the result (the peak is the decoded rows, not raw + decoded). Rows
    # fetched again after ``scroll()`` moved back are the very tuples decoded before.

    def _check_result(self) -> list[Any]:
        self._check_usable()
        if self._rows is None:
            raise ProgrammingError("no results to fetch")
        return self._rows

    def _fetch_one(self) -> tuple[Any, ...] | None:
        """The next row, or None when there are no more."""
        rows = self._check_result()
        if self._pos >= len(rows):
            return None
        return self._next_row(rows)

    def _next_row(self, rows: list[Any]) -> tuple[Any, ...]:
        """The row at the position (there is one), decoded unless it already was; the
        position moves past it."""
        payload = rows[self._pos]
        self._pos += 1
        if type(payload) is tuple:  # decoded by fetchall, then scrolled back to
            return payload
        try:
            return decode_data_row(payload, self._decoders)
        except (*DECODE_ERRORS, ProtocolViolation):
            return self._decode_batch((payload,))[0]  # decodes again to raise the right error

    def _fetch_many(self, size: int | None) -> list[tuple[Any, ...]]:
        """Up to ``size`` (default ``arraysize``) next rows."""
        rows = self._check_result()
        count = self.arraysize if size is None else size
        end = min(self._pos + max(count, 0), len(rows))
        return self._decode(rows, end)

    def _fetch_all(self) -> list[tuple[Any, ...]]:
        """Every remaining row, each raw payload replaced by its row as it is decoded."""
        rows = self._check_result()
        if len(rows) - self._pos == 1:  # one row left (a one-row query): decoded as a row
            row = rows[-1] = self._next_row(rows)
            return [row]
        return self._decode(rows, len(rows), keep=True)

    def _decode(self, rows: list[Any], end: int, keep: bool = False) -> list[tuple[Any, ...]]:
        """Rows ``_pos`` to ``end`` decoded, ``DECODE_CHUNK`` at a time; with ``keep`` each
        chunk's payloads in ``rows`` are replaced by the decoded rows."""
        start = self._pos
        self._pos = end
        decoded: list[tuple[Any, ...]] = []
        for first in range(start, end, DECODE_CHUNK):
            last = min(first + DECODE_CHUNK, end)
            chunk = rows[first:last]
            if tuple in map(type, chunk):  # some were decoded by an earlier fetchall
                fresh = iter(self._decode_batch([row for row in chunk if type(row) is bytes]))
                chunk = [row if type(row) is tuple else next(fresh) for row in chunk]
            else:
                chunk = self._decode_batch(chunk)
            if keep:
                rows[first:last] = chunk
            decoded += chunk
        return decoded

    def _decode_batch(self, payloads: Sequence[bytes]) -> list[tuple[Any, ...]]:
        """Rows decoded; a DataRow breaking the protocol also breaks the connection."""
        try:
            return decode_rows(payloads, self._decoders, self._columns or ())
        except ProtocolViolation as exc:
            self.connection.fail(exc)
            raise

    @property
    def _raw_rows(self) -> int:
        """Debug counter (tests): rows of the result still held as raw DataRow payloads."""
        return sum(type(row) is bytes for row in self._rows or ())

    def scroll(self, value: int, mode: str = "relative") -> None:
        """Move the position in the result (``relative`` or ``absolute``)."""
        rows = self._check_result()
        if mode == "relative":
            target = self._pos + value
        elif mode == "absolute":
            target = value
        else:
            raise ProgrammingError(f"scroll mode must be 'relative' or 'absolute', not {mode!r}")
        if not 0 <= target <= len(rows):
            raise IndexError("scroll destination out of range")
        self._pos = target

    # -- attributes ---------------------------------------------------------------------------

    @property
    def query(self) -> bytes | None:
        """The last query sent (with ``$n`` placeholders when it had parameters)."""
        return self._query.encode("utf-8") if self._query is not None else None

    @property
    def result_formats(self) -> list[int]:
        """Format of each result column of the last result: 0 text, 1 binary (debugging)."""
        return [column.format for column in self._columns or ()]

    @property
    def rownumber(self) -> int | None:
        """Index of the next row to fetch (None without a result)."""
        return self._pos if self._rows is not None else None

    @property
    def lastrowid(self) -> int | None:
        """The OID of the row a single-row INSERT created (0 without OIDs), else None."""
        parts = (self.statusmessage or "").split()
        if len(parts) == 3 and parts[0] == "INSERT" and parts[2] == "1":
            return int(parts[1])
        return None

    @property
    def column_details(self) -> list[Column]:
        """The last result's columns as the server described them (table OID, attribute
        number, type OID, size, modifier, format); empty without a result."""
        return list(self._columns or ())

    def setinputsizes(self, sizes: Any) -> None:
        """DB-API no-op."""

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        """DB-API no-op."""

    def nextset(self) -> bool | None:
        """DB-API: always ``NotSupportedError``, as psycopg2 (one result set per execute)."""
        raise NotSupportedError("nextset() is not supported: each execute has one result set")

    def _execute(self, query: Any, params: Any, prepare: bool | None) -> Operation[None]:
        """The operation ``execute`` runs (``purepg.core.executing.execute``)."""
        return executing.execute(self, query, params, prepare)

    # -- results (no I/O: the operations received them) ----------------------------------------

    def _text(self, query: str | bytes) -> str:
        return query.decode("utf-8") if isinstance(query, bytes) else query

    def _bind(self, text: str, params: Any) -> tuple[str, ParamSet]:
        """``text`` with ``$n`` placeholders and ``params`` encoded for it."""
        # Imported lazily (cold start), in the form that skips importlib's Python code.
        import purepg.sql as sql  # noqa: PLR0402 - ``from purepg import sql`` runs it

        parsed = sql.parse(text, self.connection.standard_conforming_strings)
        return parsed.sql, self._encode(parsed.bind(params))

    def _use_columns(self, columns: list[Column], decoders: list[Decoder]) -> None:
        self._columns = columns
        self._description = None
        self._decoders = decoders

    def _use_result(self, result: Result, decoders: list[Decoder]) -> None:
        """``result`` (which has columns) becomes the rows to fetch, decoded by ``decoders``."""
        self._columns = result.columns
        self._description = None
        self._decoders = decoders
        rows = self._rows = result.rows
        if self._rowcount < 0:
            self._rowcount = len(rows)

    def _take_counts(self, results: Sequence[Any]) -> None:
        """Status and row count of a COPY or an executemany (affected rows added up)."""
        if results:
            self.statusmessage = results[-1].tag
            self._rowcount = sum(max(result.rowcount, 0) for result in results)
