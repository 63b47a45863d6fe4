"""The clients of the high-availability tests: every driver of the conformance suite.

A test only needs to connect, run a statement, commit and close; ``Client`` offers exactly that.
``purepg-aio`` is one of them: the conformance driver runs ``purepg.aio`` on an event loop.
"""

from __future__ import annotations

from typing import Any

from tests.conformance.drivers import load_driver


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


class Client:
    """How one driver connects; ``name`` is a ``--drivers`` name."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.driver = load_driver(name)

    @property
    def module(self) -> Any:
        """The module whose exception classes the client raises (DB-API names)."""
        return self.driver.module

    def connect(self, **params: Any) -> Session:
        """A session with libpq keywords, as the driver's ``connect`` takes them."""
        return Session(self.driver.connect(**params))
