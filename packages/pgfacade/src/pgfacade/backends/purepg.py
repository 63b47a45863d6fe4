"""The purepg backend: purepg already follows the facade's contract, so this only connects."""

from __future__ import annotations

import purepg

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

NAME = "purepg"


def connect(
    params: dict[str, str], *, pooler_safe: bool, socket_timeout: float | None = None
) -> Any:
    """``purepg.connect(**params)``; in pooler-safe mode without named prepared statements.

    ``socket_timeout`` is purepg's own: a request not answered that long fails."""
    extra: dict[str, Any] = {}
    if socket_timeout is not None:
        extra["socket_timeout"] = socket_timeout
    if pooler_safe:
        extra["statement_cache_size"] = 0  # no named prepared statements
    connect_purepg: Any = purepg.connect
    try:
        return connect_purepg(**params, **extra)
    except Exception as exc:  # a server may echo the password or token in its error text
        from ..redaction import without_secrets

        redacted = without_secrets(exc, [params.get("password", ""), params.get("sslpassword", "")])
        if redacted is None:
            raise
    raise redacted  # outside the handler: the original is neither the cause nor the context


def parse_dsn(dsn: str) -> dict[str, str]:
    """purepg's libpq-compatible parse of a conninfo string or URI."""
    from purepg import conninfo, errors

    try:
        return dict(conninfo.parse_dsn(dsn))
    except errors.Error as exc:
        from ..redaction import dsn_secrets, without_secrets

        redacted = without_secrets(exc, dsn_secrets(dsn))
        if redacted is None:
            raise
    raise redacted  # outside the handler: the original is neither the cause nor the context


_STATUS_NAMES = {"I": "idle", "T": "intrans", "E": "inerror"}


def transaction_status(connection: Any) -> str:
    """``idle``, ``intrans``, ``inerror`` or ``unknown`` (no round trip)."""
    return _STATUS_NAMES.get(str(connection.transaction_status), "unknown")


def configure_for_sqlalchemy(
    connection: Any, loads: Callable[[Any], Any] | None, inet_as_str: bool
) -> None:
    """SQLAlchemy's ``json_deserializer`` and inet/cidr representation: purepg's dialect's."""
    from purepg.sqlalchemy_dialect import configure_registry

    configure_registry(connection.registry, loads, inet_as_str)


def details() -> dict[str, Any]:
    """Version facts for ``driver_info()``."""
    return {"version": getattr(purepg, "__version__", None), "file": purepg.__file__}
