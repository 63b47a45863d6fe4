"""A server that breaks the protocol gets a purepg error naming the problem, never a raw
struct.error, IndexError, OSError or UnicodeDecodeError; the connection is then closed."""

from __future__ import annotations

import struct

import purepg
import pytest
from purepg import errors

from tests.purepg import protocol_backend as backend
from tests.reliability.fake_server import FakeServer, Peer, Script


def replaying(*replies: bytes, close: bool = True) -> Script:
    """A script that lets the client start up, then sends ``replies``, one per client request;
    after the last it closes the connection, or with ``close=False`` keeps it open."""

    def script(peer: Peer) -> None:
        peer.read_startup()
        for index, reply in enumerate(replies):
            peer.send(reply)
            if index < len(replies) - 1:
                peer.read_until(b"SQ")  # the next request ends with Sync or is a Query
        if not close:
            peer.hold()

    return script


@pytest.fixture
def serve():
    servers = []

    def start(*replies: bytes, close: bool = True) -> FakeServer:
        server = FakeServer(replaying(*replies, close=close))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_a_non_postgresql_server_is_named_as_such(serve):
    server = serve(b"HTTP/1.0 400 Bad Request\r\n\r\n")
    with pytest.raises(errors.OperationalError, match=r"HTTP/1.0 400.*not a PostgreSQL server"):
        purepg.connect(**server.params())


def test_a_server_closing_mid_message_is_an_unexpected_close(serve):
    server = serve(backend.auth(0) + backend.parameter_status("a", "b")[:6])
    with pytest.raises(errors.OperationalError, match="closed the connection unexpectedly"):
        purepg.connect(**server.params())


def test_an_absurd_message_length_is_refused_at_once(serve):
    server = serve(b"R" + struct.pack("!i", 0x7FFFFFF0), close=False)
    with pytest.raises(errors.ProtocolViolation, match="invalid length"):
        purepg.connect(**server.params())


def test_a_malformed_authentication_request_is_named(serve):
    server = serve(backend.message(b"R", b"\0\0"))
    with pytest.raises(errors.ProtocolViolation, match="malformed Authentication"):
        purepg.connect(**server.params())


def test_a_silent_server_hits_connect_timeout(serve):
    server = serve(close=False)
    with pytest.raises(errors.OperationalError, match="timeout expired"):
        purepg.connect(**server.params(connect_timeout="1"))


def test_garbage_after_a_query_breaks_the_connection(serve):
    server = serve(backend.STARTUP_OK, backend.row_description(("n", 23)) + b"\xff" * 8)
    conn = purepg.connect(**server.params())
    with pytest.raises(errors.ProtocolViolation, match="unknown message type"):
        conn.cursor().execute("SELECT 1")
    assert conn.closed == 2


def test_invalid_utf8_in_a_column_name_is_a_protocol_violation(serve):
    bad_name = backend.message(
        b"T", struct.pack("!h", 1) + b"\xff\xfe\0" + struct.pack("!IhIhih", 0, 0, 23, 4, -1, 0)
    )
    server = serve(backend.STARTUP_OK, bad_name)
    conn = purepg.connect(**server.params())
    with pytest.raises(errors.ProtocolViolation, match="client encoding"):
        conn.cursor().execute("SELECT 1")


def test_a_silent_server_fails_a_query_at_socket_timeout(serve):
    server = serve(backend.STARTUP_OK, b"", close=False)  # reads the query, never answers
    conn = purepg.connect(**server.params(), socket_timeout=1)
    conn.autocommit = True
    with pytest.raises(errors.OperationalError, match="timeout expired"):
        conn.cursor().execute("SELECT 1")
    assert conn.closed == 2


@pytest.mark.parametrize("value", [-1, "soon", float("nan"), float("inf"), True])
def test_an_invalid_socket_timeout_is_refused_before_connecting(value):
    with pytest.raises(errors.ProgrammingError, match="socket_timeout"):
        purepg.connect(host="127.0.0.1", port=1, socket_timeout=value)


def test_a_data_row_with_more_columns_than_described_breaks_the_connection(serve):
    result = (
        backend.row_description(("n", 23))
        + backend.data_row(b"1", b"2")
        + backend.command_complete("SELECT 1")
        + backend.ready()
    )
    server = serve(backend.STARTUP_OK, result, close=False)
    conn = purepg.connect(**server.params())
    conn.autocommit = True
    cursor = conn.cursor()
    cursor.execute("SELECT 1")
    with pytest.raises(errors.ProtocolViolation, match="2 columns"):
        cursor.fetchall()
    assert conn.closed == 2


def test_a_malformed_value_is_a_data_error_naming_the_column_and_the_connection_stays(serve):
    result = (
        backend.row_description(("total", 1700))
        + backend.data_row(b"12..5")
        + backend.command_complete("SELECT 1")
        + backend.ready()
    )
    server = serve(backend.STARTUP_OK, result, close=False)
    conn = purepg.connect(**server.params())
    conn.autocommit = True
    cursor = conn.cursor()
    cursor.execute("SELECT 1")
    with pytest.raises(errors.DataError, match=r"'total' \(type OID 1700\).*12\.\.5"):
        cursor.fetchone()
    assert conn.closed == 0


def test_a_startup_error_without_fields_is_an_operational_error_saying_so(serve):
    server = serve(backend.message(b"E", b"\0"))
    with pytest.raises(errors.OperationalError, match="error without a message"):
        purepg.connect(**server.params())


def test_an_error_without_a_message_names_its_sqlstate():
    error = errors.error_from_fields({"S": "ERROR", "C": "XX000"})
    assert str(error) == "ERROR:  the server sent an error without a message (SQLSTATE XX000)"
