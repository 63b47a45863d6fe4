"""The clients of the high-availability tests: every DB-API driver and ``purepg.aio``.

A test only needs to connect, run a statement, commit and close; ``Client`` offers exactly that,
so that the asyncio driver (run on a private event loop) takes the same tests as the others.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conformance.drivers import PUREPG, Driver, load_driver

PUREPG_AIO = "purepg-aio"


class Session:
    """One open connection of a client, transactions not in autocommit."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` (none for a statement without a result)."""
        with self.connection.cursor() as cursor:
            cursor.execute(sql, args or None)
            return list(cursor.fetchall()) if cursor.description else []

    def commit(self) -> None:
        """COMMIT the transaction."""
        self.connection.commit()

    def close(self) -> None:
        """Close the connection (quietly if it is already broken)."""
        self.connection.close()


class AsyncSession(Session):
    """A ``purepg.aio`` connection driven on the client's own event loop."""

    def __init__(self, connection: Any, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(connection)
        self.loop = loop

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        async def run() -> list[tuple[Any, ...]]:
            cursor = self.connection.cursor()
            await cursor.execute(sql, args or None)
            rows = await cursor.fetchall() if cursor.description else []
            await cursor.close()
            return list(rows)

        return self.loop.run_until_complete(run())

    def commit(self) -> None:
        self.loop.run_until_complete(self.connection.commit())

    def close(self) -> None:
        self.loop.run_until_complete(self.connection.close())


class Client:
    """How one driver connects; ``name`` is a ``--drivers`` name or ``purepg-aio``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.driver: Driver | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        if name == PUREPG_AIO:
            self.loop = asyncio.new_event_loop()
        else:
            self.driver = load_driver(name)

    @property
    def module(self) -> Any:
        """The module whose exception classes the client raises (DB-API names)."""
        if self.driver is not None:
            return self.driver.module
        import purepg

        return purepg

    def connect(self, **params: Any) -> Session:
        """A session with libpq keywords, as the driver's ``connect`` takes them."""
        if self.loop is not None:
            import purepg.aio

            connection = self.loop.run_until_complete(purepg.aio.connect(**params))
            return AsyncSession(connection, self.loop)
        assert self.driver is not None
        return Session(self.driver.connect(**params))

    def close(self) -> None:
        """Release the client's event loop, if it has one."""
        if self.loop is not None:
            self.loop.close()


def client_names(drivers: list[str]) -> list[str]:
    """The selected drivers, plus ``purepg-aio`` when ``purepg`` is selected."""
    return [*drivers, PUREPG_AIO] if PUREPG in drivers else list(drivers)
