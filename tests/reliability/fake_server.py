"""A fake PostgreSQL server on 127.0.0.1: real sockets, one thread per client, a script per test.

The script gets a `Peer` (the server side of one client connection) and plays the server's
part: read the startup packet, answer, misbehave. The server messages themselves are built with
``tests.purepg.protocol_backend``.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Callable

from tests.purepg import protocol_backend as backend

SSL_REQUEST_CODE = 80877103
GSSENC_REQUEST_CODE = 80877104
CANCEL_REQUEST_CODE = 80877102
POLL_INTERVAL = 0.1
AFTER_AUTHENTICATION = (
    backend.parameter_status("DateStyle", "ISO, MDY")  # else psycopg2 sends SET DATESTYLE
    + backend.parameter_status("integer_datetimes", "on")
    + backend.STARTUP_OK[len(backend.auth(0)) :]
)
"""What a server sends after AuthenticationOk: parameters, BackendKeyData, ReadyForQuery."""


class ClientGoneError(Exception):
    """The client closed the connection (or the server is stopping)."""


class Peer:
    """The server side of one client connection."""

    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self.sock = sock
        self.stopping = stopping
        sock.settimeout(POLL_INTERVAL)

    def recv_exact(self, size: int) -> bytes:
        """Exactly ``size`` bytes from the client; `ClientGoneError` if it closes first."""
        data = b""
        while len(data) < size:
            try:
                chunk = self.sock.recv(size - len(data))
            except socket.timeout:
                if self.stopping.is_set():
                    raise ClientGoneError from None
                continue
            except OSError:
                raise ClientGoneError from None
            if not chunk:
                raise ClientGoneError
            data += chunk
        return data

    def read_packet(self) -> tuple[int, bytes]:
        """One untyped startup-phase packet: (request code, rest)."""
        (length,) = struct.unpack("!i", self.recv_exact(4))
        body = self.recv_exact(length - 4)
        (code,) = struct.unpack_from("!i", body)
        return code, body[4:]

    def read_startup(self, ssl_answer: bytes = b"N") -> dict[str, str]:
        """Read the StartupMessage; a GSSENCRequest gets 'N', an SSLRequest ``ssl_answer``.

        An answer other than 'N' to SSLRequest is sent and the peer raises `ClientGoneError` (the
        script that wants TLS handles the SSLRequest itself with `read_packet`).
        """
        while True:
            code, body = self.read_packet()
            if code == GSSENC_REQUEST_CODE:
                self.send(b"N")
                continue
            if code == SSL_REQUEST_CODE:
                self.send(ssl_answer)
                if ssl_answer != b"N":
                    raise ClientGoneError
                continue
            if code == CANCEL_REQUEST_CODE:
                raise ClientGoneError
            words = body.split(b"\0")
            return {words[i].decode(): words[i + 1].decode() for i in range(0, len(words) - 1, 2)}

    def read_message(self) -> tuple[bytes, bytes]:
        """One frontend message: (type byte, payload)."""
        kind = self.recv_exact(1)
        (length,) = struct.unpack("!i", self.recv_exact(4))
        return kind, self.recv_exact(length - 4)

    def read_until(self, kinds: bytes) -> tuple[bytes, bytes]:
        """Frontend messages up to and including the first whose type is in ``kinds``."""
        while True:
            kind, payload = self.read_message()
            if kind in kinds:
                return kind, payload

    def accept_startup(self) -> dict[str, str]:
        """Read the startup packet and let the client in (trust, ReadyForQuery)."""
        params = self.read_startup()
        self.send(backend.auth(0) + AFTER_AUTHENTICATION)
        return params

    def send(self, data: bytes) -> None:
        """Send ``data`` (errors from a client that left are ignored)."""
        with contextlib.suppress(OSError):
            self.sock.sendall(data)

    def hold(self) -> None:
        """Stay connected, reading and discarding, until the client leaves or the server stops."""
        with contextlib.suppress(ClientGoneError):
            while True:
                self.recv_exact(1)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


Script = Callable[[Peer], None]


class FakeServer:
    """Listens on 127.0.0.1 and runs ``script`` for every client connection."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(POLL_INTERVAL)
        self.port: int = self.listener.getsockname()[1]
        self.connections = 0
        self._peers: list[Peer] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            peer = Peer(sock, self.stopping)
            thread = threading.Thread(target=self._run, args=(peer,), daemon=True)
            with self._lock:
                self.connections += 1
                self._peers.append(peer)
                self._threads.append(thread)
            thread.start()

    def _run(self, peer: Peer) -> None:
        try:
            self.script(peer)
        except (ClientGoneError, OSError):
            pass
        finally:
            peer.close()

    def params(self, **extra: str) -> dict[str, str]:
        """libpq keywords for this server (no TLS, no GSSAPI unless overridden)."""
        params = {
            "host": "127.0.0.1",
            "port": str(self.port),
            "user": "u",
            "dbname": "d",
            "password": "pw",
            "sslmode": "disable",
            "gssencmode": "disable",
            "connect_timeout": "3",
        }
        params.update(extra)
        return params

    def stop(self) -> None:
        """Disconnect every client and stop listening."""
        self.stopping.set()
        with contextlib.suppress(OSError):
            self.listener.close()
        self._acceptor.join(5)
        with self._lock:
            peers = list(self._peers)
            threads = list(self._threads)
        for peer in peers:
            with contextlib.suppress(OSError):
                peer.sock.shutdown(socket.SHUT_RDWR)
            peer.close()
        for thread in threads:
            thread.join(5)


@contextlib.contextmanager
def fake_server(script: Script) -> Iterator[FakeServer]:
    """A running `FakeServer`, stopped on exit."""
    server = FakeServer(script)
    try:
        yield server
    finally:
        server.stop()
