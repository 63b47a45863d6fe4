"""Blocking-socket transport: connects (hosts, TLS negotiation, timeouts) and drives the machine.

Everything protocol-related happens in ``purepg.protocol``; this module only moves bytes,
decides which server to try next (``purepg.io.plan``) and turns socket failures into
``OperationalError``, marking the connection broken.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, TypeVar

from purepg.core import startup
from purepg.core.operation import Receive
from purepg.errors import Error, InterfaceError, OperationalError
from purepg.io import plan
from purepg.io.peer import check_requirepeer
from purepg.protocol import flow, messages
from purepg.protocol.machine import BUSY, NEED_DATA, READY, Exchange, Machine

if TYPE_CHECKING:
    import ssl

    from purepg.conninfo import ConnectParams, HostAddress
    from purepg.core.operation import Operation

T = TypeVar("T")

RECV_SIZE = 256 * 1024
"""Bytes read per ``recv``, into one reused buffer: a fresh 256 KiB ``recv()`` result would be
allocated with mmap and shrunk with mremap, three extra system calls per small reply."""
BIG_WRITE = 256 * 1024
"""Writes larger than this also read while writing: the server may be answering meanwhile."""


def _is_ssl_want(exc: OSError) -> bool:
    """True for the TLS layer's "try again" errors of a non-blocking socket."""
    return type(exc).__name__ in ("SSLWantReadError", "SSLWantWriteError")


