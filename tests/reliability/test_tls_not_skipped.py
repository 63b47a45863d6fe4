"""Whoever asks for TLS gets TLS or an error, never plain text: purepg given an ``ssl_context``
(blocking and asyncio) behaves as ``sslmode=require`` at least, and pgfacade decides "local,
so no TLS" from the address it connects to (``hostaddr``), not from the name in ``host``."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import purepg
import purepg.aio
import pytest
from pgfacade.settings import with_tls_default

from tests.reliability.fake_server import (
    GSSENC_REQUEST_CODE,
    SSL_REQUEST_CODE,
    Peer,
    Script,
    fake_server,
)


def plain_text_recorder(ssl_answer: bytes) -> tuple[list[int], Script]:
    """A server script answering an SSLRequest with ``ssl_answer`` ('N': no TLS here; 'S'
    followed by bytes that are no TLS handshake) and recording each plain-text StartupMessage
    a client sends (a client that wanted TLS must send none)."""
    startups: list[int] = []

    def script(peer: Peer) -> None:
        while True:
            code, _ = peer.read_packet()
            if code == GSSENC_REQUEST_CODE:
                peer.send(b"N")
            elif code == SSL_REQUEST_CODE:
                peer.send(ssl_answer)
                if ssl_answer != b"N":
                    peer.send(b"this is not a TLS handshake" * 20)
                    return
            else:
                startups.append(code)
                return

    return startups, script


def without_sslmode(params: dict[str, str]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if key != "sslmode"}


def client_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.mark.parametrize("ssl_answer", [b"N", b"S"], ids=["server-refuses-tls", "bad-handshake"])
def test_an_ssl_context_without_sslmode_never_falls_back_to_plain_text(ssl_answer):
    startups, script = plain_text_recorder(ssl_answer)
    with fake_server(script) as server, pytest.raises(purepg.OperationalError):
        purepg.connect(**without_sslmode(server.params()), ssl_context=client_context())
    assert startups == []


@pytest.mark.parametrize("ssl_answer", [b"N", b"S"], ids=["server-refuses-tls", "bad-handshake"])
def test_an_ssl_context_without_sslmode_never_falls_back_to_plain_text_in_asyncio(ssl_answer):
    startups, script = plain_text_recorder(ssl_answer)

    async def connect(params: dict[str, Any]) -> None:
        connection = await purepg.aio.connect(**params, ssl_context=client_context())
        await connection.close()

    with fake_server(script) as server, pytest.raises(purepg.OperationalError):
        asyncio.run(connect(without_sslmode(server.params())))
    assert startups == []


def test_an_ssl_context_with_sslmode_disable_is_refused_naming_both():
    with pytest.raises(purepg.ProgrammingError, match=r"ssl_context.*sslmode=disable"):
        purepg.connect(host="127.0.0.1", port=1, sslmode="disable", ssl_context=client_context())


@pytest.mark.parametrize(
    "params",
    [
        {"host": "localhost", "hostaddr": "10.1.2.3"},
        {"host": "localhost,localhost", "hostaddr": "127.0.0.1,192.0.2.7"},
    ],
)
def test_the_facade_verifies_tls_when_the_address_connected_to_is_remote(params):
    assert with_tls_default(params, environ={})["sslmode"] == "verify-full"


def test_the_facade_verifies_tls_when_pghostaddr_is_remote_behind_a_local_pghost():
    environ = {"PGHOST": "localhost", "PGHOSTADDR": "10.1.2.3"}
    assert with_tls_default({}, environ=environ)["sslmode"] == "verify-full"


def test_the_facade_leaves_sslmode_alone_when_every_address_is_local():
    params = {"host": "db.example.com", "hostaddr": "127.0.0.1"}
    assert "sslmode" not in with_tls_default(params, environ={})
