"""A server that breaks the protocol: the client raises its own DB-API error naming the problem,
within its configured timeouts, and the connection is closed. Forged SCRAM proofs and TLS
downgrades are refused.

Each test plays one misbehaving server on 127.0.0.1 (``fake_server``) against purepg and pgfacade
over both backends (libpq behind pgfacade-psycopg2). Waits are bounded by the clients' own
``connect_timeout``; nothing here measures time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import threading
from typing import Any

import pytest
import trustme

from tests.purepg import protocol_backend as backend
from tests.reliability.clients import (
    ALL_CLIENTS,
    FACADE_PSYCOPG2,
    FACADE_PUREPG,
    PUREPG,
    client_driver,
    expect_driver_error,
)
from tests.reliability.fake_server import AFTER_AUTHENTICATION, Peer, fake_server

PASSWORD = "pw"
HSTORE_PROBE = b"hstore"
SILENT_QUERY_LIMIT = 5.0
"""How long the test waits for a query to a silent server before declaring it hung."""


@pytest.fixture(params=ALL_CLIENTS)
def driver(request: pytest.FixtureRequest) -> Any:
    """purepg, pgfacade over purepg, pgfacade over psycopg2 (libpq)."""
    return client_driver(request.param)


@pytest.fixture(params=(PUREPG, FACADE_PUREPG))
def pure_driver(request: pytest.FixtureRequest) -> Any:
    """The clients whose protocol code is purepg's."""
    return client_driver(request.param)


# --- server scripts ------------------------------------------------------------------------


def next_query(peer: Peer) -> bytes:
    """Read the client's next request and return its SQL.

    pgfacade-psycopg2 looks for hstore right after connecting: that probe gets an empty result.
    """
    while True:
        kind, payload = peer.read_until(b"QP")
        if kind == b"P":  # extended protocol: Parse ... Sync
            sql = payload.split(b"\0")[1]
            peer.read_until(b"S")
            peer.send(backend.message(b"1") + backend.message(b"2"))
        else:
            sql = payload.rstrip(b"\0")
        if HSTORE_PROBE in sql:
            peer.send(
                backend.row_description(("oid", 26), ("typarray", 26))
                + backend.command_complete("SELECT 0")
                + backend.ready()
            )
            continue
        return sql


def after_first_query(reply: bytes, *, close: bool = True) -> Any:
    """A script: let the client in, answer its first query with ``reply``, then close/hold."""

    def script(peer: Peer) -> None:
        peer.accept_startup()
        next_query(peer)
        peer.send(reply)
        if not close:
            peer.hold()

    return script


def expect_query_error(driver: Any, script: Any, match: str) -> Any:
    """The query against ``script`` fails with the driver's own Error; returns the connection."""
    with fake_server(script) as server:
        holder: dict[str, Any] = {}

        def action() -> None:
            holder["conn"] = driver.connect(**server.params())
            holder["conn"].autocommit = True
            cursor = holder["conn"].cursor()
            cursor.execute("SELECT 1")
            cursor.fetchall()

        expect_driver_error(driver, action, match)
        assert "conn" in holder, "the failure came while connecting, before the query"
        return holder["conn"]


def assert_closed(conn: Any) -> None:
    assert conn.closed, "the connection is still marked open after the protocol broke"


# --- broken framing ------------------------------------------------------------------------


def test_a_message_truncated_by_a_closing_server_is_an_unexpected_close(driver):
    reply = backend.row_description(("n", 23)) + backend.data_row(b"1")[:7]
    conn = expect_query_error(
        driver, after_first_query(reply), "server closed the connection unexpectedly"
    )
    assert_closed(conn)


def test_a_2_gib_data_row_length_is_refused_without_waiting_for_it(pure_driver):
    # libpq (pgfacade-psycopg2) accepts long DataRow lengths and would try to buffer 2 GiB.
    header = b"D" + struct.pack("!I", 0x7FFFFFFF)
    reply = backend.row_description(("n", 23)) + header
    conn = expect_query_error(
        pure_driver, after_first_query(reply, close=False), "DataRow .*invalid length"
    )
    assert_closed(conn)


def test_a_negative_message_length_is_refused(driver):
    reply = backend.row_description(("n", 23)) + b"D" + struct.pack("!i", -5) + b"\0" * 16
    conn = expect_query_error(
        driver, after_first_query(reply, close=False), "invalid length|lost synchronization"
    )
    assert_closed(conn)


def test_an_unknown_message_type_is_refused(driver):
    reply = backend.message(b"Y", b"\0\0\0\0") + backend.ready()
    conn = expect_query_error(
        driver,
        after_first_query(reply, close=False),
        "unknown message type b'Y'|unexpected response from server.*\"Y\"",
    )
    assert_closed(conn)


