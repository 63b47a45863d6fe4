"""asyncio transport: connects (hosts, TLS negotiation, timeouts) and drives the machine.

The twin of ``purepg.io.blocking``: the protocol decisions are ``purepg.protocol.flow``'s and
the machine's, host planning is ``purepg.io.plan``'s; this module only moves bytes with
asyncio streams and turns socket failures into ``OperationalError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from purepg.core import startup
from purepg.core.operation import Receive
from purepg.errors import Error, InterfaceError, OperationalError
from purepg.io import plan
from purepg.io.peer import check_requirepeer
from purepg.protocol import flow, messages
from purepg.protocol.machine import BUSY, READY, Exchange, Machine

if TYPE_CHECKING:
    from purepg.conninfo import ConnectParams, HostAddress
    from purepg.core.operation import Operation

T = TypeVar("T")
RECV_SIZE = 256 * 1024
STREAM_LIMIT = 1024 * 1024


class AsyncTransport:
    """One open connection: asyncio streams (maybe TLS) and the protocol machine they drive."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        machine: Machine,
        host: HostAddress,
        peer: Any = None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.machine = machine
        self.host = host
        self.peer = peer
        """The server's address (None for a Unix socket): where cancel requests go."""
        self.request_timeout: float | None = None
        """``socket_timeout``: seconds each ``run`` may take in all, a trickling server
        included (None: no limit)."""
        self.deadline: float | None = None
        """``time.monotonic()`` past which waiting for the server fails (None: never)."""
        self.round_trips = 0
        """Debug counter: times a read followed a write (network turnarounds)."""
        self._wrote = False
        self._closed = False

    def _write(self) -> bool:
        """Hand what is queued to the stream, not drained (the server may answer a large
        batch while it is still being written, and asyncio reads meanwhile); True if there
        was something. A plain method: a request's writes cost no coroutine object."""
        data = self.machine.data_to_send()
        if not data:
            return False
        self.writer.write(data)
        self._wrote = True
        return True

    async def _flush(self, drain: bool = False) -> None:
        if self._write() and drain:  # COPY batches are drained
            try:
                await self._until_deadline(self.writer.drain())
            except asyncio.TimeoutError:
                raise self._broken("timeout expired") from None

    async def _until_deadline(self, waiting: Awaitable[T]) -> T:
        """``waiting``'s result; ``asyncio.TimeoutError`` once the deadline has passed."""
        if self.deadline is None:
            return await waiting
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise asyncio.TimeoutError
        return await asyncio.wait_for(waiting, left)

    async def _read(self) -> None:
        if self._wrote:
            self.round_trips += 1
            self._wrote = False
        try:
            if self.deadline is None:
                data = await self.reader.read(RECV_SIZE)
            else:
                data = await self._until_deadline(self.reader.read(RECV_SIZE))
        except asyncio.TimeoutError:
            raise self._broken("timeout expired") from None
        except OSError as exc:
            raise self._broken(str(exc)) from None
        self.machine.receive_data(data)

    def _broken(self, why: str) -> OperationalError:
        error = OperationalError(f"the connection to the server was lost: {why}")
        self.machine.fail(error)
        self.abort()
        return error

    async def wait(self, operation: Operation[T]) -> T:
        """Run ``operation`` (``purepg.core.operation``) to its end, doing the I/O of each step
        it yields with asyncio; a step's error is thrown into it, so that its cleanup runs."""
        try:
            step = next(operation)
            while True:
                try:
                    if type(step) is Receive:
                        answer: Any = await self.receive(step)
                    else:
                        answer = await self.drive(step)  # type: ignore[arg-type]
                except BaseException as exc:
                    step = operation.throw(exc)
                else:
                    step = operation.send(answer)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    async def drive(self, run: flow.Run) -> list[Exchange]:
        """Send what is queued and process responses until every request is answered (or a
        pause: see ``purepg.io.blocking.Transport.drive``)."""
        machine = self.machine
        if self.request_timeout is not None:
            self.deadline = time.monotonic() + self.request_timeout
        try:
            self._write()
            if machine.needs_data():
                await self._read()  # nothing buffered can answer it: skip an empty pass
            while True:
                action = run.advance()
                if action is flow.READ:
                    self._write()  # what advance() queued (auth answers, a Sync...)
                    await self._read()
                elif action is flow.WRITE:
                    await self._flush(drain=True)
                else:
                    break
        except ConnectionError as exc:
            raise self._broken(str(exc)) from None
        except BaseException as exc:
            if run.broke_on(exc):
                self.abort()
            raise
        return run.answered()

    async def receive(self, step: Receive) -> bool:
        """Wait up to ``step.timeout`` seconds (None: forever, 0: only what already came)
        for bytes from the server and process them (notifications, notices); False when
        nothing came in time."""
        if self._closed:
            raise InterfaceError("the connection is closed")
        reading = asyncio.ensure_future(self.reader.read(RECV_SIZE))
        try:
            if step.timeout == 0:
                await asyncio.sleep(0)  # lets the read take what the stream already holds
            else:
                await asyncio.wait({reading}, timeout=step.timeout)
        finally:
            if not reading.done():
                reading.cancel()
        try:
            data = await reading
        except asyncio.CancelledError:
            return False  # nothing came in time (the read was cancelled, nothing consumed)
        except OSError as exc:
            raise self._broken(str(exc)) from None
        self.machine.receive_data(data)
        flow.take_received(self.machine, self.abort)
        return True

    def abort(self) -> None:
        """Close the connection at once, without a Terminate (it is broken)."""
        self._closed = True
        with contextlib.suppress(Exception):
            self.writer.close()

    async def close(self) -> None:
        """Send Terminate (when still possible) and close the connection."""
        if self._closed:
            return
        self._closed = True
        sendable = self.machine.phase in (READY, BUSY)
        self.machine.terminate()
        with contextlib.suppress(Exception):
            if sendable:
                self.writer.write(self.machine.data_to_send())
            self.writer.close()
            await self.writer.wait_closed()

    @property
    def closed(self) -> bool:
        """True once closed or broken."""
        return self._closed

    async def cancel(self, timeout: float | None = 10.0) -> None:
        """Ask the server to cancel the running query (CancelRequest on a new connection)."""
        packet = plan.cancel_request(self.machine)
        try:
            if self.peer is None:
                opening = asyncio.open_unix_connection(self.host.socket_path)
            else:
                opening = asyncio.open_connection(self.peer[0], self.peer[1])
            reader, writer = await asyncio.wait_for(opening, timeout)
            try:
                writer.write(packet)
                await writer.drain()
                # the server closes the connection once it has read the request
                await asyncio.wait_for(reader.read(1), timeout)
            finally:
                writer.close()
        except (OSError, asyncio.TimeoutError) as exc:
            raise plan.cancel_failed(exc) from None


