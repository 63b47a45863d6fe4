"""SQLAlchemy 2 dialect ``postgresql+pgfacade://``: connections from `pgfacade.connect`.

The same dialect as ``postgresql+purepg://`` (pgfacade returns purepg's Python types whichever
backend runs), with pgfacade's options in the URL query: ``driver=psycopg2|purepg``,
``secret_id=...``, ``iam_auth=true``, ``region=...``, ``pooler_safe=true``; every other query
parameter is a libpq keyword. ``DATABASE_URL`` and PG* variables fill in what the URL leaves
out. Pass ``connect_args={"reuse": True}`` or use a pool with ``pool_pre_ping`` in Lambda.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable

from purepg.sqlalchemy_dialect import PGDialect_purepg

from .backends import backend_of

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import ConnectArgsType
    from sqlalchemy.engine.url import URL

_BOOLEAN_OPTIONS = ("iam_auth", "pooler_safe", "reuse")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"the URL parameter {key!r} must be true or false, not {value!r}")


class PGDialect_pgfacade(PGDialect_purepg):  # noqa: N801 - SQLAlchemy's naming of dialect classes
    """``postgresql+pgfacade://``."""

    driver = "pgfacade"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        import pgfacade

        return pgfacade

    def create_connect_args(self, url: URL) -> ConnectArgsType:
        """As ``postgresql+purepg://``, with ``iam_auth``, ``pooler_safe`` and ``reuse`` read
        as booleans."""
        args, kwargs = super().create_connect_args(url)
        for key in _BOOLEAN_OPTIONS:
            if key in kwargs:
                kwargs[key] = _boolean(key, kwargs[key])
        return (args, kwargs)

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        """An empty statement does nothing on either backend (psycopg2 refuses to send one;
        purepg sends it and the server answers with no result)."""
        if statement:
            super().do_execute(cursor, statement, parameters, context)  # type: ignore[no-untyped-call]

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        """As `do_execute`."""
        if statement:
            super().do_execute_no_params(cursor, statement, context)  # type: ignore[no-untyped-call]

    def configure_connection(
        self, dbapi_connection: Any, loads: Callable[[Any], Any] | None, inet_as_str: bool
    ) -> None:
        """``json_deserializer`` and the inet/cidr representation, by the connection's backend."""
        backend_of(dbapi_connection).configure_for_sqlalchemy(dbapi_connection, loads, inet_as_str)

    def is_idle(self, dbapi_connection: Any) -> bool:
        """No transaction is open on ``dbapi_connection`` (no round trip)."""
        return backend_of(dbapi_connection).transaction_status(dbapi_connection) == "idle"


dialect = PGDialect_pgfacade
