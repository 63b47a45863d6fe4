"""GSSAPI-encrypted connections (``gssencmode``) for both transports: the GSSENCRequest and
handshake, then a socket (blocking) or a pair of streams (asyncio) that encrypt and decrypt
with ``purepg.protocol.gss.GssEncryption``. Imported only when ``gssencmode`` is not
``disable``; the transports see the same interface as a plain socket or stream.
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Any, cast

from purepg.errors import OperationalError
from purepg.io import plan
from purepg.protocol.gss import GSSENC_REQUEST, GssEncryption, start_encryption

if TYPE_CHECKING:
    from purepg.conninfo import ConnectParams, HostAddress

RECV_SIZE = 64 * 1024


def _wanted(host: HostAddress, params: ConnectParams) -> GssEncryption | None:
    return start_encryption(
        params.gssencmode,
        params.krbsrvname,
        host.host,
        unix_socket=host.is_unix_socket,
        delegate=params.gssdelegation,
    )


def _accepted(answer: bytes, host: HostAddress, params: ConnectParams) -> bool:
    """The server's answer to GSSENCRequest: True for G; N (or an error) under ``prefer``."""
    if answer == b"G":
        return True
    if answer in (b"N", b"E") and params.gssencmode != "require":
        if answer == b"E":
            raise OperationalError(
                f"server {host.display} answered the GSSENCRequest with an error (a server "
                "older than PostgreSQL 12): use gssencmode=disable"
            )
        return False
    if answer in (b"N", b"E"):
        raise OperationalError(
            f"connection to server {host.display} failed: server does not support GSSAPI "
            "encryption, but gssencmode=require"
        )
    raise OperationalError(
        f"server {host.display} sent an invalid response to the GSSENCRequest: {answer!r}"
    )


def _closed_during_handshake(host: HostAddress) -> OperationalError:
    return OperationalError(
        f"server {host.display} closed the connection during GSSAPI encryption setup"
    )


# --- blocking --------------------------------------------------------------------------------


def negotiate(
    sock: socket.socket, host: HostAddress, params: ConnectParams, until: float | None
) -> socket.socket | None:
    """GSSENCRequest on ``sock``: an encrypting stand-in for it, or None (carry on without)."""
    encryption = _wanted(host, params)
    if encryption is None:
        return None
    try:
        sock.settimeout(plan.remaining(until))
        sock.sendall(GSSENC_REQUEST)
        if not _accepted(sock.recv(1), host, params):
            return None
        sock.sendall(encryption.start())
        while not encryption.established:
            data = sock.recv(RECV_SIZE)
            if not data:
                raise _closed_during_handshake(host)
            answer = encryption.handshake(data)
            if answer:
                sock.sendall(answer)
    except socket.timeout:
        raise plan.timed_out(host) from None
    # Duck-typed: the transport uses only the socket methods GssSocket has.
    return cast("socket.socket", GssSocket(sock, encryption))


class GssSocket:
    """The socket methods ``purepg.io.blocking.Transport`` uses, over GSSAPI encryption.

    ``send`` suits a non-blocking socket: what the socket does not take now stays queued and
    goes first, before the next send or read."""

    gss_encrypted = True

    def __init__(self, sock: socket.socket, encryption: GssEncryption) -> None:
        self._sock = sock
        self._encryption = encryption
        self._plain = bytearray()
        self._unsent = b""

    @property
    def family(self) -> int:
        return self._sock.family

    def settimeout(self, timeout: float | None) -> None:
        self._sock.settimeout(timeout)

    def gettimeout(self) -> float | None:
        return self._sock.gettimeout()

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()

    def pending(self) -> bool:
        """Whether decrypted (or decryptable) bytes already wait: no need to select()."""
        return bool(self._plain) or self._encryption.has_packet()

    def sendall(self, data: bytes) -> None:
        self._send_unsent()
        self._sock.sendall(self._encryption.encrypt(bytes(data)))

    def send(self, data: Any) -> int:
        if self._unsent:
            self._unsent = self._unsent[self._sock.send(self._unsent) :]
            if self._unsent:
                raise BlockingIOError("the socket takes no more for now")
        packets = self._encryption.encrypt(bytes(data))
        try:
            sent = self._sock.send(packets)
        except (BlockingIOError, InterruptedError):
            sent = 0
        self._unsent = packets[sent:]
        return len(data)

    def recv_into(self, buffer: Any) -> int:
        self._send_unsent()
        while not self._plain:
            if self._encryption.has_packet():
                self._plain += self._encryption.decrypt(b"")
                continue
            data = self._sock.recv(RECV_SIZE)
            if not data:
                return 0
            self._plain += self._encryption.decrypt(data)
        size = min(len(buffer), len(self._plain))
        buffer[:size] = self._plain[:size]
        del self._plain[:size]
        return size

    def _send_unsent(self) -> None:
        while self._unsent:  # a non-blocking socket may raise BlockingIOError: still queued
            self._unsent = self._unsent[self._sock.send(self._unsent) :]


# --- asyncio ---------------------------------------------------------------------------------


async def negotiate_async(
    sock: socket.socket, host: HostAddress, params: ConnectParams, until: float | None
) -> GssEncryption | None:
    """GSSENCRequest on the non-blocking ``sock``: the established encryption, or None."""
    encryption = _wanted(host, params)
    if encryption is None:
        return None
    loop = asyncio.get_running_loop()

    async def send(data: bytes) -> None:
        await asyncio.wait_for(loop.sock_sendall(sock, data), plan.remaining(until))

    async def receive(size: int) -> bytes:
        return await asyncio.wait_for(loop.sock_recv(sock, size), plan.remaining(until))

    try:
        await send(GSSENC_REQUEST)
        if not _accepted(await receive(1), host, params):
            return None
        await send(encryption.start())
        while not encryption.established:
            data = await receive(RECV_SIZE)
            if not data:
                raise _closed_during_handshake(host)
            answer = encryption.handshake(data)
            if answer:
                await send(answer)
    except asyncio.TimeoutError:
        raise plan.timed_out(host) from None
    return encryption


def encrypted_streams(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, encryption: GssEncryption
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """The reader and writer methods ``purepg.io.aio.AsyncTransport`` uses, encrypting."""
    streams = GssStreams(reader, writer, encryption)
    # Duck-typed: the transport uses only the stream methods GssStreams has.
    return cast("asyncio.StreamReader", streams), cast("asyncio.StreamWriter", streams)


class GssStreams:
    """An asyncio reader and writer in one, over GSSAPI encryption."""

    gss_encrypted = True

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, encryption: GssEncryption
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._encryption = encryption
        self._plain = bytearray()

    async def read(self, size: int = -1) -> bytes:
        while not self._plain:
            if self._encryption.has_packet():
                self._plain += self._encryption.decrypt(b"")
                continue
            data = await self._reader.read(RECV_SIZE)
            if not data:
                return b""
            self._plain += self._encryption.decrypt(data)
        size = len(self._plain) if size < 0 else min(size, len(self._plain))
        chunk = bytes(self._plain[:size])
        del self._plain[:size]
        return chunk

    def write(self, data: bytes) -> None:
        self._writer.write(self._encryption.encrypt(bytes(data)))

    async def drain(self) -> None:
        await self._writer.drain()

    def close(self) -> None:
        self._writer.close()

    def is_closing(self) -> bool:
        return self._writer.is_closing()

    async def wait_closed(self) -> None:
        await self._writer.wait_closed()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "ssl_object":
            return default
        return self._writer.get_extra_info(name, default)