def test_an_unknown_message_type_closes_the_facade_psycopg2_connection():
    """libpq discards a message of unknown type and keeps the connection open (pqParseInput3);
    the facade recognises libpq's "unexpected response from server" and closes it."""
    driver = client_driver(FACADE_PSYCOPG2)
    reply = backend.message(b"Y", b"\0\0\0\0") + backend.ready()
    conn = expect_query_error(driver, after_first_query(reply, close=False), "unexpected response")
    assert_closed(conn)


# --- authentication ------------------------------------------------------------------------


def test_an_unsupported_authentication_method_is_named(driver):
    def script(peer: Peer) -> None:
        peer.read_startup()
        peer.send(backend.auth(42) + backend.auth(0) + backend.ready())
        peer.hold()

    with fake_server(script) as server:
        expect_driver_error(
            driver, lambda: driver.connect(**server.params()), r"authentication method.*42"
        )


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def scram_exchange(peer: Peer, *, forge_nonce: bool = False, forge_signature: bool = False) -> None:
    """SCRAM-SHA-256 (RFC 5802) played by a server that knows the password, with one forgery.

    After the forgery the server claims success (SASLFinal, AuthenticationOk, ReadyForQuery all
    at once): a client that accepted the forgery would then be connected.
    """
    peer.read_startup()
    peer.send(backend.auth(10, b"SCRAM-SHA-256\0\0"))
    _, initial = peer.read_message()
    client_first = initial[initial.index(b"\0") + 5 :].decode()
    client_first_bare = client_first.split(",", 2)[2]  # after the GS2 header "n,,"
    client_nonce = dict(item.split("=", 1) for item in client_first_bare.split(","))["r"]
    nonce = client_nonce + base64.b64encode(os.urandom(18)).decode()
    if forge_nonce:
        nonce = base64.b64encode(os.urandom(18)).decode()
    salt = os.urandom(16)
    server_first = f"r={nonce},s={base64.b64encode(salt).decode()},i=4096"
    peer.send(backend.auth(11, server_first.encode()))
    _, client_final = peer.read_message()
    without_proof = client_final.decode().rsplit(",p=", 1)[0]
    salted = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt, 4096)
    auth_message = f"{client_first_bare},{server_first},{without_proof}"
    signature = _hmac(_hmac(salted, "Server Key"), auth_message)
    if forge_nonce or forge_signature:
        signature = bytes(32 - len(b"forged")) + b"forged"
    server_final = "v=" + base64.b64encode(signature).decode()
    peer.send(backend.auth(12, server_final.encode()) + backend.auth(0) + AFTER_AUTHENTICATION)
    next_query(peer)
    peer.hold()


def test_a_scram_nonce_that_does_not_extend_the_clients_is_refused(driver):
    with fake_server(lambda peer: scram_exchange(peer, forge_nonce=True)) as server:
        expect_driver_error(driver, lambda: driver.connect(**server.params()), "nonce")


def test_a_forged_scram_server_signature_is_refused(driver):
    with fake_server(lambda peer: scram_exchange(peer, forge_signature=True)) as server:
        expect_driver_error(
            driver,
            lambda: driver.connect(**server.params()),
            "server signature|could not prove it knows the password",
        )


def test_an_honest_scram_server_is_accepted(driver):
    """The control for the two forgeries: the same exchange, unforged, connects."""
    with fake_server(scram_exchange) as server:
        conn = driver.connect(**server.params())
        assert not conn.closed
        conn.close()


# --- errors without the usual fields -------------------------------------------------------


def test_a_startup_error_response_without_fields_is_still_an_error(driver):
    def script(peer: Peer) -> None:
        peer.read_startup()
        peer.send(backend.message(b"E", b"\0"))

    with fake_server(script) as server:
        expect_driver_error(driver, lambda: driver.connect(**server.params()), ".")


def test_a_startup_error_response_without_fields_says_so(pure_driver):
    def script(peer: Peer) -> None:
        peer.read_startup()
        peer.send(backend.message(b"E", b"\0"))

    with fake_server(script) as server:
        exc = expect_driver_error(
            pure_driver, lambda: pure_driver.connect(**server.params()), "without a message"
        )
    assert isinstance(exc, pure_driver.module.OperationalError)


def test_a_query_error_response_with_only_a_message_keeps_the_message(driver):
    reply = backend.fields(b"E", M="something odd happened") + backend.ready()
    conn = expect_query_error(driver, after_first_query(reply, close=False), "something odd")
    conn.close()


