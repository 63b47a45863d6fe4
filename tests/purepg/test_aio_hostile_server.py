"""purepg.aio facing a server that breaks the protocol or stays silent: the same purepg
errors as the blocking API, never a raw OSError or a hang."""

from __future__ import annotations

import asyncio

import pytest
from purepg import aio, errors

from tests.purepg import protocol_backend as backend
from tests.purepg.test_connection_hostile_server import serve  # noqa: F401 - fixture


def connect(server, **overrides):
    return asyncio.run(aio.connect(**server.params(**overrides)))


def test_a_non_postgresql_server_is_named_as_such(serve):  # noqa: F811
    server = serve(b"HTTP/1.0 400 Bad Request\r\n\r\n")
    with pytest.raises(errors.OperationalError, match=r"HTTP/1.0 400.*not a PostgreSQL server"):
        connect(server)


def test_a_server_closing_mid_message_is_an_unexpected_close(serve):  # noqa: F811
    server = serve(backend.auth(0) + backend.parameter_status("a", "b")[:6])
    with pytest.raises(errors.OperationalError, match="closed the connection unexpectedly"):
        connect(server)


def test_a_silent_server_hits_connect_timeout(serve):  # noqa: F811
    server = serve(close=False)
    with pytest.raises(errors.OperationalError, match="timeout expired"):
        connect(server, connect_timeout="1")


def test_garbage_after_a_query_breaks_the_connection(serve):  # noqa: F811
    server = serve(backend.STARTUP_OK, backend.row_description(("n", 23)) + b"\xff" * 8)

    async def scenario():
        conn = await aio.connect(**server.params())
        with pytest.raises(errors.ProtocolViolation, match="unknown message type"):
            await conn.cursor().execute("SELECT 1")
        return conn.closed

    assert asyncio.run(scenario()) == 2
