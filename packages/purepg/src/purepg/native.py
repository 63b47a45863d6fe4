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
    from purepg.connection import Connection


def connect(dsn: str | None = None, **params: Any) -> Connection:
    """``purepg.connect`` in autocommit mode, ready for ``run``."""
    import purepg

    connection = purepg.connect(dsn, **params)
    connection.autocommit = True
    return connection


def run(connection: Connection, sql: str, params: dict[str, Any]) -> list[list[Any]] | None:
    """Run ``sql`` with ``:name`` parameters on ``connection``; see the module docstring."""
    from purepg import sql as sql_module

    parsed = sql_module.parse_colon(sql)
    names = parsed.names or ()
    unused = [name for name in params if name not in names]
    if unused:
        listed = ", ".join(repr(name) for name in unused)
        raise ProgrammingError(f"parameters not used by the query: {listed}")
    with connection.cursor() as cursor:
        if names:
            cursor.execute(parsed, params)  # a missing parameter is a ProgrammingError
        else:
            cursor.execute(sql)
        connection.row_count = cursor.rowcount
        if cursor.description is None:
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
        return [list(row) for row in cursor.fetchall()]
