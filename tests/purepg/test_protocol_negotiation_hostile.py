"""A server's NegotiateProtocolVersion is accepted only as libpq 18 accepts it: a lower
version within the range the client allows, no option the client did not request; the cancel
key's length must fit the negotiated version. Both transports (blocking and asyncio)."""

from __future__ import annotations

import asyncio
import struct

import purepg
import pytest
from purepg import aio, errors

from tests.purepg import protocol_backend as backend
from tests.reliability.fake_server import AFTER_AUTHENTICATION, FakeServer, Peer, Script

V3_0 = 3 << 16
V3_2 = 3 << 16 | 2


def negotiate(version: int, *options: str) -> bytes:
    body = struct.pack("!ii", version, len(options))
    return backend.message(b"v", body + b"".join(name.encode() + b"\0" for name in options))


def answering(reply: bytes, requested: list[int] | None = None) -> Script:
    """Read the StartupMessage (its version goes to ``requested``), send ``reply``, stay."""

    def script(peer: Peer) -> None:
        code, _ = peer.read_packet()
        if requested is not None:
            requested.append(code)
        peer.send(reply)
        peer.hold()

    return script


def connect_blocking(server, **overrides):
    with purepg.connect(**server.params(**overrides)) as conn:
        return conn._machine.protocol_minor


def connect_aio(server, **overrides):
    async def scenario() -> int:
        conn = await aio.connect(**server.params(**overrides))
        await conn.close()
        return conn._machine.protocol_minor

    return asyncio.run(scenario())


@pytest.fixture(params=[connect_blocking, connect_aio], ids=["blocking", "aio"])
def connect(request):
    return request.param


@pytest.fixture
def serve():
    servers: list[FakeServer] = []

    def start(script: Script) -> FakeServer:
        server = FakeServer(script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_the_startup_message_requests_the_highest_allowed_version(serve, connect):
    requested: list[int] = []
    server = serve(answering(backend.STARTUP_OK, requested))
    connect(server, max_protocol_version="3.2")
    connect(server)
    assert requested == [V3_2, V3_0]


def test_a_server_lowering_the_version_within_the_range_is_followed(serve, connect):
    server = serve(answering(negotiate(V3_0) + backend.STARTUP_OK))
    assert connect(server, max_protocol_version="latest") == 0


def test_a_version_below_min_protocol_version_is_refused(serve, connect):
    server = serve(answering(negotiate(V3_0) + backend.STARTUP_OK))
    with pytest.raises(
        errors.OperationalError,
        match=r'server only supports protocol version 3.0, but "min_protocol_version" was '
        r"set to 3.2",
    ):
        connect(server, min_protocol_version="3.2")


@pytest.mark.parametrize(
    ("version", "problem"),
    [
        (V3_2, "requested downgrade to a higher-numbered version"),
        (V3_0 | 1, "requested downgrade to a higher-numbered version"),
        (2 << 16, "requested downgrade to pre-3.0 protocol version"),
        (-1, "requested downgrade to pre-3.0 protocol version"),
        (V3_0, "negotiated but asks for no changes"),
    ],
)
def test_a_version_outside_the_requested_range_is_refused(serve, connect, version, problem):
    server = serve(answering(negotiate(version) + backend.STARTUP_OK))
    with pytest.raises(errors.ProtocolViolation, match=problem):
        connect(server)


def test_the_nonexistent_version_3_1_is_refused(serve, connect):
    server = serve(answering(negotiate(V3_0 | 1) + backend.STARTUP_OK))
    with pytest.raises(errors.ProtocolViolation, match=r"non-existent 3\.1 protocol version"):
        connect(server, max_protocol_version="3.2")


@pytest.mark.parametrize(
    ("option", "problem"),
    [
        ("_pq_.compression", r'an unsupported parameter that was not requested \("_pq_.comp'),
        ("compression", r'without a "_pq_." prefix \("compression"\)'),
    ],
)
def test_an_option_that_was_not_requested_is_refused(serve, connect, option, problem):
    server = serve(answering(negotiate(V3_0, option) + backend.STARTUP_OK))
    with pytest.raises(errors.ProtocolViolation, match=problem):
        connect(server)


def test_a_second_negotiation_is_refused(serve, connect):
    lower = negotiate(V3_0)
    server = serve(answering(lower + lower + backend.STARTUP_OK))
    with pytest.raises(errors.ProtocolViolation, match="unexpected NegotiateProtocolVersion"):
        connect(server, max_protocol_version="3.2")


def test_a_negotiation_after_authentication_is_refused(serve, connect):
    server = serve(answering(backend.auth(0) + negotiate(V3_0) + AFTER_AUTHENTICATION))
    with pytest.raises(errors.ProtocolViolation, match="unexpected NegotiateProtocolVersion"):
        connect(server, max_protocol_version="3.2")


def test_a_long_cancel_key_is_refused_in_protocol_3_0(serve, connect):
    reply = backend.auth(0) + backend.backend_key(7, b"k" * 32) + backend.ready()
    server = serve(answering(reply))
    with pytest.raises(errors.ProtocolViolation, match="secret key of 32 bytes"):
        connect(server)


def test_a_long_cancel_key_is_accepted_in_protocol_3_2(serve, connect):
    reply = backend.auth(0) + backend.backend_key(7, b"k" * 32) + backend.ready()
    server = serve(answering(reply))
    assert connect(server, max_protocol_version="3.2") == 2


def test_a_cancel_key_longer_than_256_bytes_is_refused(serve, connect):
    reply = backend.auth(0) + backend.backend_key(7, b"k" * 257) + backend.ready()
    server = serve(answering(reply))
    with pytest.raises(errors.ProtocolViolation, match="secret key of 257 bytes"):
        connect(server, max_protocol_version="3.2")


def test_the_cancel_request_carries_the_whole_long_key(serve):
    key = bytes(range(32))
    cancels: list[bytes] = []

    def script(peer: Peer) -> None:
        code, body = peer.read_packet()
        if code == 80877102:  # CancelRequest
            cancels.append(body)
            return
        peer.send(backend.auth(0) + backend.backend_key(7, key) + backend.ready())
        peer.hold()

    server = serve(script)
    with purepg.connect(**server.params(max_protocol_version="3.2")) as conn:
        conn.cancel()
    assert cancels == [struct.pack("!i", 7) + key]
