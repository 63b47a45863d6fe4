"""Backends: each makes one driver follow the facade's contract (types, errors, paramstyle).

Every difference between the drivers lives here, behind `Backend`: the module functions each
backend module (`psycopg2`, `purepg`) defines, used by `pgfacade.connecting`, `driver_info` and
the SQLAlchemy dialect."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: this package is on the cold-start path
    from collections.abc import Callable
    from typing import Any, Protocol

    class Backend(Protocol):
        """What a backend module provides."""

        NAME: str

        def connect(
            self, params: dict[str, str], *, pooler_safe: bool, socket_timeout: float | None = None
        ) -> Any:
            """A new connection following the facade's contract."""

        def parse_dsn(self, dsn: str) -> dict[str, str]:
            """The keywords of a conninfo string or URI."""

        def transaction_status(self, connection: Any) -> str:
            """``idle``, ``active``, ``intrans``, ``inerror`` or ``unknown`` (no round trip)."""

        def details(self) -> dict[str, Any]:
            """Version facts for ``driver_info()``."""

        def configure_for_sqlalchemy(
            self, connection: Any, loads: Callable[[Any], Any] | None, inet_as_str: bool
        ) -> None:
            """SQLAlchemy's ``json_deserializer`` and inet/cidr representation."""


def backend_of(connection: object) -> Backend:
    """The backend whose `connect` returned ``connection``."""
    psycopg2_backend = sys.modules.get("pgfacade.backends.psycopg2")
    if psycopg2_backend is not None and isinstance(connection, psycopg2_backend.Connection):
        return psycopg2_backend
    from . import purepg

    return purepg
