"""Every libpq keyword and PG* variable purepg accepts is enforced with libpq 18's meaning or
refused naming it: requirepeer, sslcertmode=require, PGDATESTYLE/PGTZ/PGGEQO, the protocol
version range, tcp_user_timeout, sslcompression, sslsni, OAuth. Real servers where possible;
a fake TLS server for one that never asks for a client certificate."""

from __future__ import annotations

import asyncio
import os
import pwd
import socket
import ssl

import purepg
import pytest
import trustme
from purepg import aio, errors
from purepg.conninfo import resolve

from tests.purepg import protocol_backend as backend
from tests.reliability.fake_server import FakeServer, Peer

SCRAM = "scram-sha-256"


def run_aio(**params):
    async def scenario() -> None:
        conn = await aio.connect(**params)
        await conn.close()

    asyncio.run(scenario())


@pytest.fixture(params=["blocking", "aio"])
def connects(request):
    """Connect and close with one transport: raises what connecting raised."""

    def attempt(**params):
        if request.param == "aio":
            run_aio(**params)
        else:
            purepg.connect(**params).close()

    return attempt


def server_os_user(pg_cluster) -> str:
    socket_file = os.path.join(str(pg_cluster.socket_dir), f".s.PGSQL.{pg_cluster.port}")
    return pwd.getpwuid(os.stat(socket_file).st_uid).pw_name


# -- requirepeer ----------------------------------------------------------------------------


def test_requirepeer_refuses_a_unix_socket_server_running_as_another_user(pg_cluster, connects):
    actual = server_os_user(pg_cluster)
    with pytest.raises(
        errors.OperationalError,
        match=f'requirepeer specifies "somebody-else", but actual peer user name is "{actual}"',
    ):
        connects(**pg_cluster.admin_params(requirepeer="somebody-else"))


def test_requirepeer_naming_the_server_user_connects(pg_cluster, connects):
    connects(**pg_cluster.admin_params(requirepeer=server_os_user(pg_cluster)))


def test_requirepeer_does_not_apply_over_tcp_as_in_libpq(pg_cluster, connects):
    connects(**pg_cluster.params(SCRAM, requirepeer="somebody-else"))


# -- PGDATESTYLE, PGTZ, PGGEQO ----------------------------------------------------------------


def show(conn: purepg.Connection, setting: str) -> str:
    cur = conn.cursor()
    cur.execute(f"SHOW {setting}")
    row = cur.fetchone()
    assert row is not None
    return str(row[0])


def test_pgtz_pgdatestyle_and_pggeqo_become_session_settings(pg_cluster, monkeypatch):
    monkeypatch.setenv("PGTZ", "Asia/Tokyo")
    monkeypatch.setenv("PGDATESTYLE", "ISO, DMY")
    monkeypatch.setenv("PGGEQO", "off")
    with purepg.connect(**pg_cluster.params(SCRAM)) as conn:
        settings = [show(conn, name) for name in ("TimeZone", "DateStyle", "geqo")]
    assert settings == ["Asia/Tokyo", "ISO, DMY", "off"]


def test_a_pgdatestyle_field_order_alone_keeps_the_iso_output(pg_cluster, monkeypatch):
    monkeypatch.setenv("PGDATESTYLE", "DMY")
    with purepg.connect(**pg_cluster.params(SCRAM)) as conn:
        assert show(conn, "DateStyle") == "ISO, DMY"


def test_a_non_iso_pgdatestyle_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("PGDATESTYLE", "SQL, DMY")
    with pytest.raises(errors.ProgrammingError, match=r'PGDATESTYLE "SQL, DMY" is not supported'):
        purepg.connect(host="/nonexistent", user="u")


# -- sslcertmode=require ----------------------------------------------------------------------


def test_sslcertmode_require_connects_when_the_server_checks_the_certificate(pg_cluster, connects):
    connects(**pg_cluster.params("cert", sslcertmode="require"))


def test_sslcertmode_require_refuses_a_plain_text_connection(pg_cluster, connects):
    with pytest.raises(errors.OperationalError, match="server did not request an SSL certificate"):
        connects(**pg_cluster.params(SCRAM, sslmode="disable", sslcertmode="require"))


