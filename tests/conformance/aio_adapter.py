"""``purepg.aio`` as a blocking DB-API driver, so that the asyncio API takes the same tests.

``connect()`` opens a ``purepg.aio`` connection and returns a ``Blocking`` view of it. The view
forwards every attribute to the asyncio object; a call whose result is awaitable runs to
completion; async iterators and async context managers become plain ones; an asyncio object
returned (a cursor, a stream) gets a view of its own. Nothing is written per method: whatever
``purepg.aio`` offers, the view offers blocking, under the same name.

Each connection owns its event loop. The asyncio objects of a connection (streams, locks)
belong to the loop they were created on, and blocking connections are used like psycopg2's:
two of them at once from two threads, or ``cancel()`` from another thread while one waits.
One loop shared by the driver could run only one of those at a time.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import weakref
from collections.abc import Awaitable
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

SESSION_SETTINGS = ("isolation_level", "readonly", "deferrable")
"""Connection attributes whose asyncio form is ``await conn.set_session(name=value)``."""


class LoopRunner:
    """The private event loop of one connection; closed when nothing uses it any more."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        weakref.finalize(self, self.loop.close)

    def run(self, awaitable: Awaitable[T]) -> T:
        """Run ``awaitable`` to completion on the loop and return its result (or raise)."""
        if self.loop.is_running():  # another thread is in a call of this connection
            return asyncio.run_coroutine_threadsafe(_awaited(awaitable), self.loop).result()
        return self.loop.run_until_complete(_awaited(awaitable))


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


def is_asyncio_object(value: Any) -> bool:
    """Whether ``value`` is used with ``async with`` or ``async for`` (it then needs a view)."""
    return hasattr(value, "__aenter__") or hasattr(value, "__aiter__")


class Blocking:
    """A blocking view of an asyncio object of ``purepg.aio``, run on its connection's loop."""

    __slots__ = ("_runner", "_target")

    _target: Any
    _runner: LoopRunner

    def __init__(self, target: Any, runner: LoopRunner) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_runner", runner)

    def _result(self, value: Any) -> Any:
        """A call's result as a blocking caller sees it: awaited, and viewed if asyncio."""
        if inspect.isawaitable(value):
            value = self._runner.run(value)
        if value is self._target:
            return self
        return Blocking(value, self._runner) if is_asyncio_object(value) else value

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if isinstance(value, type) or not callable(value):
            return Blocking(value, self._runner) if is_asyncio_object(value) else value

        @functools.wraps(value)
        def blocking_call(*args: Any, **kwargs: Any) -> Any:
            return self._result(value(*args, **kwargs))

        return blocking_call

    def __setattr__(self, name: str, value: Any) -> None:
        """Set an attribute the asyncio object has; a session setting without a setter there
        (``readonly``...) goes through ``set_session``, as ``purepg.aio`` asks."""
        try:
            if not hasattr(self._target, name):
                raise AttributeError(f"{type(self._target).__name__} has no attribute {name!r}")
            setattr(self._target, name, value)
        except AttributeError:
            if name not in SESSION_SETTINGS:
                raise
            self._result(self._target.set_session(**{name: value}))

    def __repr__(self) -> str:
        return f"Blocking({self._target!r})"

    def __enter__(self) -> Any:
        return self._result(self._target.__aenter__())

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Any:
        return self._runner.run(self._target.__aexit__(exc_type, exc, traceback))

    def __iter__(self) -> Any:
        return self._result(self._target.__aiter__())

    def __next__(self) -> Any:
        try:
            return self._result(self._target.__anext__())
        except StopAsyncIteration:
            raise StopIteration from None


def connect(**params: Any) -> Blocking:
    """``purepg.aio.connect(**params)`` on a new loop: a blocking view of the connection."""
    import purepg.aio

    runner = LoopRunner()
    return Blocking(runner.run(purepg.aio.connect(**params)), runner)
