"""What an operation is: a generator that yields the I/O it needs and receives the answer.

::

    def commit(session) -> Operation[None]:
        session.machine_queues_something()
        done = yield Run(machine)      # the transport drives the machine: answered requests
        ...
        return result

A transport's ``wait(operation)`` sends each step's answer back (or throws the step's error
into the generator, so that its ``finally`` and ``except`` clauses run) until it returns.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, TypeVar, Union

if TYPE_CHECKING:
    from purepg.protocol.flow import Run

T = TypeVar("T")


class Receive:
    """Wait up to ``timeout`` seconds (None: forever; 0: no wait) for bytes from the server
    and process them (notifications, notices); the answer is True when something came."""

    __slots__ = ("timeout",)

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout


Step = Union["Run", Receive]
Operation = Generator[Step, Any, T]
"""An operation returning ``T``: it yields steps and receives their answers."""