# --- connecting ------------------------------------------------------------------------------


async def _open_socket(
    host: HostAddress, params: ConnectParams
) -> tuple[socket.socket, Any, float | None]:
    """A connected non-blocking socket, the address it reached (None: Unix socket) and the
    deadline of this attempt: ``connect_timeout`` bounds TCP connect, TLS and startup."""
    loop = asyncio.get_running_loop()
    timeout = params.connect_timeout
    if host.is_unix_socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        until = plan.deadline(timeout)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, host.socket_path), timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            sock.close()
            raise plan.unix_socket_failure(host, exc) from None
        check_requirepeer(sock, params.requirepeer)
        return sock, None, until
    failures = []
    for family, kind, proto, _, address in await loop.run_in_executor(
        None, plan.addresses, host, params
    ):
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        until = plan.deadline(timeout)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, address), timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            sock.close()
            failures.append(plan.address_failure(host, address, exc))
        else:
            plan.set_keepalives(sock, params)
            return sock, address, until
    raise plan.no_address_worked(failures, host)


async def _ssl_request(
    sock: socket.socket, host: HostAddress, params: ConnectParams, until: float | None
) -> bool:
    """Send SSLRequest on the plain socket; True when the server agreed to TLS, False when
    it declined and ``sslmode`` lets the session go on in plain text."""
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(
            loop.sock_sendall(sock, messages.ssl_request()), plan.remaining(until)
        )
        # exactly one byte: anything after 'S' must be TLS
        answer = await asyncio.wait_for(loop.sock_recv(sock, 1), plan.remaining(until))
    except asyncio.TimeoutError:
        raise plan.timed_out(host) from None
    return plan.tls_agreed(host, params, answer)


def _new_machine(
    connection: Any, params: ConnectParams, host: HostAddress, extra_options: str | None
) -> Machine:
    """A machine for ``connection`` (an asyncio transport or writer: its ``ssl_object`` and
    ``gss_encrypted`` tell how it is encrypted), with the StartupMessage queued."""
    ssl_object = connection.get_extra_info("ssl_object")
    certificate = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    gss_encrypted = getattr(connection, "gss_encrypted", False)
    return flow.start_machine(
        params,
        host,
        extra_options,
        certificate,
        ssl_object is not None,
        gss_encrypted=gss_encrypted,
    )