class Transport:
    """One open connection: a socket (maybe TLS) and the protocol machine it drives."""

    def __init__(
        self, sock: socket.socket, machine: Machine, host: HostAddress, peer: Any = None
    ) -> None:
        self.sock = sock
        self.machine = machine
        self.host = host
        self.peer = peer
        """The server's address (None for a Unix socket): where cancel requests go."""
        self.round_trips = 0
        """Debug counter: times a read followed a write (network turnarounds)."""
        self.request_timeout: float | None = None
        """``socket_timeout``: seconds each ``run`` may take in all, a trickling server
        included (None: no limit)."""
        self.deadline: float | None = None
        """``time.monotonic()`` past which waiting for the server fails (None: never)."""
        self._wrote = False
        self._closed = False
        self._lock = threading.Lock()
        self._recv_buffer = bytearray(RECV_SIZE)
        self._recv_view = memoryview(self._recv_buffer)

    def _recv(self) -> bytes:
        """What the socket has (at most ``RECV_SIZE`` bytes), b"" at end of stream."""
        size = self.sock.recv_into(self._recv_buffer)
        return self._recv_view[:size].tobytes()

    # -- driving the machine ----------------------------------------------------------------

    def _time_left(self) -> float | None:
        """Seconds left until the deadline (None: no deadline); ``socket.timeout`` once it
        has passed."""
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        return left

    def _arm(self) -> None:
        """Let the next socket operation wait only until the deadline."""
        left = self._time_left()
        if left is not None:
            self.sock.settimeout(left)

    def _flush(self) -> None:
        data = self.machine.data_to_send()
        if data:
            try:
                if self.deadline is not None:
                    self._arm()
                if len(data) > BIG_WRITE:
                    self._send_reading(data)
                else:
                    self.sock.sendall(data)
            except OSError as exc:
                raise self._write_failed(exc) from None
            self._wrote = True

    def _send_reading(self, data: bytes) -> None:
        """Send a large batch (executemany, COPY) while buffering what the server answers.

        A server that answers each message while the batch is still being written would
        otherwise fill both socket buffers and wait for us while we wait for it.
        """
        sock = self.sock
        view = memoryview(data)
        timeout = sock.gettimeout()
        sock.settimeout(0.0)
        try:
            while view:
                readable, writable, _ = select.select([sock], [sock], [], self._time_left())
                if readable:
                    try:
                        incoming = self._recv()
                    except (BlockingIOError, InterruptedError):
                        incoming = None
                    except OSError as exc:
                        if not _is_ssl_want(exc):
                            raise
                        incoming = None
                    if incoming is not None:
                        self.machine.receive_data(incoming)
                        if not incoming:
                            raise ConnectionResetError("the server closed the connection")
                if writable:
                    try:
                        sent = sock.send(view[:BIG_WRITE])
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError as exc:
                        if not _is_ssl_want(exc):
                            raise
                        continue
                    view = view[sent:]
        finally:
            if not self._closed:
                sock.settimeout(timeout)

    def _write_failed(self, exc: OSError) -> Error:
        """The error to report when a write fails: what the server said before it closed
        (an ErrorResponse, a TLS alert such as "unknown ca"), else the write error itself."""
        reason: BaseException = exc
        try:
            self.sock.settimeout(1.0)  # the peer is gone: whatever it sent is already here
            data = self._recv()
            if data:
                self.machine.receive_data(data)
                while self.machine.next_event() is not NEED_DATA:
                    pass
        except Error as server_error:
            self.close()
            return server_error
        except OSError as read_error:
            reason = read_error
        return self._broken(reason)

    def _read(self) -> None:
        if self._wrote:
            self.round_trips += 1
            self._wrote = False
        try:
            if self.deadline is not None:
                self._arm()
            size = self.sock.recv_into(self._recv_buffer)  # ``_recv``, inlined: the hot path
        except OSError as exc:
            raise self._broken(exc) from None
        self.machine.receive_data(self._recv_view[:size].tobytes())

    def _broken(self, exc: BaseException) -> OperationalError:
        what = "timeout expired" if isinstance(exc, socket.timeout) else str(exc)
        error = OperationalError(f"the connection to the server was lost: {what}")
        self.machine.fail(error)
        self.close()
        return error

    def wait(self, operation: Operation[T]) -> T:
        """Run ``operation`` (``purepg.core.operation``) to its end, doing the I/O of each step
        it yields; a step's error is thrown into it, so that its cleanup runs."""
        try:
            step = next(operation)
            while True:
                try:
                    if type(step) is Receive:
                        answer: Any = self.receive(step)
                    else:
                        answer = self.drive(step)  # type: ignore[arg-type]
                except BaseException as exc:
                    step = operation.throw(exc)
                else:
                    step = operation.send(answer)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    def drive(self, run: flow.Run) -> list[Exchange]:
        """Send what is queued and process responses until every request is answered.

        Returns early, with the request not done yet, when a row-limited Execute is
        ``Suspended`` or when the COPY consumer asks to pause (drive again to go on).
        The decisions are ``run``'s (``purepg.protocol.flow.Run``); this only moves bytes.
        """
        machine = self.machine
        if self.request_timeout is not None:
            self.deadline = time.monotonic() + self.request_timeout
        try:
            self._flush()
            if machine.needs_data():
                self._read()  # nothing buffered can answer it: skip a pass over an empty buffer
            while True:
                action = run.advance()
                if action is flow.READ:
                    self._flush()  # what advance() queued (auth answers, a Sync...)
                    self._read()  # reading queues nothing to send
                elif action is flow.WRITE:
                    self._flush()
                else:
                    break
        except BaseException as exc:
            if run.broke_on(exc):
                self.close()
            raise
        return run.answered()

    def receive(self, step: Receive) -> bool:
        """Wait up to ``step.timeout`` seconds for the server, then process what it sent
        (notifications, notices) without blocking; True when something came."""
        if step.timeout != 0 and not self.wait_readable(step.timeout):
            return False
        return self.poll()

    def poll(self) -> bool:
        """Read whatever the server already sent (notifications, notices) without waiting;
        True when something came."""
        if self._closed:
            raise InterfaceError("the connection is closed")
        sock = self.sock
        timeout = sock.gettimeout()
        sock.settimeout(0.0)
        received = False
        try:
            while True:
                try:
                    data = self._recv()
                except BlockingIOError:
                    break
                except OSError as exc:
                    if _is_ssl_want(exc):
                        break
                    raise self._broken(exc) from None
                self.machine.receive_data(data)
                received = True
                if not data:
                    break
        finally:
            if not self._closed:
                sock.settimeout(timeout)
        flow.take_received(self.machine, self.close)
        return received

    def wait_readable(self, timeout: float | None) -> bool:
        """Wait until the server sent something (or ``timeout`` seconds); True if it did."""
        if self._closed:
            raise InterfaceError("the connection is closed")
        pending = getattr(self.sock, "pending", None)
        if pending is not None and pending():
            return True  # decrypted bytes already wait in the TLS layer
        readable, _, _ = select.select([self.sock], [], [], timeout)
        return bool(readable)

    def fileno(self) -> int:
        """The socket's file descriptor, for select()."""
        return self.sock.fileno()

    def abort(self) -> None:
        """Close the socket of a broken connection (``close``: nothing waits here)."""
        self.close()

    def close(self) -> None:
        """Send Terminate (when still possible) and close the socket."""
        if self._closed:
            return
        self._closed = True
        if self.machine.phase in (READY, BUSY):
            self.machine.terminate()
            with contextlib.suppress(OSError):
                self.sock.sendall(self.machine.data_to_send())
        else:
            self.machine.terminate()
        with contextlib.suppress(OSError):
            self.sock.close()

    @property
    def closed(self) -> bool:
        """True once closed or broken."""
        return self._closed

    def cancel(self, timeout: float | None = 10.0) -> None:
        """Ask the server to cancel the running query (CancelRequest on a new connection)."""
        packet = plan.cancel_request(self.machine)
        if self.peer is None:
            family = socket.AF_UNIX
            address: Any = self.host.socket_path
        else:
            family = self.sock.family
            address = self.peer
        try:
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(address)
                sock.sendall(packet)
                sock.recv(1)  # the server closes the connection once it has read the request
        except OSError as exc:
            raise plan.cancel_failed(exc) from None


