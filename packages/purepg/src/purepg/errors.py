"""The DB-API 2.0 exception hierarchy, with PostgreSQL diagnostics on every database error.

This module is deliberately light (no other purepg imports) so that pgfacade can re-export the
same classes without importing the driver.
"""

from __future__ import annotations

from collections.abc import Mapping


class Warning(Exception):  # noqa: A001 - the DB-API name
    """Important warnings such as data truncation (DB-API)."""


class Error(Exception):
    """Base class of every purepg error (DB-API).

    Database errors raised from a server ErrorResponse carry its fields: ``sqlstate`` (also as
    ``pgcode``, the psycopg2 name), ``severity``, ``message``, ``detail``, ``hint`` and the rest
    in ``diag``.
    """

    def __init__(self, message: str = "", *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})

    @property
    def sqlstate(self) -> str | None:
        """The five-character SQLSTATE code, when the server sent one."""
        return self.fields.get("C")

    @property
    def pgcode(self) -> str | None:
        """Alias of ``sqlstate`` under psycopg2's name."""
        return self.sqlstate

    @property
    def message(self) -> str:
        """The primary message: the server's, else the one given when raised."""
        return self.fields.get("M") or (str(self.args[0]) if self.args else "")

    @property
    def severity(self) -> str | None:
        """ERROR, FATAL or PANIC (non-localised when the server sent it)."""
        return self.fields.get("V") or self.fields.get("S")

    @property
    def detail(self) -> str | None:
        """The server's DETAIL line."""
        return self.fields.get("D")

    @property
    def hint(self) -> str | None:
        """The server's HINT line."""
        return self.fields.get("H")


class InterfaceError(Error):
    """An error of the driver itself rather than the database (DB-API)."""


class DatabaseError(Error):
    """An error related to the database (DB-API)."""


class DataError(DatabaseError):
    """Problems with the processed data: division by zero, out of range values (DB-API)."""


class OperationalError(DatabaseError):
    """The database's operation failed: lost connection, authentication, timeouts (DB-API)."""


class IntegrityError(DatabaseError):
    """Relational integrity violated: unique, foreign key, check constraints (DB-API)."""


class InternalError(DatabaseError):
    """The database hit an internal error, e.g. an invalid transaction state (DB-API)."""


class ProgrammingError(DatabaseError):
    """Programming errors: syntax, missing table, wrong number of parameters (DB-API)."""


class NotSupportedError(DatabaseError):
    """A method or database feature that is not supported (DB-API)."""


__all__ = [
    "DataError",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Warning",
]
