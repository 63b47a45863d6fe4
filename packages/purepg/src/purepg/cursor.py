"""The DB-API Cursor: execute, executemany, fetch*, description, COPY.

Without parameters a query is sent as-is with the simple protocol (several statements allowed,
``%`` untouched, as psycopg2 does). With parameters it is translated by ``purepg.sql`` to
``$1..$n`` and sent with the extended protocol, values bound server-side, in one write
(Parse/Bind/Describe/Execute/Sync); repeated queries become named prepared statements (see
``purepg.connection``). Rows stay raw until fetched, then are decoded column by column by the
connection's codec registry.

Beyond DB-API: ``stream()`` iterates a result of any size in constant memory (a row-limited
portal), ``copy_in()`` / ``copy_out()`` run COPY from and to Python objects.
"""

from __future__ import annotations

import io
import weakref
from collections.abc import Generator, Iterable, Iterator, Sequence
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Callable, NamedTuple

from purepg import copy_format
from purepg.codecs import oids
from purepg.errors import DataError, InterfaceError, ProgrammingError, ProtocolViolation
from purepg.protocol.machine import Exchange, ParamSet, Result
from purepg.protocol.messages import (
    Column,
    Decoder,
    data_row_columns,
    decode_data_row,
    parse_data_row_raw,
)
from purepg.statements import PreparedQuery

if TYPE_CHECKING:
    from typing import Protocol

    from purepg.codecs.registry import Registry
    from purepg.connection import Connection
    from purepg.errors import Error

    class _CursorOwner(Protocol):
        """What `CursorState` needs of its connection (blocking or asyncio)."""

        @property
        def closed(self) -> int: ...

        @property
        def registry(self) -> Registry: ...

        def fail(self, error: Error) -> None: ...


NO_PARAMS: ParamSet = ((), (), ())
DECODE_ERRORS = (Exception,)
"""What a column decoder may raise for a value it cannot decode (reported as DataError): any
exception, be it ValueError, UnicodeDecodeError, OverflowError, struct.error or the
RecursionError of a deeply nested json value; a custom decoder's too."""
SHOWN_VALUE_LENGTH = 60
DEFAULT_ITERSIZE = 2000
DECODE_CHUNK = 1000
"""Rows decoded per batch by fetch*: big enough for column-wise decoding to pay, small
enough that fetchall frees each chunk's payloads soon."""

CHAR_OIDS = (oids.BPCHAR, oids.VARCHAR)


class ColumnDescription(NamedTuple):
    """One ``cursor.description`` entry: the DB-API's 7 items, type_code = the type OID."""

    name: str
    type_code: int
    display_size: int | None
    internal_size: int | None
    precision: int | None
    scale: int | None
    null_ok: bool | None


def _describe(column: Column) -> ColumnDescription:
    precision = scale = None
    internal_size: int | None = column.type_size
    modifier = column.type_modifier
    if column.type_oid == oids.NUMERIC:
        internal_size = None
        if modifier >= 4:
            precision = ((modifier - 4) >> 16) & 0xFFFF
            scale = (modifier - 4) & 0xFFFF
    elif column.type_oid in CHAR_OIDS:
        internal_size = modifier - 4 if modifier >= 4 else None
    elif internal_size is not None and internal_size < 0:
        internal_size = None
    return ColumnDescription(
        column.name,
        column.type_oid,
        None,
        internal_size,
        precision,
        scale,
        None,
    )


def decode_rows(
    payloads: Sequence[bytes], decoders: Sequence[Decoder], columns: Sequence[Column]
) -> list[tuple[Any, ...]]:
    """DataRow payloads decoded with ``decoders`` (one per column of ``columns``).

    Column by column: the rows are split into one list of values per column, each column is
    decoded with ``map`` (the loop runs in C, and most decoders are C builtins or one short
    function), and ``zip`` builds the row tuples. A malformed value raises DataError naming
    the column, its type OID and the value (the decoder's exception chained); a DataRow that
    contradicts its RowDescription raises ProtocolViolation. One try around everything:
    nothing is paid per value.
    """
    try:
        values = data_row_columns(payloads, len(decoders))
        decoded = [_decode_column(decoder, column) for decoder, column in zip(decoders, values)]
    except ProtocolViolation:
        raise
    except DECODE_ERRORS as exc:
        raise _value_error(payloads, decoders, columns, exc) from exc
    if not decoded:
        return [()] * len(payloads)
    return list(zip(*decoded))


