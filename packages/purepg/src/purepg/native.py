"""A small pg8000-style API: ``conn.run(sql, **params)`` with ``:name`` placeholders, a layer
over the public DB-API.

``purepg.native.connect(...)`` opens an autocommit connection (as ``pg8000.native`` does);
``run`` returns the rows as lists (None for statements without rows) and sets
``conn.columns`` (one dict per column: ``name``, ``type_oid``, ...) and ``conn.row_count``.
Placeholders are parsed like ``purepg.sql`` does: never inside literals, quoted
identifiers, comments or ``::`` casts. Statements run through the prepared-statement cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from purepg.errors import ProgrammingError

if TYPE_CHECKING:
    from purepg.aio import AsyncConnection
    from purepg.connection import Connection
    from purepg.core.cursor_state import CursorState
    from purepg.core.session import Session


def connect(dsn: str | None = None, **params: Any) -> Connection:
    """``purepg.connect`` in autocommit mode, ready for ``run``."""
    import purepg

    connection = purepg.connect(dsn, **params)
    connection.autocommit = True
    return connection


def run(connection: Connection, sql: str, params: dict[str, Any]) -> list[list[Any]] | None:
    """Run ``sql`` with ``:name`` parameters on ``connection``; see the module docstring."""
    query, args = bound_query(sql, params, connection.standard_conforming_strings)
    with connection.cursor() as cursor:
        cursor.execute(query, args)
        rows = cursor.fetchall() if cursor.description is not None else None
        return take_result(connection, cursor, rows)


async def run_async(
    connection: AsyncConnection, sql: str, params: dict[str, Any]
) -> list[list[Any]] | None:
    """``run`` on an asyncio connection."""
    query, args = bound_query(sql, params, connection.standard_conforming_strings)
    async with connection.cursor() as cursor:
        await cursor.execute(query, args)
        rows = await cursor.fetchall() if cursor.description is not None else None
        return take_result(connection, cursor, rows)


def bound_query(
    sql: str, params: dict[str, Any], standard_strings: bool = True
) -> tuple[Any, dict[str, Any] | None]:
    """What ``cursor.execute`` runs for ``sql`` and its ``:name`` parameters: the parsed
    query with the parameters, or the text as-is (simple protocol) when it has none."""
    from purepg import sql as sql_module

    parsed = sql_module.parse_colon(sql, standard_strings)
    names = parsed.names or ()
    unused = [name for name in params if name not in names]
    if unused:
        listed = ", ".join(repr(name) for name in unused)
        raise ProgrammingError(f"parameters not used by the query: {listed}")
    if not names:
        return sql, None
    return parsed, params  # a missing parameter is a ProgrammingError when bound


def take_result(
    connection: Session, cursor: CursorState, rows: list[tuple[Any, ...]] | None
) -> list[list[Any]] | None:
    """The rows as lists (None without a result); ``connection.columns`` and
    ``row_count`` set from the cursor."""
    connection.row_count = cursor.rowcount
    if rows is None:
        connection.columns = None
        return None
    connection.columns = [
        {
            "name": column.name,
            "table_oid": column.table_oid,
            "column_attrnum": column.column_number,
            "type_oid": column.type_oid,
            "type_size": column.type_size,
            "type_modifier": column.type_modifier,
            "format": column.format,
        }
        for column in cursor.column_details
    ]
    return [list(row) for row in rows]