# --- the server goes away or goes silent ---------------------------------------------------


def test_a_server_closing_right_after_startup_fails_the_first_query(driver):
    def script(peer: Peer) -> None:
        peer.accept_startup()
        try:
            next_query(peer)
        finally:
            peer.close()

    def close_after_probe(peer: Peer) -> None:
        peer.accept_startup()
        peer.close()

    chosen = script if driver.name == FACADE_PSYCOPG2 else close_after_probe
    conn = expect_query_error(
        driver, chosen, "server closed the connection unexpectedly|connection.*(lost|closed)"
    )
    assert_closed(conn)


def test_a_silent_server_fails_the_connection_at_connect_timeout(driver):
    def silent(peer: Peer) -> None:
        peer.read_startup()
        peer.hold()

    with fake_server(silent) as server:
        expect_driver_error(
            driver,
            lambda: driver.connect(**server.params(connect_timeout="2")),
            "timeout expired",
        )


def test_a_silent_server_fails_a_query_at_the_clients_timeout():
    driver = client_driver(PUREPG)

    def silent_after_query(peer: Peer) -> None:
        peer.accept_startup()
        next_query(peer)
        peer.hold()

    with fake_server(silent_after_query) as server:
        conn = driver.connect(
            **server.params(connect_timeout="2"), statement_timeout=1000, socket_timeout=2
        )
        conn.autocommit = True
        outcome: list[BaseException] = []

        def query() -> None:
            try:
                conn.cursor().execute("SELECT 1")
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=query, daemon=True)
        thread.start()
        thread.join(SILENT_QUERY_LIMIT)
        hung = thread.is_alive()
        server.stop()  # releases a hung client
        thread.join(5)
    assert not hung, f"the query still waits after {SILENT_QUERY_LIMIT}s: no client-side timeout"
    assert outcome
    assert isinstance(outcome[0], driver.module.OperationalError)


# --- malformed results ---------------------------------------------------------------------


def test_a_data_row_with_more_columns_than_described_is_refused(driver):
    reply = (
        backend.row_description(("n", 23))
        + backend.data_row(b"1", b"2")
        + backend.command_complete("SELECT 1")
        + backend.ready()
    )
    expect_query_error(
        driver, after_first_query(reply, close=False), "2 columns|unexpected field count"
    )


def test_a_data_row_with_more_columns_than_described_closes_the_connection(pure_driver):
    reply = (
        backend.row_description(("n", 23))
        + backend.data_row(b"1", b"2")
        + backend.command_complete("SELECT 1")
        + backend.ready()
    )
    conn = expect_query_error(pure_driver, after_first_query(reply, close=False), "2 columns")
    assert_closed(conn)


@pytest.mark.parametrize(
    "client",
    [
        PUREPG,
        FACADE_PUREPG,
        FACADE_PSYCOPG2,
    ],
)
def test_invalid_utf8_in_a_text_column_is_a_data_error(client):
    driver = client_driver(client)
    reply = (
        backend.row_description(("t", 25))
        + backend.data_row(b"ok \xff\xfe not utf-8")
        + backend.command_complete("SELECT 1")
        + backend.ready()
    )
    expect_query_error(driver, after_first_query(reply, close=False), "utf-8|decode|encoding")


# --- TLS negotiation -----------------------------------------------------------------------


def test_garbage_after_the_ssl_acceptance_fails_the_tls_handshake(driver):
    def script(peer: Peer) -> None:
        peer.read_packet()  # SSLRequest
        peer.send(b"S")
        peer.recv_exact(5)  # the start of the ClientHello
        peer.send(b"this is not TLS at all\r\n" * 8)
        peer.hold()

    with fake_server(script) as server:
        expect_driver_error(
            driver, lambda: driver.connect(**server.params(sslmode="require")), "SSL"
        )


@pytest.mark.parametrize("sslmode", ["require", "verify-ca", "verify-full"])
def test_a_server_refusing_tls_is_refused_when_tls_is_required(driver, sslmode, tmp_path):
    def script(peer: Peer) -> None:
        peer.read_startup(ssl_answer=b"N")
        peer.send(
            backend.auth(0) + AFTER_AUTHENTICATION
        )  # a downgraded server happily lets the client in
        peer.hold()

    with fake_server(script) as server:
        params = server.params(sslmode=sslmode)
        if sslmode != "require":
            ca_file = tmp_path / "ca.pem"
            trustme.CA().cert_pem.write_to_path(str(ca_file))
            params["sslrootcert"] = str(ca_file)
        expect_driver_error(
            driver,
            lambda: driver.connect(**params),
            "server does not support SSL, but SSL was required",
        )
