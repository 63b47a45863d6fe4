"""Transport-neutral flows: what to send for a request, and the loop that drives the machine
until the request is answered. The blocking and asyncio transports both run this loop; they
only move the bytes it asks for (h11 style: the core decides, the transport does I/O).

A transport drives a ``Run`` like this::

    run = Run(machine, copy_source, copy_sink, pause)
    while True:
        write(machine.data_to_send())
        action = run.advance()
        if action is READ:
            write(machine.data_to_send())
            machine.receive_data(read())
        elif action is not WRITE:
            break                       # DONE or PAUSED: run.done holds the answered requests
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableSequence, Sequence
from typing import TYPE_CHECKING, Any, Callable

from purepg.errors import Error, OperationalError
from purepg.protocol import client_encoding, messages
from purepg.protocol.auth import Authenticator
from purepg.protocol.machine import (
    BUSY,
    FAILED,
    NEED_DATA,
    NOTICES_KEPT,
    CopyInRequested,
    CopyOutData,
    Exchange,
    Machine,
    ParamSet,
    ReadyForQuery,
    Suspended,
)

if TYPE_CHECKING:
    from purepg.conninfo import ConnectParams, HostAddress
    from purepg.errors import Error
    from purepg.protocol.messages import Notification

READ = "read"
"""The machine needs bytes from the server (flush what is queued first)."""
WRITE = "write"
"""A large batch of COPY FROM STDIN data is queued: flush it, then advance again."""
DONE = "done"
"""Every queued request is answered."""
PAUSED = "paused"
"""A streaming batch is ready or the COPY TO STDOUT consumer asked to pause."""

COPY_BATCH = 256 * 1024
"""COPY FROM STDIN data queued before the transport is asked to write it."""


class Run:
    """One drive of the machine until its queued requests are answered (or a pause).

    ``copy_source`` supplies COPY FROM STDIN data, ``copy_sink`` receives COPY TO STDOUT
    data; without them a COPY is refused (CopyFail) or its data dropped. ``pause()`` true
    after a COPY TO STDOUT chunk returns PAUSED. A failing source or sink is kept in
    ``copy_error`` (the COPY is aborted or drained first) for the caller to raise.
    """

    __slots__ = ("_chunks", "copy_error", "copy_sink", "copy_source", "done", "machine", "pause")

    def __init__(
        self,
        machine: Machine,
        copy_source: Iterable[bytes] | None = None,
        copy_sink: Callable[[bytes], Any] | None = None,
        pause: Callable[[], bool] | None = None,
    ) -> None:
        self.machine = machine
        self.copy_source = copy_source
        self.copy_sink = copy_sink
        self.pause = pause
        self.done: list[Exchange] = []
        self.copy_error: BaseException | None = None
        self._chunks: Iterator[bytes] | None = None

    def advance(self) -> str:
        """Process events until the transport must act: READ, WRITE, DONE or PAUSED."""
        machine = self.machine
        if self._chunks is not None and self._feed_copy():
            return WRITE
        join_copy_data = self.pause is None  # a paused consumer gets one row per chunk
        while True:
            event = machine.next_event(join_copy_data)
            if event is NEED_DATA:
                return READ
            if isinstance(event, ReadyForQuery):
                if event.exchange is not None:
                    self.done.append(event.exchange)
                if machine.phase != BUSY:
                    return DONE
            elif isinstance(event, Suspended):
                return PAUSED
            elif isinstance(event, CopyOutData):
                if self.copy_sink is not None and self.copy_error is None:
                    try:
                        self.copy_sink(event.data)
                    except Exception as exc:  # the caller's file: drain, then report it
                        self.copy_error = exc
                if self.pause is not None and self.copy_error is None and self.pause():
                    return PAUSED
            elif isinstance(event, CopyInRequested):
                if self.copy_source is None:
                    machine.send_copy_fail("COPY FROM STDIN needs data: use cursor.copy_expert()")
                    continue
                self._chunks = iter(self.copy_source)
                if self._feed_copy():
                    return WRITE

    def answered(self) -> list[Exchange]:
        """The answered requests, once the drive ended (the COPY source's or sink's error,
        kept until the COPY was over, is raised now)."""
        if self.copy_error is not None:
            raise self.copy_error
        return self.done

    def broke_on(self, exc: BaseException) -> bool:
        """The drive stopped with ``exc``: True when the connection is done for, so the
        transport closes it. A server error leaves it usable unless it failed the machine (a
        protocol violation); anything else mid-request (a timeout, a lost connection, a
        cancelled task, KeyboardInterrupt) leaves the stream out of step for good."""
        machine = self.machine
        if isinstance(exc, Error):
            return machine.phase == FAILED
        machine.fail(OperationalError("a request was interrupted; the connection is closed"))
        return True

    def _feed_copy(self) -> bool:
        """Queue COPY data; True when a batch waits to be written, False once all is sent."""
        machine = self.machine
        chunks = self._chunks
        assert chunks is not None
        pending = 0
        while True:
            try:
                chunk = next(chunks, None)
            except Exception as exc:  # the caller's data failed: abort the COPY, report it after
                self._chunks = None
                machine.send_copy_fail(f"error reading the COPY data: {exc}")
                self.copy_error = exc
                return False
            if chunk is None:
                break
            if chunk:
                machine.send_copy_data(chunk)
                pending += len(chunk)
                if pending >= COPY_BATCH:
                    return True
        self._chunks = None
        machine.send_copy_done()
        return False


# -- requests ---------------------------------------------------------------------------------


def send_request(
    machine: Machine,
    sql: str,
    param_sets: Sequence[ParamSet] | None,
    begin: str | None,
    *,
    describe: bool = True,
    statement: bytes = b"",
    described: bool = False,
    result_formats: Sequence[int] = (),
    close_statements: Sequence[bytes] = (),
    row_limit: int = 0,
) -> None:
    """Queue one request: ``begin`` (a BEGIN statement, or None) first in the same write, then
    a simple query (``param_sets`` None) or an extended-protocol batch. ``statement`` names
    a prepared statement, parsed and described unless ``described``. ``row_limit``: the most
    rows a simple query may return (a FETCH's count; 0: no limit)."""
    if begin is not None:
        machine.send_query(begin)
    if param_sets is None:
        machine.send_query(sql, row_limit)
    elif not statement:
        machine.send_extended(sql, param_sets, describe=describe, close_statements=close_statements)
    else:
        machine.send_extended(
            sql,
            param_sets,
            statement=statement,
            parse=not described,
            describe=not described,
            result_formats=result_formats,
            close_statements=close_statements,
        )


def raise_error(exchange: Exchange) -> Exchange:
    """``exchange`` unless the server answered it with an error, which is raised."""
    error: Error | None = exchange.error
    if error is not None:
        raise error
    return exchange


# -- startup ----------------------------------------------------------------------------------


def startup_parameters(params: ConnectParams, extra_options: str | None) -> dict[str, str]:
    """The StartupMessage parameters: user, database, and the session settings purepg needs."""
    startup = {"user": params.user, "database": params.dbname}
    application_name = params.application_name or params.fallback_application_name
    if application_name:
        startup["application_name"] = application_name
    options = " ".join(item for item in (params.options, extra_options) if item)
    if options:
        startup["options"] = options
    if params.replication:
        startup["replication"] = params.replication
    client_encoding.check_requested(params.client_encoding, options)
    startup["client_encoding"] = "UTF8"
    settings = dict(params.environment_settings)  # PGDATESTYLE (ISO output), PGTZ, PGGEQO
    startup["DateStyle"] = settings.pop("datestyle", "ISO")
    startup.update(settings)
    # IntervalStyle is not sent: PgBouncer refuses startup parameters it does not track
    # ("unsupported startup parameter"); `interval_style_fix` sets it when needed.
    return startup


def start_machine(
    params: ConnectParams,
    host: HostAddress,
    extra_options: str | None,
    server_certificate: bytes | None,
    tls: bool,
    *,
    gss_encrypted: bool = False,
) -> Machine:
    """A machine with the StartupMessage queued and the authenticator ``params`` ask for."""
    authenticator = Authenticator(
        params.user,
        params.password_for(host),
        require_auth=params.require_auth,
        channel_binding=params.channel_binding,
        tls=tls,
        server_certificate=server_certificate,
        host=host.host,
        krbsrvname=params.krbsrvname,
        gssdelegation=params.gssdelegation,
        gss_encrypted=gss_encrypted,
    )
    machine = Machine()
    machine.start(
        startup_parameters(params, extra_options), authenticator, params.protocol_versions
    )
    return machine


def interval_style_fix(params: ConnectParams, machine: Machine) -> str | None:
    """``SET IntervalStyle = postgres`` (the style the codecs read) when the server reported
    another one (ALTER ROLE/DATABASE ... SET IntervalStyle), else None: an extra round trip
    only then. A server (or pooler) that reports none is assumed to use ``postgres``."""
    if params.replication:
        return None
    if machine.parameters.get("IntervalStyle", "postgres") == "postgres":
        return None
    return "SET IntervalStyle = postgres"


def single_value(exchange: Exchange) -> str:
    """The text of the single value of a one-row query (SHOW, pg_is_in_recovery)."""
    raise_error(exchange)
    row = messages.parse_data_row_raw(exchange.results[-1].rows[0])
    value = row[0]
    return value.decode("utf-8") if value is not None else ""


MAX_NOTICES = NOTICES_KEPT
"""How many notices a connection keeps (the newest)."""


def take_received(machine: Machine, close: Callable[[], None]) -> None:
    """Process what the server sent while no request runs (notifications, notices, parameter
    changes); a message that breaks the protocol fails the machine, and ``close`` closes the
    connection before the error is raised."""
    try:
        while machine.next_event() is not NEED_DATA:
            pass
    except Error:
        if machine.phase == FAILED:
            close()
        raise


def collect_messages(
    machine: Machine, notices: MutableSequence[str], notifies: list[Notification]
) -> None:
    """Move the notices (as psycopg2-style "SEVERITY:  message" lines) and notifications the
    machine received to the connection's lists. A list of notices keeps the newest
    ``MAX_NOTICES``; another container (``collections.deque(maxlen=...)``, as psycopg2 allows)
    is only appended to."""
    if machine.notices:
        for fields in machine.notices:
            severity = fields.get("S") or fields.get("V") or "NOTICE"
            notices.append(f"{severity}:  {fields.get('M', '')}\n")
        machine.notices.clear()
        if isinstance(notices, list):
            del notices[:-MAX_NOTICES]
    if machine.notifications:
        notifies.extend(machine.notifications)
        machine.notifications.clear()
