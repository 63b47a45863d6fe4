"""The clusters the harness starts: every auth mode connects, the negative cases fail."""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest

from tests.harness import auth_modes
from tests.harness.auth_modes import MODES
from tests.harness.cluster import Cluster, ClusterError

PASSWORD_MODES = [name for name, mode in MODES.items() if mode.password is not None]
TLS_MODES = [name for name, mode in MODES.items() if mode.sslmode != "disable"]


def connect(params: dict[str, str]) -> Any:
    # types-psycopg2's overloads reject ``**dict[str, str]`` although libpq keywords are str.
    return psycopg2.connect(**params)  # type: ignore[call-overload]


def query_one(params: dict[str, str], sql: str) -> tuple[Any, ...]:
    connection = connect(params)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
            assert row is not None
            return tuple(row)
    finally:
        connection.close()


def session_facts(params: dict[str, str]) -> tuple[Any, ...]:
    return query_one(
        params,
        "SELECT current_user, current_database(), ssl FROM pg_stat_ssl"
        " WHERE pid = pg_backend_pid()",
    )


def test_each_auth_mode_connects_as_its_own_role(pg_cluster, auth_mode):
    mode = MODES[auth_mode]

    user, database, ssl = session_facts(pg_cluster.params(auth_mode))

    assert (user, database) == (mode.role, "conformance")
    assert ssl == (mode.sslmode != "disable")


def test_params_overrides_replace_mode_defaults(pg_cluster):
    params = pg_cluster.params("scram-sha-256", application_name="harness-check")

    assert query_one(params, "SHOW application_name") == ("harness-check",)


def test_admin_params_connect_as_superuser_over_the_unix_socket(pg_cluster):
    user, is_superuser, address = query_one(
        pg_cluster.admin_params(),
        "SELECT current_user, current_setting('is_superuser'), inet_client_addr()",
    )

    assert (user, is_superuser, address) == ("postgres", "on", None)


def test_server_version_matches_the_requested_major(pg_cluster, pg_major):
    (version,) = query_one(pg_cluster.admin_params(), "SHOW server_version")

    assert version == pg_cluster.version
    assert version.split(".")[0] == str(pg_major) == str(pg_cluster.major)


def test_conformance_database_has_hstore(pg_cluster):
    assert query_one(pg_cluster.params("scram-sha-256"), "SELECT 'a=>1'::hstore -> 'a'") == ("1",)


def test_md5_role_password_is_stored_as_md5(pg_cluster):
    (stored,) = query_one(
        pg_cluster.admin_params(), "SELECT rolpassword FROM pg_authid WHERE rolname = 'md5_user'"
    )

    assert stored.startswith("md5")


def test_scram_roles_passwords_are_stored_as_scram(pg_cluster):
    (count,) = query_one(
        pg_cluster.admin_params(),
        "SELECT count(*) FROM pg_authid WHERE rolname IN"
        " ('scram_user', 'scram_plus_user', 'verify_full_user')"
        " AND rolpassword LIKE 'SCRAM-SHA-256$%'",
    )

    assert count == 3


def test_scram_plus_mode_uses_channel_binding(pg_cluster):
    params = pg_cluster.params("scram-sha-256-plus")

    assert params["channel_binding"] == "require"
    assert session_facts(params)[2] is True


@pytest.mark.parametrize("mode", PASSWORD_MODES)
def test_wrong_password_is_rejected(pg_cluster, mode):
    params = auth_modes.with_wrong_password(pg_cluster.params(mode))

    with pytest.raises(psycopg2.OperationalError, match="authentication failed"):
        connect(params)


def test_client_certificate_from_untrusted_ca_is_rejected(pg_cluster):
    params = auth_modes.with_untrusted_client_cert(pg_cluster.params("cert"), pg_cluster.pki)

    with pytest.raises(psycopg2.OperationalError):
        connect(params)


def test_cert_mode_without_client_certificate_is_rejected(pg_cluster):
    params = auth_modes.without_client_cert(pg_cluster.params("cert"))

    with pytest.raises(psycopg2.OperationalError, match="certificate"):
        connect(params)


@pytest.mark.parametrize("mode", TLS_MODES)
def test_server_certificate_fails_verification_against_untrusted_ca(pg_cluster, mode):
    params = auth_modes.with_unverifiable_server(pg_cluster.params(mode), pg_cluster.pki)

    with pytest.raises(psycopg2.OperationalError, match="certificate verify failed"):
        connect(params)


def test_ssl_disabled_turns_tls_off_and_back_on(pg_cluster):
    tls_params = pg_cluster.params("verify-full")
    plain_params = pg_cluster.params("scram-sha-256", sslmode="prefer")

    with pg_cluster.ssl_disabled():
        assert session_facts(plain_params)[2] is False
        with pytest.raises(psycopg2.OperationalError, match="does not support SSL"):
            connect(tls_params)

    assert session_facts(tls_params)[2] is True


def test_unknown_auth_mode_is_refused_with_the_known_ones(pg_cluster):
    with pytest.raises(ValueError, match=r"unknown auth mode 'kerberos'.*scram-sha-256"):
        pg_cluster.params("kerberos")


def test_start_failure_reports_the_server_log(pg_major):
    cluster = Cluster(pg_major, settings={"ssl_cert_file": "'/nonexistent/server.crt'"})

    with pytest.raises(ClusterError, match="could not load server certificate file"):
        cluster.start()

    assert not cluster.running
    assert not cluster.run_dir.exists()


def test_stop_removes_server_and_files(pg_major):
    cluster = Cluster(pg_major)
    cluster.start()
    run_dir = cluster.run_dir

    cluster.stop()

    assert not cluster.running
    assert not run_dir.exists()


def count_probe_rows(cluster: Cluster) -> int:
    conn = connect(cluster.admin_params())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM restart_probe")
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def test_restart_and_crash_restart_keep_port_and_committed_data(pg_major):
    with Cluster(pg_major) as cluster:
        port = cluster.port
        conn = connect(cluster.admin_params())
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE restart_probe (n int)")
            cur.execute("INSERT INTO restart_probe VALUES (1)")
        conn.commit()
        conn.close()
        cluster.restart()
        assert (cluster.port, count_probe_rows(cluster)) == (port, 1)
        cluster.restart(crash=True)
        assert (cluster.port, count_probe_rows(cluster)) == (port, 1)