def _decode_column(decoder: Decoder, values: list[bytes | None]) -> list[Any]:
    if None in values:
        return [None if value is None else decoder(value) for value in values]
    return list(map(decoder, values))  # type: ignore[arg-type] # no None in it


def _value_error(
    payloads: Sequence[bytes],
    decoders: Sequence[Decoder],
    columns: Sequence[Column],
    exc: BaseException,
) -> DataError:
    """The DataError for ``exc``: the failing row is found again, column by column."""
    for payload in payloads:
        values = parse_data_row_raw(payload)  # ProtocolViolation if the framing is broken
        if len(values) != len(decoders):
            raise ProtocolViolation(
                f"malformed DataRow: {len(values)} columns, the RowDescription announced "
                f"{len(decoders)}"
            )
        for index, (decoder, value) in enumerate(zip(decoders, values)):
            if value is None:
                continue
            try:
                decoder(value)
            except DECODE_ERRORS as problem:
                reason = (
                    str(problem) if isinstance(problem, DataError) else _describe_error(problem)
                )
                shown = repr(value[:SHOWN_VALUE_LENGTH])
                if len(value) > SHOWN_VALUE_LENGTH:
                    shown += f" ({len(value)} bytes)"
                if index < len(columns):
                    column = columns[index]
                    where = f"column {column.name!r} (type OID {column.type_oid})"
                else:
                    where = f"column {index + 1}"
                return DataError(f"cannot decode the value of {where}: {reason}; value {shown}")
    return DataError(f"cannot decode a row: {_describe_error(exc)}")


def _describe_error(exc: BaseException) -> str:
    """``exc`` as "Type: message" (a bare RecursionError or KeyError says little alone)."""
    return f"{type(exc).__name__}: {exc}"


class CursorState:
    """What a cursor knows about its last result, shared by `Cursor` and the asyncio cursor:
    description, rowcount, closed state and parameter encoding (no I/O here)."""

    connection: _CursorOwner

    def __init__(self, connection: _CursorOwner) -> None:
        self.connection = connection
        self.arraysize = 1
        self.statusmessage: str | None = None
        """The last command tag, e.g. ``"INSERT 0 1"``."""
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
            self._description = [_describe(column) for column in self._columns]
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
        if self._closed:
            raise InterfaceError("cursor already closed")
        if self.connection.closed:
            raise InterfaceError("connection already closed")

    def _encode(self, values: Sequence[Any]) -> ParamSet:
        return self.connection.registry.encode_all(values)

    def _remembered_decoders(self, columns: list[Column]) -> list[Decoder] | None:
        """The decoders built last time for these columns (a prepared statement reuses its
        very list), unless the registry changed since; else None."""
        memo = self._decoder_memo
        if memo is None or (memo[0] is not columns and memo[0] != columns):
            return None
        registry = self.connection.registry
        if memo[1] is not registry or memo[2] != registry.generation:
            return None
        return memo[3]

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


