"""LISTEN/NOTIFY: reading what the server sent meanwhile, waiting for a notification."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from purepg.core.operation import Receive

if TYPE_CHECKING:
    from purepg.core.operation import Operation
    from purepg.core.session import Session
    from purepg.protocol.messages import Notification


def poll(session: Session) -> Operation[int]:
    """Process what the server sent meanwhile (notifications, notices), without waiting;
    returns 0 (psycopg2's POLL_OK)."""
    session._check_open()
    try:
        yield Receive(0)
    finally:
        session._collect_messages()
    return 0


def wait_notify(session: Session, timeout: float | None) -> Operation[Notification | None]:
    """The oldest notification not taken yet, waiting up to ``timeout`` seconds for one (None:
    forever); None when none arrived. It waits on the socket, not by polling in a loop."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        yield from poll(session)
        if session.notifies:
            return session.notifies.pop(0)
        remaining = None
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
        try:
            yield Receive(remaining)
        finally:
            session._collect_messages()