class _StartupProtocol(asyncio.StreamReaderProtocol):
    """A stream protocol that sends the StartupMessage the moment the TLS handshake ends.

    With TLS 1.3 the server checks the client certificate only after the client's last
    handshake flight; refusing it, it sends an alert ("unknown ca") and resets the connection.
    When a write fails, asyncio drops what it has not read yet: a StartupMessage written once
    the handshake has returned to us may meet that reset, and the alert is lost. Written
    here, inside asyncio's handshake step, it leaves with that flight (Python 3.11+: in the
    same send), before the server can answer; the alert is then read and reported.
    """

    def __init__(
        self, reader: asyncio.StreamReader, start: Callable[[asyncio.BaseTransport], Machine]
    ) -> None:
        super().__init__(reader)
        self._start = start
        self.machine: Machine | None = None
        self.error: Error | None = None
        """Why no machine could be made (raised once the handshake has returned)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        try:
            self.machine = self._start(transport)
        except Error as exc:
            self.error = exc
            return
        cast("asyncio.WriteTransport", transport).write(self.machine.data_to_send())


async def _open_streams(
    sock: socket.socket,
    host: HostAddress,
    params: ConnectParams,
    context: ssl.SSLContext | None,
    *,
    until: float | None,
    start: Callable[[asyncio.BaseTransport], Machine],
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, Machine | None]:
    """asyncio streams over ``sock``, with the TLS handshake (before ``until``) when
    ``context`` is given; then also the machine ``start`` made, its StartupMessage sent (see
    ``_StartupProtocol``)."""
    if context is None:
        reader, writer = await asyncio.open_connection(sock=sock, limit=STREAM_LIMIT)
        return reader, writer, None
    from purepg import tls

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=STREAM_LIMIT, loop=loop)
    protocol = _StartupProtocol(reader, start)
    try:
        transport, _ = await loop.create_connection(
            lambda: protocol,
            sock=sock,
            ssl=context,
            server_hostname=tls.server_hostname(params, host) or "",  # "": no SNI, no name check
            ssl_handshake_timeout=plan.remaining(until),
        )
    except (OSError, asyncio.TimeoutError) as exc:  # ssl.SSLError, asyncio's handshake timeout
        raise plan.tls_failure(host, exc, until) from None
    if protocol.error is not None:
        transport.abort()
        raise protocol.error
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop), protocol.machine


async def _start(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    machine: Machine,
    peer: Any,
    host: HostAddress,
    *,
    params: ConnectParams,
    until: float | None,
) -> AsyncTransport:
    """Authenticate and wait for the first ReadyForQuery, before ``until`` (the
    ``connect_timeout`` deadline)."""
    ssl_object = writer.get_extra_info("ssl_object")
    transport = AsyncTransport(reader, writer, machine, host, peer)
    transport.deadline = until
    try:
        await transport.wait(startup.start_session(params, machine))
        if params.sslcertmode == "require":
            from purepg import certmode

            certmode.check(ssl_object)
    except OperationalError:
        transport.abort()
        if until is not None and time.monotonic() >= until:
            raise plan.timed_out(host) from None
        raise
    except BaseException:
        transport.abort()
        raise
    transport.deadline = None
    return transport


async def _connect_host(
    host: HostAddress,
    params: ConnectParams,
    ssl_context: ssl.SSLContext | None,
    extra_options: str | None,
) -> AsyncTransport:
    """One server, following sslmode: TLS first or plain first, and libpq's fallbacks."""
    last_error: Error | None = None

    def start(connection: Any) -> Machine:
        return _new_machine(connection, params, host, extra_options)

    for attempt in plan.tls_attempts(host, params):
        sock, peer, until = await _open_socket(host, params)
        try:
            encryption = None
            if params.gssencmode != "disable":  # GSSENCRequest before SSLRequest, as libpq
                from purepg.io import gssenc

                encryption = await gssenc.negotiate_async(sock, host, params, until)
            context = None
            if encryption is None and attempt == "tls":
                context = plan.tls_context(params, ssl_context)
                direct = params.sslnegotiation == "direct"
                if not direct and not await _ssl_request(sock, host, params, until):
                    context = None  # 'N': carry on in plain text on the same socket
            reader, writer, machine = await _open_streams(
                sock, host, params, context, until=until, start=start
            )
            if encryption is not None:
                reader, writer = gssenc.encrypted_streams(reader, writer, encryption)
            return await _start(
                reader, writer, machine or start(writer), peer, host, params=params, until=until
            )
        except (OSError, Error) as exc:
            sock.close()
            last_error = plan.attempt_failure(host, exc)
    assert last_error is not None
    raise last_error


async def connect(
    params: ConnectParams,
    ssl_context: ssl.SSLContext | None = None,
    extra_options: str | None = None,
    *,
    socket_timeout: float | None = None,
) -> AsyncTransport:
    """Connect to the first suitable server of ``params.hosts`` (libpq's rules)."""
    failures: list[Error] = []
    for host, wanted in plan.host_attempts(params):
        try:
            transport = await _connect_host(host, params, ssl_context, extra_options)
        except (Error, asyncio.TimeoutError) as exc:
            failures.append(plan.attempt_failure(host, exc))
            continue
        transport.request_timeout = socket_timeout
        try:
            refusal = await transport.wait(startup.target_refusal(transport.machine, wanted, host))
        except Error as exc:
            refusal = exc
        if refusal is None:
            return transport
        await transport.close()
        failures.append(refusal)
    raise plan.combined_error(failures)