@pytest.fixture(scope="module")
def tls_server_context():
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context  # verify_mode CERT_NONE: never asks for a client certificate


def tls_startup(context: ssl.SSLContext):
    def script(peer: Peer) -> None:
        peer.read_packet()  # SSLRequest
        peer.send(b"S")
        peer.sock = context.wrap_socket(peer.sock, server_side=True)
        peer.read_startup()
        peer.send(backend.STARTUP_OK)
        peer.hold()

    return script


def test_sslcertmode_require_refuses_a_server_that_never_asked_for_a_certificate(
    tls_server_context, connects
):
    server = FakeServer(tls_startup(tls_server_context))
    try:
        with pytest.raises(
            errors.OperationalError, match="server did not request an SSL certificate"
        ):
            connects(**server.params(sslmode="require", sslcertmode="require"))
    finally:
        server.stop()


def test_sslcertmode_require_refuses_a_server_that_accepted_no_certificate(connects):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca = trustme.CA()
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_OPTIONAL  # asks, accepts a client without one
    server = FakeServer(tls_startup(context))
    try:
        with pytest.raises(
            errors.OperationalError,
            match="server accepted connection without a valid SSL certificate",
        ):
            connects(**server.params(sslmode="require", sslcertmode="require"))
    finally:
        server.stop()


# -- keywords refused or checked while resolving ---------------------------------------------


@pytest.mark.parametrize(
    "keyword", ["oauth_issuer", "oauth_client_id", "oauth_client_secret", "oauth_scope"]
)
def test_oauth_keywords_are_refused_naming_them(keyword):
    with pytest.raises(errors.ProgrammingError, match=f'"{keyword}" given.*OAuth'):
        resolve(None, {"user": "u", keyword: "x"}, {})


def test_servicefile_is_refused_naming_it():
    with pytest.raises(errors.ProgrammingError, match=r'service file "/etc/pg_service\.conf"'):
        resolve(None, {"user": "u", "servicefile": "/etc/pg_service.conf"}, {})


def test_sslsni_0_with_verify_full_is_refused():
    with pytest.raises(errors.ProgrammingError, match="sslsni=0 cannot be combined"):
        resolve(None, {"user": "u", "sslmode": "verify-full", "sslsni": "0"}, {})


def test_min_protocol_version_above_max_protocol_version_is_refused():
    with pytest.raises(errors.ProgrammingError, match='"min_protocol_version" is greater than'):
        resolve(
            None, {"user": "u", "min_protocol_version": "3.2", "max_protocol_version": "3.0"}, {}
        )


def test_min_protocol_version_3_2_alone_allows_3_2_as_in_libpq_18():
    assert resolve(None, {"user": "u", "min_protocol_version": "3.2"}, {}).protocol_versions == (
        2,
        2,
    )


def test_sslcompression_1_asks_openssl_for_compression():
    from purepg.tls import make_ssl_context

    params = resolve(None, {"user": "u", "sslmode": "require", "sslcompression": "1"}, {})
    context = make_ssl_context(params)
    assert context is not None
    assert not context.options & ssl.OP_NO_COMPRESSION


# -- keywords kept in the audit (guards) -------------------------------------------------------


def test_pgrequiressl_1_means_sslmode_require():
    assert resolve(None, {"user": "u"}, {"PGREQUIRESSL": "1"}).sslmode == "require"


def test_replication_is_sent_in_the_startup_packet():
    from purepg.protocol.flow import startup_parameters

    params = resolve(None, {"user": "u", "replication": "database"}, {})
    assert startup_parameters(params, None)["replication"] == "database"


def test_fallback_application_name_names_the_session(pg_cluster):
    params = pg_cluster.params(SCRAM, fallback_application_name="fallback-app")
    with purepg.connect(**params) as conn:
        assert show(conn, "application_name") == "fallback-app"


# -- TCP options ------------------------------------------------------------------------------


def test_tcp_user_timeout_applies_without_keepalives(pg_cluster):
    params = pg_cluster.params(SCRAM, keepalives="0", tcp_user_timeout="7000")
    with purepg.connect(**params) as conn:
        sock = conn._transport.sock
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 7000
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0
