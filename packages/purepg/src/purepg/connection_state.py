"""What a connection knows without doing I/O, shared by the blocking `Connection` and the asyncio
`AsyncConnection`: open/broken state, the server's reported status and parameters, and the
notices and notifications the machine received."""

from __future__ import annotations

from typing import TYPE_CHECKING

from purepg.errors import Error, InterfaceError
from purepg.protocol import flow
from purepg.protocol.machine import FAILED

if TYPE_CHECKING:
    from typing import Protocol

    from purepg.protocol.machine import Machine
    from purepg.protocol.messages import Notification

    class _Transport(Protocol):
        """What the state needs of a transport (blocking or asyncio)."""

        @property
        def closed(self) -> bool: ...


def lost_during_commit(error: Error) -> Error:
    """``error`` (same class, same fields) saying that the connection was lost during COMMIT,
    so the transaction may or may not have been committed (pgfacade's psycopg2 backend says
    the same)."""
    text = (
        f"the connection was lost during COMMIT: the transaction may or may not have been "
        f"committed ({error})"
    )
    return type(error)(text, fields=error.fields)


class ConnectionState:
    """State every connection shares; subclasses set the attributes in ``__init__``."""

    _machine: Machine
    _transport: _Transport
    _closed: bool
    notices: list[str]
    notifies: list[Notification]

    @property
    def closed(self) -> int:
        """0 while usable, 1 after ``close()``, 2 when the connection broke (as psycopg2)."""
        if self._closed:
            return 1
        if self._transport.closed or self._machine.phase == FAILED:
            return 2
        return 0

    def _commit_failure(self, error: Error) -> Error:
        """``error`` of a COMMIT; when the connection broke meanwhile the server may have
        committed, and the error says so (libpq does not; a retry could write twice)."""
        if not (self._transport.closed or self._machine.phase == FAILED):
            return error  # the server answered: the transaction was not committed
        return lost_during_commit(error)

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError("connection already closed")
        if self._transport.closed or self._machine.phase == FAILED:
            raise InterfaceError("the connection is broken and was closed")

    @property
    def transaction_status(self) -> str:
        """The server's last reported status: "I" idle, "T" in a transaction, "E" failed."""
        return self._machine.transaction_status

    @property
    def backend_pid(self) -> int | None:
        """The server process id of this session."""
        return self._machine.backend_pid

    @property
    def parameters(self) -> dict[str, str]:
        """Every parameter the server reported (a copy)."""
        return dict(self._machine.parameters)

    def _collect_messages(self) -> None:
        machine = self._machine
        if machine.notices or machine.notifications:
            flow.collect_messages(machine, self.notices, self.notifies)
