"""The purepg backend: purepg already follows the facade's contract, so this only connects."""

from __future__ import annotations

import purepg

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

NAME = "purepg"
# purepg's knob for its prepared statement cache, turned to 0 in pooler-safe mode.
_STATEMENT_CACHE_KEYWORDS = ("statement_cache_size", "prepared_statement_cache_size")


def connect(
    params: dict[str, str], *, pooler_safe: bool, socket_timeout: float | None = None
) -> Any:
    """``purepg.connect(**params)``; in pooler-safe mode without named prepared statements.

    ``socket_timeout`` is purepg's own: a read or write that waits longer fails."""
    extra: dict[str, Any] = {}
    if socket_timeout is not None:
        extra["socket_timeout"] = socket_timeout
    if pooler_safe:
        import inspect  # only here: a slow import, not needed on the common path

        accepted = inspect.signature(purepg.connect).parameters
        for keyword in _STATEMENT_CACHE_KEYWORDS:
            if keyword in accepted:
                extra[keyword] = 0
    connect_purepg: Any = purepg.connect
    return connect_purepg(**params, **extra)


def parse_dsn(dsn: str) -> dict[str, str]:
    """purepg's libpq-compatible parse of a conninfo string or URI."""
    from purepg import conninfo, errors

    try:
        parsed: dict[str, str] = conninfo.parse_dsn(dsn)
    except errors.Error as exc:
        from ..redaction import contains_secret, dsn_secrets, redact

        secrets = dsn_secrets(dsn)
        if not contains_secret(str(exc), secrets):
            raise
        raise type(exc)(redact(str(exc), secrets), fields=exc.fields) from None
    return parsed


_STATUS_NAMES = {"I": "idle", "T": "intrans", "E": "inerror"}


def transaction_status(connection: Any) -> str:
    """``idle``, ``intrans``, ``inerror`` or ``unknown`` (no round trip)."""
    return _STATUS_NAMES.get(str(connection.transaction_status), "unknown")


def details() -> dict[str, Any]:
    """Version facts for ``driver_info()``."""
    return {"version": getattr(purepg, "__version__", None), "file": purepg.__file__}
