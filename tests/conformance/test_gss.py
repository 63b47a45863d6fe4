"""The ``gss`` column: Kerberos (GSSAPI) logins against a server with GSSAPI and an MIT KDC.

Every driver whose client side has GSSAPI logs in with the ticket that ``kinit`` put in
``KRB5CCNAME``, and encrypts with GSSAPI when ``gssencmode`` asks (libpq's order: GSSENCRequest
before SSLRequest): psycopg2-binary's libpq, purepg with ``purepg[gss]``, pgfacade over both. A
libpq built without GSSAPI (the static psycopg2 of lambda-psycopg) refuses with libpq's own
error, and that is what its cell checks. Bad Kerberos setups (no ticket, a wrong service
name, clock skew, no KDC) are refused naming the problem, within ``connect_timeout``.
"""

from __future__ import annotations

import time

import pytest

from tests.conformance.drivers import Driver
from tests.conformance.test_auth import assert_refused, query_one
from tests.harness.auth_modes import GSS
from tests.harness.gss_prerequisites import DEBIAN_MAJOR
from tests.harness.kerberos import REALM, USER_PRINCIPAL

pytestmark = [
    pytest.mark.parametrize("pg_major", [DEBIAN_MAJOR], ids=[f"pg{DEBIAN_MAJOR}"], scope="session"),
    pytest.mark.parametrize("auth_mode", [GSS]),
]

LIBPQ_WITHOUT_GSSAPI = "GSSAPI authentication not supported"
"""What libpq says when the server asks for GSSAPI and libpq was built without it."""
CONNECT_TIMEOUT = 5


def has_gssapi(driver: Driver) -> bool:
    """Whether the driver's client side can do GSSAPI.

    libpq refuses ``gssencmode=require`` before connecting when it is built without GSSAPI;
    purepg needs its ``gss`` extra (the ``gssapi`` package).
    """
    if driver.uses_purepg:
        try:
            import gssapi  # noqa: F401
        except ImportError:
            pytest.skip('purepg[gss] is not installed here (the "gss" step of test_all runs it)')
        return True
    import psycopg2

    try:
        psycopg2.connect("host=/nonexistent port=1 gssencmode=require connect_timeout=1")
    except psycopg2.OperationalError as exc:
        return "not compiled in" not in str(exc)
    return True


@pytest.fixture
def gss_driver(driver: Driver) -> Driver:
    """A driver with GSSAPI; the others are covered by the test of libpq's own error."""
    if not has_gssapi(driver):
        pytest.skip(f"{driver.name}: libpq is built without GSSAPI ({LIBPQ_WITHOUT_GSSAPI})")
    return driver


def test_gss_mode_connects_as_the_role_of_the_principal(driver, gss_cluster, pg_major, auth_mode):
    params = gss_cluster.params(auth_mode)
    if not has_gssapi(driver):
        assert_refused(driver, params, LIBPQ_WITHOUT_GSSAPI)
        return
    conn = driver.connect(**params)
    try:
        assert query_one(conn, "SELECT current_user") == params["user"]
        principal = "SELECT principal FROM pg_stat_gssapi WHERE pid = pg_backend_pid()"
        assert query_one(conn, principal) == USER_PRINCIPAL
    finally:
        conn.close()


def test_require_auth_gss_accepts_a_kerberos_login(gss_driver, gss_cluster, pg_major, auth_mode):
    conn = gss_driver.connect(**gss_cluster.params(auth_mode, require_auth="gss"))
    try:
        assert query_one(conn, "SELECT current_user") == "gss_user"
    finally:
        conn.close()


def test_gssencmode_require_encrypts_the_connection(gss_driver, gss_cluster, pg_major, auth_mode):
    conn = gss_driver.connect(**gss_cluster.params(auth_mode, gssencmode="require"))
    try:
        encrypted = "SELECT encrypted FROM pg_stat_gssapi WHERE pid = pg_backend_pid()"
        assert query_one(conn, encrypted) is True
    finally:
        conn.close()


def test_gssencmode_require_is_refused_by_a_server_without_gssapi(
    gss_driver, gss_cluster, pg_cluster, pg_major, auth_mode
):
    # pg_cluster: the npm server of the same major, built without GSSAPI (it answers N).
    params = pg_cluster.params("scram-sha-256", gssencmode="require")
    # libpq: "server doesn't support GSSAPI encryption, but it was required"
    assert_refused(gss_driver, params, "support GSSAPI encryption")


def test_gssencmode_prefer_falls_back_when_the_server_has_no_gssapi(
    gss_driver, gss_cluster, pg_cluster, pg_major, auth_mode
):
    conn = gss_driver.connect(**pg_cluster.params("scram-sha-256", gssencmode="prefer"))
    try:
        assert query_one(conn, "SELECT current_user") == "scram_user"
    finally:
        conn.close()


def test_require_auth_without_gss_refuses_a_kerberos_login(
    gss_driver, gss_cluster, pg_major, auth_mode
):
    # libpq lets a GSS-encrypted channel stand for the login (no GSSAPI request is seen):
    # without encryption every driver sees the server's request.
    params = gss_cluster.params(auth_mode, require_auth="!gss", gssencmode="disable")
    assert_refused(gss_driver, params, "server requested GSSAPI authentication")


def test_no_ticket_is_refused_naming_the_missing_credentials(
    gss_driver, gss_cluster, pg_major, auth_mode, tmp_path, monkeypatch
):
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path / 'empty-cache'}")
    params = gss_cluster.params(auth_mode, connect_timeout=CONNECT_TIMEOUT)
    assert_refused(gss_driver, params, "No Kerberos credentials available")


def test_a_wrong_service_name_is_refused_naming_the_unknown_principal(
    gss_driver, gss_cluster, pg_major, auth_mode
):
    params = gss_cluster.params(auth_mode, krbsrvname="nosuchservice")
    assert_refused(gss_driver, params, "not found in Kerberos database")


def test_clock_skew_is_refused_naming_it(
    gss_driver, gss_cluster, pg_major, auth_mode, tmp_path, monkeypatch
):
    cache = tmp_path / "an-hour-ahead"
    gss_cluster.kerberos.kinit_with_clock_skew(cache, seconds=3600)
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{cache}")
    assert_refused(gss_driver, gss_cluster.params(auth_mode), "Clock skew too great")


def test_an_unreachable_kdc_is_refused_within_connect_timeout(
    gss_driver, gss_cluster, pg_major, auth_mode, tmp_path, monkeypatch
):
    # A fresh ticket cache holds the ticket-granting ticket only: the service ticket needs
    # the KDC, which this configuration places on a port where nothing listens.
    cache = tmp_path / "tgt-only"
    gss_cluster.kerberos.kinit(cache)
    config = gss_cluster.kerberos.config_without_kdc(tmp_path / "krb5.conf")
    monkeypatch.setenv("KRB5_CONFIG", str(config))
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{cache}")
    params = gss_cluster.params(auth_mode, connect_timeout=CONNECT_TIMEOUT)
    started = time.monotonic()
    assert_refused(gss_driver, params, f"Cannot contact any KDC for realm '{REALM}'")
    assert time.monotonic() - started < CONNECT_TIMEOUT * 3
