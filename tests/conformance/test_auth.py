"""Connecting: every auth mode works, and every refused connection raises OperationalError
with a message that names the problem."""

from __future__ import annotations

import pytest

from tests.harness import auth_modes
from tests.harness.auth_modes import get_mode

PASSWORD_MODES = ("password", "md5", "scram-sha-256", "scram-sha-256-plus", "verify-full")


def query_one(conn, sql: str):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def assert_refused(driver, params: dict, *fragments: str) -> None:
    """Connecting with ``params`` raises the driver's OperationalError naming the problem.

    Any one of ``fragments`` must appear in the message (libpq and OpenSSL word some problems
    differently across versions).
    """
    with pytest.raises(driver.module.OperationalError) as caught:
        conn = driver.connect(**params)
        conn.close()
    message = str(caught.value).lower()
    assert any(fragment.lower() in message for fragment in fragments), message


def test_every_auth_mode_connects_as_its_role(driver, pg_cluster, auth_mode):
    params = pg_cluster.params(auth_mode)
    conn = driver.connect(**params)
    try:
        assert query_one(conn, "SELECT current_user") == params["user"]
    finally:
        conn.close()


def test_tls_is_used_exactly_when_the_mode_asks_for_it(driver, pg_cluster, auth_mode):
    conn = driver.connect(**pg_cluster.params(auth_mode))
    try:
        ssl_used = query_one(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    finally:
        conn.close()
    assert ssl_used is (get_mode(auth_mode).sslmode != "disable")


@pytest.mark.parametrize("mode", PASSWORD_MODES)
def test_wrong_password_is_refused(driver, pg_cluster, mode):
    params = auth_modes.with_wrong_password(pg_cluster.params(mode))
    assert_refused(driver, params, "password authentication failed")


def test_client_certificate_from_an_untrusted_ca_is_refused(driver, pg_cluster):
    params = auth_modes.with_untrusted_client_cert(pg_cluster.params("cert"), pg_cluster.pki)
    # The server aborts the handshake with a TLS "unknown ca" alert.
    assert_refused(driver, params, "unknown ca", "certificate")


def test_missing_client_certificate_is_refused(driver, pg_cluster):
    params = auth_modes.without_client_cert(pg_cluster.params("cert"))
    assert_refused(driver, params, "client certificate")


def test_server_certificate_that_fails_verification_is_refused(driver, pg_cluster):
    params = auth_modes.with_unverifiable_server(pg_cluster.params("verify-full"), pg_cluster.pki)
    assert_refused(driver, params, "certificate verify failed")


def test_required_tls_is_refused_by_a_server_without_tls(driver, pg_cluster):
    params = pg_cluster.params("scram-sha-256", sslmode="require")
    with pg_cluster.ssl_disabled():
        assert_refused(driver, params, "server does not support ssl")
