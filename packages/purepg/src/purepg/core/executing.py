"""The cursor's operations: execute, executemany, callproc and COPY, written once for the
blocking and the asyncio cursor.

Without parameters a query is sent as-is with the simple protocol (several statements
allowed, ``%`` untouched, as psycopg2 does). With parameters it is translated by
``purepg.sql`` to ``$1..$n`` and sent with the extended protocol, values bound server-side,
in one write (Parse/Bind/Describe/Execute/Sync); repeated queries become named prepared
statements (``purepg.core.requests``). Rows stay raw until fetched.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any, Callable

from purepg import copy_format
from purepg.core import requests
from purepg.core.discovery import discover_types
from purepg.errors import ProgrammingError
from purepg.statements import PreparedQuery

if TYPE_CHECKING:
    from purepg.core.cursor_state import CursorState
    from purepg.core.operation import Operation
    from purepg.protocol.messages import Column, Decoder
    from purepg.sql import ParsedQuery


def execute(
    cursor: CursorState,
    query: str | bytes | PreparedQuery | ParsedQuery,
    params: Any = None,
    prepare: bool | None = None,
) -> Operation[None]:
    """Execute ``query``, binding ``params`` (``%s`` / ``%(name)s``) server-side.

    ``prepare`` True makes it a named prepared statement now, False never, None (default)
    after ``prepare_threshold`` executions. A ``prepare()``d query is always prepared. A
    ``purepg.sql.ParsedQuery`` (``$n`` placeholders, e.g. from ``parse_colon``) is bound as
    it is.
    """
    cursor._check_usable()
    session = cursor.connection
    if type(query) is not str:
        if isinstance(query, PreparedQuery):
            query, prepare = query.query, True
            if params is None:
                params = ()
        elif isinstance(query, bytes):
            query = query.decode("utf-8")
    if params is None and type(query) is str:
        cursor._reset()
        cursor._query = query
        exchange = yield from requests.request(session, query)
    else:
        cursor._reset()
        if isinstance(query, str):
            sql, param_set = cursor._bind(query, params)
        else:  # a ParsedQuery
            sql, param_set = query.sql, cursor._encode(query.bind(params))
        cursor._query = sql
        exchange = yield from requests.execute_params(session, sql, param_set, prepare)
    result = cursor._take_result(exchange)
    if result is not None:  # the decoders of new columns: their types discovered first
        decoders = yield from new_decoders(cursor, result.columns)  # type: ignore[arg-type]
        cursor._use_result(result, decoders)


def new_decoders(cursor: CursorState, columns: list[Column]) -> Operation[list[Decoder]]:
    """Decoders for ``columns``, the types the registry lacks discovered first."""
    yield from discover_types(cursor.connection, [c.type_oid for c in columns])
    return cursor._build_decoders(columns)


def executemany(
    cursor: CursorState, query: str | bytes, seq_of_params: Iterable[Any]
) -> Operation[None]:
    """Execute ``query`` once per parameter set, all in one round trip.

    The executions share one Sync: they succeed or fail together, and results are discarded
    (``rowcount`` is the total of affected rows).
    """
    cursor._check_usable()
    text = cursor._text(query)
    cursor._reset()
    from purepg import sql

    parsed = sql.parse(text, cursor.connection.standard_conforming_strings)
    encode_many = cursor.connection.registry.encode_many
    param_sets = encode_many(parsed.bind(params) for params in seq_of_params)
    if not param_sets:
        return
    cursor._query = parsed.sql
    exchange = yield from requests.request(
        cursor.connection, parsed.sql, param_sets, describe=False
    )
    cursor._take_counts(exchange.results)


def callproc(
    cursor: CursorState, procname: str, parameters: Sequence[Any]
) -> Operation[Sequence[Any]]:
    """Call a function with ``SELECT * FROM procname(...)``; returns the parameters."""
    placeholders = ", ".join(["%s"] * len(parameters))
    yield from execute(cursor, f"SELECT * FROM {procname}({placeholders})", list(parameters))
    return parameters


def file_sink(file: Any) -> Callable[[bytes], Any]:
    """Where COPY TO STDOUT data goes: ``file.write`` (text files get str)."""
    if isinstance(file, io.TextIOBase):
        text_file = file

        def write_text(data: bytes) -> Any:
            return text_file.write(data.decode("utf-8"))

        return write_text
    write: Callable[[bytes], Any] | None = getattr(file, "write", None)
    if write is not None:
        return write

    def refuse(data: bytes) -> Any:
        raise ProgrammingError("COPY TO STDOUT needs a file with a write() method")

    return refuse


def copy_expert(cursor: CursorState, sql: str, file: IO[Any], size: int) -> Operation[None]:
    """Run ``COPY ... FROM STDIN`` reading ``file`` or ``COPY ... TO STDOUT`` writing it.

    ``file`` needs only ``read`` for COPY FROM and only ``write`` for COPY TO."""
    cursor._check_usable()
    cursor._reset()
    source = copy_format.file_chunks(file, size) if hasattr(file, "read") else None
    exchange = yield from requests.request(
        cursor.connection, sql, copy_source=source, copy_sink=file_sink(file)
    )
    cursor._take_counts(exchange.results)


def copy_in(cursor: CursorState, sql: str, source: Any, size: int) -> Operation[int]:
    """Run ``COPY ... FROM STDIN`` with data from ``source``; returns the rows loaded.

    ``source`` is a file-like object (text or binary), bytes/str, or an iterable of bytes/str
    chunks or of rows (tuples/lists, formatted as COPY text with the codecs: tabs, newlines
    and backslashes escaped, None as ``\\N``; use the default text format then). If the
    source raises, the COPY is aborted (CopyFail: nothing is loaded) and its exception
    re-raised; the connection stays usable.
    """
    cursor._check_usable()
    cursor._reset()
    chunks = copy_format.chunks(source, cursor.connection.registry, size)
    exchange = yield from requests.request(cursor.connection, sql, copy_source=chunks)
    cursor._take_counts(exchange.results)
    return cursor.rowcount


def copy_from_table(
    table: str,
    sep: str = "\t",
    null: str = "\\N",
    size: int = 8192,
    columns: Sequence[str] | None = None,
) -> tuple[str, int]:
    """psycopg2's ``copy_from(file, table, sep, null, size, columns)`` (after ``file``) as a
    ``COPY ... FROM STDIN`` statement in text format, and the read size."""
    return copy_table_sql(table, columns, "FROM STDIN", sep, null), size


def copy_to_table(
    table: str, sep: str = "\t", null: str = "\\N", columns: Sequence[str] | None = None
) -> str:
    """psycopg2's ``copy_to(file, table, sep, null, columns)`` (after ``file``) as a
    ``COPY ... TO STDOUT`` statement in text format."""
    return copy_table_sql(table, columns, "TO STDOUT", sep, null)


def copy_table_sql(
    table: str, columns: Sequence[str] | None, direction: str, sep: str, null: str
) -> str:
    """A text-format COPY of ``table`` (``sep`` and ``null`` as quoted literals)."""
    from purepg.sql import quote_literal

    target = table if not columns else f"{table} ({', '.join(columns)})"
    delimiter, null_marker = quote_literal(sep, "sep"), quote_literal(null, "null")
    return f"COPY {target} {direction} WITH DELIMITER {delimiter} NULL {null_marker}"