# --- connecting ------------------------------------------------------------------------------


def _open_socket(
    host: HostAddress, params: ConnectParams
) -> tuple[socket.socket, Any, float | None]:
    """A connected socket, the server address it reached (None for a Unix socket) and the
    deadline of this attempt: ``connect_timeout`` bounds TCP connect, TLS and startup."""
    timeout = params.connect_timeout
    if host.is_unix_socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        until = plan.deadline(timeout)
        try:
            sock.settimeout(timeout)
            sock.connect(host.socket_path)
        except OSError as exc:
            sock.close()
            raise plan.unix_socket_failure(host, exc) from None
        check_requirepeer(sock, params.requirepeer)
        return sock, None, until
    errors = []
    for family, kind, proto, _, address in plan.addresses(host, params):
        sock = socket.socket(family, kind, proto)
        until = plan.deadline(timeout)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
        except OSError as exc:
            sock.close()
            errors.append(plan.address_failure(host, address, exc))
        else:
            plan.set_keepalives(sock, params)
            return sock, address, until
    raise plan.no_address_worked(errors, host)


def _negotiate_tls(
    sock: socket.socket,
    host: HostAddress,
    params: ConnectParams,
    context: ssl.SSLContext,
    *,
    until: float | None,
) -> socket.socket | None:
    """Switch ``sock`` to TLS before ``until``; None when the server declined an SSLRequest
    and ``sslmode`` lets the session go on in plain text."""
    sock.settimeout(plan.remaining(until))
    if params.sslnegotiation != "direct":
        sock.sendall(messages.ssl_request())
        answer = sock.recv(1)  # exactly one byte: anything after 'S' must be TLS
        if not plan.tls_agreed(host, params, answer):
            return None
    from purepg import tls

    server_hostname = tls.server_hostname(params, host)
    sock.settimeout(plan.remaining(until))  # the whole handshake, however it trickles
    try:
        return context.wrap_socket(sock, server_hostname=server_hostname)
    except OSError as exc:  # ssl.SSLError, timeouts
        raise plan.tls_failure(host, exc, until) from None