class Cursor(CursorState):
    """A client-side cursor: each execute fetches its whole result, fetch* decode rows."""

    connection: Connection

    def __init__(self, connection: Connection) -> None:
        self.itersize = DEFAULT_ITERSIZE
        """Rows per batch of ``stream()`` (and per FETCH of a named cursor)."""
        self.max_buffered_rows = 0
        """Debug counter: the most rows ``stream()`` ever held at once."""
        self._query: str | None = None
        self._open_iterator: weakref.ref[Generator[Any, None, None]] | None = None
        super().__init__(connection)

    # -- attributes -------------------------------------------------------------------------

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
        tag = self.statusmessage or ""
        parts = tag.split()
        if len(parts) == 3 and parts[0] == "INSERT" and parts[2] == "1":
            return int(parts[1])
        return None

    # -- executing --------------------------------------------------------------------------

    def execute(
        self, query: str | bytes | PreparedQuery, params: Any = None, *, prepare: bool | None = None
    ) -> None:
        """Execute ``query``, binding ``params`` (``%s`` / ``%(name)s``) server-side.

        ``prepare`` True makes it a named prepared statement now, False never, None (default)
        after ``prepare_threshold`` executions. A ``Connection.prepare()`` query is always
        prepared.
        """
        self._check_usable()
        if isinstance(query, PreparedQuery):
            query, prepare = query.query, True
            if params is None:
                params = ()
        text = query.decode("utf-8") if isinstance(query, bytes) else query
        self._reset()
        if params is None:
            self._query = text
            self._finish(self.connection.request(text))
            return
        parsed, param_set = self._bind(text, params)
        self._query = parsed.sql
        self._finish(self.connection.execute_params(parsed.sql, param_set, prepare))

    def _bind(self, text: str, params: Any) -> tuple[Any, ParamSet]:
        from purepg import sql

        parsed = sql.parse(text)
        return parsed, self._encode(parsed.bind(params))

    def stream(
        self, query: str | bytes, params: Any = None, *, size: int | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Iterate the rows of ``query`` in constant memory, fetching ``size`` (default
        ``itersize``) rows per round trip from an unnamed portal (protocol-level streaming).

        One statement only. ``description`` is set once the first batch arrived and
        ``rowcount`` counts the rows so far. The connection runs nothing else until the
        iteration ends; leaving the loop early (``break``, ``close()``) stops the query.
        Without ``params`` the query is sent as-is (``%`` untouched). Closing the cursor, or
        dropping the iterator, stops the query too.
        """
        self._check_usable()
        return self._track(self._stream_rows(query, params, size))

    def _track(self, rows: Generator[Any, None, None]) -> Generator[Any, None, None]:
        """``rows`` (a stream holding the connection) remembered, to be closed with the
        cursor; weakly, so that dropping it closes it too."""
        self._open_iterator = weakref.ref(rows)
        return rows

    def _close_open_iterator(self) -> None:
        """Stop the stream or COPY TO iterator this cursor returned, if still running: its
        portal is closed (or the COPY drained) and the connection is free again."""
        ref, self._open_iterator = self._open_iterator, None
        rows = ref() if ref is not None else None
        if rows is not None:
            rows.close()

    def _stream_rows(
        self, query: str | bytes, params: Any, size: int | None
    ) -> Generator[tuple[Any, ...], None, None]:
        self._check_usable()
        text = query.decode("utf-8") if isinstance(query, bytes) else query
        self._reset()
        if params is None:
            sql_text, param_set = text, NO_PARAMS
        else:
            parsed, param_set = self._bind(text, params)
            sql_text = parsed.sql
        self._query = sql_text
        batch = self.itersize if size is None else size
        self._rowcount = 0
        results = self.connection.stream(sql_text, param_set, batch)
        try:
            for result in results:
                if result.columns is not None and self._columns is None:
                    self._set_columns(result.columns)
                if result.tag is not None:
                    self.statusmessage = result.tag
                rows = result.rows
                self.max_buffered_rows = max(self.max_buffered_rows, len(rows))
                for row in self._decode_batch(rows):
                    self._rowcount += 1
                    yield row
        finally:
            results.close()

    def executemany(self, query: str | bytes, seq_of_params: Iterable[Any]) -> None:
        """Execute ``query`` once per parameter set, all in one round trip.

        The executions share one Sync: they succeed or fail together, and results are
        discarded (``rowcount`` is the total of affected rows).
        """
        self._check_usable()
        text = query.decode("utf-8") if isinstance(query, bytes) else query
        self._reset()
        from purepg import sql

        parsed = sql.parse(text)
        encode_many = self.connection.registry.encode_many
        param_sets = encode_many(parsed.bind(params) for params in seq_of_params)
        if not param_sets:
            return
        self._query = parsed.sql
        exchange = self.connection.request(parsed.sql, param_sets, describe=False)
        total = 0
        for result in exchange.results:
            count = result.rowcount
            if count > 0:
                total += count
        self._rowcount = total
        if exchange.results:
            self.statusmessage = exchange.results[-1].tag

    def _finish(self, exchange: Exchange) -> None:
        if not exchange.results:
            return
        result: Result = exchange.results[-1]
        self.statusmessage = result.tag
        self._rowcount = result.rowcount
        if result.columns is not None:
            self._set_columns(result.columns)
            self._rows = result.rows
            if self._rowcount < 0:
                self._rowcount = len(result.rows)

    def _set_columns(self, columns: list[Column]) -> None:
        decoders = self._remembered_decoders(columns)
        if decoders is None:
            self.connection.discover_types(c.type_oid for c in columns)
            decoders = self._build_decoders(columns)
        self._columns = columns
        self._description = None
        self._decoders = decoders

    def callproc(self, procname: str, parameters: Sequence[Any] = ()) -> Sequence[Any]:
        """Call a function with ``SELECT * FROM procname(...)``; returns the parameters."""
        placeholders = ", ".join(["%s"] * len(parameters))
        self.execute(f"SELECT * FROM {procname}({placeholders})", list(parameters))
        return parameters

    def setinputsizes(self, sizes: Any) -> None:
        """DB-API no-op."""

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        """DB-API no-op."""

    def nextset(self) -> bool | None:
        """DB-API: always ``NotSupportedError``, as psycopg2 (one result set per execute)."""
        from purepg.errors import NotSupportedError

        raise NotSupportedError("nextset() is not supported: each execute has one result set")

    # -- COPY -------------------------------------------------------------------------------

    def copy_expert(self, sql: str, file: IO[Any], size: int = 8192) -> None:
        """Run ``COPY ... FROM STDIN`` reading ``file`` or ``COPY ... TO STDOUT`` writing it.

        ``file`` needs only ``read`` for COPY FROM and only ``write`` for COPY TO."""
        self._check_usable()
        self._reset()
        sink: Callable[[bytes], Any]
        if isinstance(file, io.TextIOBase):

            def sink(data: bytes) -> Any:
                return file.write(data.decode("utf-8"))

        elif hasattr(file, "write"):
            sink = file.write
        else:

            def sink(data: bytes) -> Any:
                raise ProgrammingError("COPY TO STDOUT needs a file with a write() method")

        source = copy_format.file_chunks(file, size) if hasattr(file, "read") else None
        self._finish_copy(self.connection.request(sql, copy_source=source, copy_sink=sink))

    def _finish_copy(self, exchange: Exchange) -> None:
        if exchange.results:
            self.statusmessage = exchange.results[-1].tag
            self._rowcount = exchange.results[-1].rowcount

    def copy_in(self, sql: str, source: Any, size: int = 65536) -> int:
        """Run ``COPY ... FROM STDIN`` with data from ``source``; returns the rows loaded.

        ``source`` is a file-like object (text or binary), bytes/str, or an iterable of
        bytes/str chunks or of rows (tuples/lists, formatted as COPY text with the codecs:
        tabs, newlines and backslashes escaped, None as ``\\N``; use the default text
        format then). If the source raises, the COPY is aborted (CopyFail: nothing is
        loaded) and its exception re-raised; the connection stays usable.
        """
        self._check_usable()
        self._reset()
        chunks = copy_format.chunks(source, self.connection.registry, size)
        self._finish_copy(self.connection.request(sql, copy_source=chunks))
        return self._rowcount

    def copy_out(self, sql: str) -> Iterator[bytes]:
        """Run ``COPY ... TO STDOUT`` and yield its data chunk by chunk (usually one row
        each), in constant memory. Leaving early (``close()`` of the iterator or of the
        cursor, or dropping the iterator) reads and drops the rest."""
        self._check_usable()
        self._reset()
        return self._track(self.connection.copy_out(sql))

    def copy_from(  # noqa: PLR0917 - psycopg2's signature
        self,
        file: IO[Any],
        table: str,
        sep: str = "\t",
        null: str = "\\N",
        size: int = 8192,
        columns: Sequence[str] | None = None,
    ) -> None:
        """``COPY table FROM STDIN`` in text format, as psycopg2's ``copy_from``."""
        self.copy_expert(self._copy_sql(table, columns, "FROM STDIN", sep, null), file, size)

    def copy_to(
        self,
        file: IO[Any],
        table: str,
        sep: str = "\t",
        null: str = "\\N",
        columns: Sequence[str] | None = None,
    ) -> None:
        """``COPY table TO STDOUT`` in text format, as psycopg2's ``copy_to``."""
        self.copy_expert(self._copy_sql(table, columns, "TO STDOUT", sep, null), file)

    @staticmethod
    def _copy_sql(
        table: str, columns: Sequence[str] | None, direction: str, sep: str, null: str
    ) -> str:
        from purepg.sql import quote_literal

        target = table if not columns else f"{table} ({', '.join(columns)})"
        delimiter, null_marker = quote_literal(sep, "sep"), quote_literal(null, "null")
        return f"COPY {target} {direction} WITH DELIMITER {delimiter} NULL {null_marker}"

    # -- fetching (the decoding is `CursorState`'s) -----------------------------------------

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

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the cursor; its results are released, a running ``stream()`` or
        ``copy_out()`` is stopped and the connection freed."""
        self._closed = True
        self._close_open_iterator()
        self._reset()

    def __enter__(self) -> Cursor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
