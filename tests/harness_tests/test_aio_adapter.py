"""The ``purepg-aio`` conformance driver: asyncio objects seen as blocking DB-API objects."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from tests.conformance.aio_adapter import Blocking, LoopRunner
from tests.conformance.drivers import DRIVER_NAMES, PUREPG, PUREPG_AIO, parse_driver_names
from tests.conformance.expectations import Differs, Expectation

WAIT_LIMIT = 10.0
"""How long a step of the threaded test may take before it fails (never reached when it works)."""


class AsyncCursor:
    """Just enough of an asyncio cursor: a coroutine, ``async for``, ``async with``."""

    def __init__(self) -> None:
        self.rows = [(1,), (2,)]
        self.executed: list[str] = []
        self.closed = False

    async def execute(self, sql: str) -> None:
        await asyncio.sleep(0)
        self.executed.append(sql)

    def __aiter__(self) -> AsyncCursor:
        return self

    async def __anext__(self) -> tuple[int]:
        if not self.rows:
            raise StopAsyncIteration
        return self.rows.pop(0)

    async def __aenter__(self) -> AsyncCursor:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.closed = True


class AsyncConnection:
    """Just enough of an asyncio connection: cursors, ``set_session``, a wait to cancel."""

    def __init__(self) -> None:
        self.autocommit = False
        self.session: dict[str, Any] = {}
        self.waiting = threading.Event()
        self.cancelled: asyncio.Event | None = None

    def cursor(self) -> AsyncCursor:
        return AsyncCursor()

    async def set_session(self, **settings: Any) -> None:
        self.session.update(settings)

    async def wait_until_cancelled(self) -> str:
        self.cancelled = asyncio.Event()
        self.waiting.set()
        await asyncio.wait_for(self.cancelled.wait(), WAIT_LIMIT)
        return "cancelled"

    async def cancel(self) -> None:
        assert self.cancelled is not None
        self.cancelled.set()

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        pass


@pytest.fixture
def conn() -> Any:
    return Blocking(AsyncConnection(), LoopRunner())


def test_purepg_aio_is_a_driver_of_the_default_set():
    assert parse_driver_names(PUREPG_AIO) == [PUREPG_AIO]
    assert PUREPG_AIO in DRIVER_NAMES


def test_purepg_aio_is_held_to_the_differences_stated_for_purepg():
    expectation = Expectation(1, 1, {PUREPG: Differs("stated for purepg", expected=2)})

    assert expectation.for_driver(PUREPG_AIO) == (1, 2)


def test_a_coroutine_method_runs_to_completion():
    cursor = Blocking(AsyncCursor(), LoopRunner())

    cursor.execute("SELECT 1")

    assert cursor.executed == ["SELECT 1"]


def test_async_with_and_async_for_become_with_and_for(conn):
    with conn as entered, conn.cursor() as cursor:
        rows = list(cursor)

    assert entered is conn
    assert rows == [(1,), (2,)]
    assert cursor.closed


def test_an_attribute_of_the_asyncio_object_is_set_on_it(conn):
    conn.autocommit = True

    assert conn.autocommit is True


def test_an_attribute_the_asyncio_object_lacks_is_refused_naming_it(conn):
    with pytest.raises(AttributeError, match="no attribute 'autocomit'"):
        conn.autocomit = True


def test_a_session_setting_without_an_asyncio_setter_goes_through_set_session(conn):
    conn.readonly = True

    assert conn.session == {"readonly": True}


def test_another_thread_can_cancel_while_the_connection_waits(conn):
    def cancel_once_waiting() -> None:
        if conn.waiting.wait(WAIT_LIMIT):
            conn.cancel()

    canceller = threading.Thread(target=cancel_once_waiting)
    canceller.start()
    try:
        assert conn.wait_until_cancelled() == "cancelled"
    finally:
        canceller.join(WAIT_LIMIT)
