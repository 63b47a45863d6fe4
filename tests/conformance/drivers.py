"""The drivers under test, behind one small interface the conformance tests are written against.

A ``Driver`` is a DB-API module plus how to connect with it, and the few operations that the
DB-API leaves to each driver (SQLSTATE of an exception, COPY, notifications). Tests never touch
driver-specific API directly: they call these methods, so every driver runs the same tests.
"""

from __future__ import annotations

import functools
import importlib
import select
import time
from dataclasses import dataclass
from types import ModuleType
from typing import IO, Any, Callable

PSYCOPG2 = "psycopg2"
PUREPG = "purepg"
PGFACADE_PSYCOPG2 = "pgfacade-psycopg2"
PGFACADE_PUREPG = "pgfacade-purepg"
PUREPG_AIO = "purepg-aio"
"""``purepg.aio`` run blocking by ``tests.conformance.aio_adapter`` (module: ``purepg``)."""
DRIVER_NAMES: tuple[str, ...] = (PSYCOPG2, PUREPG, PUREPG_AIO, PGFACADE_PSYCOPG2, PGFACADE_PUREPG)
PUREPG_FAMILY: tuple[str, ...] = (PUREPG, PUREPG_AIO, PGFACADE_PUREPG)
"""The drivers whose client side is purepg (its auth, TLS, GSSAPI, messages)."""

NOTIFY_TIMEOUT = 10.0
"""How long ``Driver.wait_for_notifies`` waits before giving up (a limit, never asserted)."""


class DriverUnavailableError(Exception):
    """The driver cannot be imported, or has no ``connect`` yet: its tests are skipped."""


@dataclass(frozen=True)
class Notification:
    """One NOTIFY as received by a listening connection, whatever the driver's own type."""

    channel: str
    payload: str
    pid: int


@dataclass(frozen=True)
class Driver:
    """One driver under test: its DB-API module and how to connect with it."""

    name: str
    module: ModuleType
    """The DB-API 2.0 module: globals, type objects, constructors, exception classes."""
    connect_function: Callable[..., Any]

    def connect(self, **params: Any) -> Any:
        """Connect with libpq keyword arguments."""
        return self.connect_function(**params)

    @property
    def uses_purepg(self) -> bool:
        """purepg talks to the server: purepg itself, its asyncio API or pgfacade over it."""
        return self.name in PUREPG_FAMILY

    @property
    def is_raw_psycopg2(self) -> bool:
        """psycopg2 itself, without pgfacade's normalisation of types and errors."""
        return self.name == PSYCOPG2

    def sqlstate(self, exc: BaseException) -> str | None:
        """SQLSTATE of a database error (psycopg2: ``pgcode``; purepg, pgfacade: ``sqlstate``)."""
        if self.is_raw_psycopg2:
            return getattr(exc, "pgcode", None)
        return getattr(exc, "sqlstate", None)

    def copy_expert(self, cursor: Any, sql: str, file: IO[Any]) -> None:
        """Run ``COPY ... FROM STDIN`` reading ``file`` or ``COPY ... TO STDOUT`` writing it.

        Every driver offers psycopg2's ``cursor.copy_expert(sql, file)``.
        """
        cursor.copy_expert(sql, file)

    def wait_for_notifies(self, conn: Any, timeout: float = NOTIFY_TIMEOUT) -> list[Notification]:
        """Wait until ``conn`` has received at least one notification, then drain them all.

        psycopg2 style, offered by every driver: ``conn.poll()`` reads what the server sent,
        ``conn.notifies`` is a list of objects with ``channel``, ``payload`` and ``pid``.
        Returns an empty list after ``timeout`` seconds without a notification.
        """
        deadline = time.monotonic() + timeout
        while True:
            conn.poll()
            if conn.notifies:
                received = [
                    Notification(channel=n.channel, payload=n.payload, pid=n.pid)
                    for n in conn.notifies
                ]
                conn.notifies.clear()
                return received
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            select.select([conn], [], [], min(remaining, 0.5))


def _import(module_name: str, driver_name: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise DriverUnavailableError(f"{driver_name}: cannot import {module_name}: {exc}") from exc


def _require_connect(module: ModuleType, driver_name: str) -> Callable[..., Any]:
    connect = getattr(module, "connect", None)
    if not callable(connect):
        raise DriverUnavailableError(f"{driver_name}: {module.__name__}.connect does not exist yet")
    return connect


@functools.cache
def load_driver(name: str) -> Driver:
    """The driver called ``name``.

    Raises ``DriverUnavailableError`` (with the reason) or, for an unknown name, ``ValueError``.
    """
    if name == PSYCOPG2:
        module = _import("psycopg2", name)
        # psycopg2.extras defines the Range and Json types the type table refers to.
        _import("psycopg2.extras", name)
        return Driver(name, module, _require_connect(module, name))
    if name == PUREPG:
        module = _import("purepg", name)
        return Driver(name, module, _require_connect(module, name))
    if name == PUREPG_AIO:
        _require_connect(_import("purepg.aio", name), name)
        from tests.conformance import aio_adapter

        return Driver(name, _import("purepg", name), aio_adapter.connect)
    if name in (PGFACADE_PSYCOPG2, PGFACADE_PUREPG):
        backend = name.split("-", 1)[1]
        _require_connect(_import(backend, name), name)
        module = _import("pgfacade", name)
        facade_connect = _require_connect(module, name)
        return Driver(name, module, functools.partial(facade_connect, driver=backend))
    raise ValueError(f"unknown driver {name!r}; known: {', '.join(DRIVER_NAMES)}")


def parse_driver_names(text: str) -> list[str]:
    """``"psycopg2,purepg"`` -> the names, checked; an unknown name raises ``ValueError``."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in DRIVER_NAMES]
    if unknown:
        raise ValueError(
            f"unknown driver(s) {', '.join(unknown)}; known: {', '.join(DRIVER_NAMES)}"
        )
    return names