def _start(
    sock: socket.socket,
    peer: Any,
    host: HostAddress,
    *,
    params: ConnectParams,
    extra_options: str | None,
    socket_timeout: float | None,
    until: float | None,
) -> Transport:
    """Authenticate on an open (maybe TLS) socket and wait for the first ReadyForQuery.

    ``until`` (the ``connect_timeout`` deadline) bounds the startup as a whole; afterwards
    each request may take ``socket_timeout`` seconds in all (None: no limit)."""
    tls_in_use = hasattr(sock, "getpeercert")
    certificate = None
    if tls_in_use:
        certificate = sock.getpeercert(binary_form=True)  # type: ignore[attr-defined]
    gss_encrypted = getattr(sock, "gss_encrypted", False)
    machine = flow.start_machine(
        params, host, extra_options, certificate, tls_in_use, gss_encrypted=gss_encrypted
    )
    transport = Transport(sock, machine, host, peer)
    transport.deadline = until
    try:
        transport.wait(startup.start_session(params, machine))
        if params.sslcertmode == "require":
            _check_client_certificate(transport, sock if tls_in_use else None)
    except OperationalError:
        if until is not None and time.monotonic() >= until:
            raise plan.timed_out(host) from None
        raise
    transport.deadline = None
    transport.request_timeout = socket_timeout
    sock.settimeout(socket_timeout)
    return transport


def _check_client_certificate(transport: Transport, tls_socket: socket.socket | None) -> None:
    """``sslcertmode=require``, checked once the server has authenticated us (as libpq)."""
    from purepg import certmode

    try:
        certmode.check(tls_socket)
    except OperationalError:
        transport.close()
        raise


def _connect_host(
    host: HostAddress,
    params: ConnectParams,
    ssl_context: ssl.SSLContext | None,
    extra_options: str | None,
    socket_timeout: float | None,
) -> Transport:
    """One server, following sslmode: TLS first or plain first, and libpq's fallbacks."""
    last_error: Error | None = None
    for attempt in plan.tls_attempts(host, params):
        sock, peer, until = _open_socket(host, params)
        try:
            encrypted = None
            if params.gssencmode != "disable":  # GSSENCRequest before SSLRequest, as libpq
                from purepg.io import gssenc

                encrypted = gssenc.negotiate(sock, host, params, until)
            if encrypted is not None:
                sock = encrypted
            elif attempt == "tls":
                context = plan.tls_context(params, ssl_context)
                sock = _negotiate_tls(sock, host, params, context, until=until) or sock
            return _start(
                sock,
                peer,
                host,
                params=params,
                extra_options=extra_options,
                socket_timeout=socket_timeout,
                until=until,
            )
        except (OSError, Error) as exc:
            sock.close()
            last_error = plan.attempt_failure(host, exc)
    assert last_error is not None
    raise last_error


def connect(
    params: ConnectParams,
    ssl_context: ssl.SSLContext | None = None,
    extra_options: str | None = None,
    *,
    socket_timeout: float | None = None,
) -> Transport:
    """Connect to the first suitable server of ``params.hosts`` (libpq's rules).

    ``socket_timeout`` (seconds, None: none) bounds each wait for the server afterwards."""
    failures: list[Error] = []
    for host, wanted in plan.host_attempts(params):
        try:
            transport = _connect_host(host, params, ssl_context, extra_options, socket_timeout)
        except Error as exc:
            failures.append(exc)
            continue
        try:
            refusal = transport.wait(startup.target_refusal(transport.machine, wanted, host))
        except Error as exc:
            refusal = exc
        if refusal is None:
            return transport
        transport.close()
        failures.append(refusal)
    raise plan.combined_error(failures)
