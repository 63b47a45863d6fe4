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

from purepg.sqlalchemy_dialect import PGDialect_purepg, _configure_connection

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

    def on_connect(self) -> Callable[[Any], None] | None:
        """``json_deserializer`` and the inet/cidr representation on either backend."""
        loads = self._json_deserializer
        inet_as_str = self._native_inet_types is not True
        if loads is None and not inet_as_str:
            return None

        def configure(dbapi_connection: Any) -> None:
            if hasattr(dbapi_connection, "registry"):
                _configure_connection(dbapi_connection, loads, inet_as_str)
            else:
                _configure_psycopg2(dbapi_connection, loads, inet_as_str)

        return configure


def _configure_psycopg2(
    dbapi_connection: Any, loads: Callable[[Any], Any] | None, inet_as_str: bool
) -> None:
    """The same settings through psycopg2's per-connection typecasters."""
    import psycopg2.extensions
    import psycopg2.extras

    if loads is not None:
        psycopg2.extras.register_default_json(dbapi_connection, loads=loads)
        psycopg2.extras.register_default_jsonb(dbapi_connection, loads=loads)
    if inet_as_str:

        def as_text(value: Any, cursor: Any) -> Any:
            return value

        caster = psycopg2.extensions.new_type((869, 650), "PGFACADE_INET_TEXT", as_text)
        psycopg2.extensions.register_type(caster, dbapi_connection)


dialect = PGDialect_pgfacade
