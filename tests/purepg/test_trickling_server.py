"""A server that answers one byte at a time cannot stretch the timeouts: ``connect_timeout``
bounds the whole attempt (TCP, TLS, startup, authentication) and ``socket_timeout`` the whole
of each request, blocking and asyncio alike. Bounds are generous: a trickle that defeated them
would run for a minute."""

from __future__ import annotations

import asyncio
import io
import threading
import time

import purepg
import pytest
from purepg import aio, errors

from tests.purepg import protocol_backend as backend
from tests.reliability.fake_server import FakeServer, Peer, Script

TRICKLE = backend.auth(0) + backend.parameter_status("x", "y" * 300) + backend.STARTUP_OK
"""A startup reply long enough that dripping it takes far longer than any bound below."""
DRIP_INTERVAL = 0.2


def dripping_startup(peer: Peer) -> None:
    peer.read_startup()
    drip(peer, TRICKLE)


def drip(peer: Peer, data: bytes) -> None:
    for index in range(len(data)):
        if peer.stopping.is_set():
            return
        peer.send(data[index : index + 1])
        time.sleep(DRIP_INTERVAL)


def dripping_tls_handshake(peer: Peer) -> None:
    peer.read_packet()  # SSLRequest
    peer.send(b"S")
    drip(peer, b"\x16\x03\x03\x40\x00" + b"\x02" * 300)  # a ServerHello record that trickles


def dripping_result(peer: Peer) -> None:
    peer.read_startup()
    peer.send(backend.auth(0) + backend.STARTUP_OK[len(backend.auth(0)) :])
    peer.read_until(b"SQ")
    reply = backend.row_description(("t", 25))
    reply += backend.data_row(b"z" * 300) + backend.command_complete("SELECT 1") + backend.ready()
    drip(peer, reply)


def copy_never_read(peer: Peer) -> None:
    """Start a COPY FROM STDIN, then never read what the client sends."""
    peer.read_startup()
    peer.send(backend.auth(0) + backend.STARTUP_OK[len(backend.auth(0)) :])
    peer.read_message()  # the COPY query
    peer.send(backend.message(b"G", b"\0\0\0"))
    peer.stopping.wait()


class EndlessData(io.BytesIO):
    """A file whose ``read`` never runs dry (a COPY source larger than any socket buffer)."""

    def read(self, size: int | None = -1) -> bytes:
        return b"x" * (size if size and size > 0 else 65536)


def blocking_copy(server):
    with purepg.connect(**server.params(), socket_timeout=2) as conn:
        conn.cursor().copy_expert("COPY t FROM STDIN", EndlessData(), size=65536)


def aio_copy(server):
    async def scenario() -> None:
        conn = await aio.connect(**server.params(), socket_timeout=2)
        try:
            await conn.cursor().copy_expert("COPY t FROM STDIN", EndlessData(), size=65536)
        finally:
            await conn.close()

    asyncio.run(scenario())


def blocking_connect(server, **overrides):
    purepg.connect(**server.params(**overrides)).close()


def aio_connect(server, **overrides):
    async def scenario() -> None:
        conn = await aio.connect(**server.params(**overrides))
        await conn.close()

    asyncio.run(scenario())


def blocking_query(server):
    with purepg.connect(**server.params(), socket_timeout=2) as conn:
        conn.cursor().execute("SELECT t")


def aio_query(server):
    async def scenario() -> None:
        conn = await aio.connect(**server.params(), socket_timeout=2)
        try:
            await conn.cursor().execute("SELECT t")
        finally:
            await conn.close()

    asyncio.run(scenario())


def run_against(script: Script, action) -> tuple[BaseException | None, float]:
    server = FakeServer(script)
    started = time.monotonic()
    try:
        action(server)
    except Exception as exc:  # the error is the subject of the test
        return exc, time.monotonic() - started
    finally:
        server.stop()
    return None, time.monotonic() - started


@pytest.mark.parametrize("connect", [blocking_connect, aio_connect], ids=["blocking", "aio"])
def test_connect_timeout_bounds_a_startup_reply_that_trickles(connect):
    error, elapsed = run_against(
        dripping_startup, lambda server: connect(server, connect_timeout=2)
    )
    assert isinstance(error, errors.OperationalError)
    assert "timeout expired" in str(error)
    assert elapsed < 2 * 3  # the whole reply would take over a minute


@pytest.mark.parametrize("connect", [blocking_connect, aio_connect], ids=["blocking", "aio"])
def test_connect_timeout_bounds_a_tls_handshake_that_trickles(connect):
    error, elapsed = run_against(
        dripping_tls_handshake,
        lambda server: connect(server, connect_timeout=2, sslmode="require"),
    )
    assert isinstance(error, errors.OperationalError)
    assert "timeout expired" in str(error)
    assert elapsed < 2 * 3  # the whole record would take over a minute


@pytest.mark.parametrize("query", [blocking_query, aio_query], ids=["blocking", "aio"])
def test_socket_timeout_bounds_a_result_that_trickles(query):
    error, elapsed = run_against(dripping_result, query)
    assert isinstance(error, errors.OperationalError)
    assert "timeout expired" in str(error)
    assert elapsed < 2 * 3 + 3  # connect, then a bounded request; the whole reply: a minute


@pytest.mark.parametrize("copy", [blocking_copy, aio_copy], ids=["blocking", "aio"])
def test_socket_timeout_bounds_a_request_the_server_stops_reading(copy):
    outcome: list[tuple[BaseException | None, float]] = []
    worker = threading.Thread(target=lambda: outcome.append(run_against(copy_never_read, copy)))
    worker.daemon = True  # a hang must fail this test, not block the session
    worker.start()
    worker.join(60)
    assert outcome, "the COPY was still being written after 60 s"
    error, elapsed = outcome[0]
    assert isinstance(error, errors.OperationalError)
    assert "timeout expired" in str(error)
    assert elapsed < 2 * 3 + 3
