"""The messages a Lambda user meets first say what happened and what to set.

A psycopg2 that is present but broken is a WARNING naming the import error; a connection with
nothing that names a server says "no host configured" (at once in AWS Lambda, after libpq's
default Unix socket failed elsewhere); a certificate failure under the ``sslmode=verify-full``
that pgfacade chose for a remote host says that pgfacade chose it and how to change it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pgfacade
import pytest

from .conftest import SCRAM

NO_HOST = "no host configured: set PGHOST, DATABASE_URL or secret_id"
CHOSE_TLS = "pgfacade chose sslmode=verify-full because the host (db.example.com) is not local"


@pytest.fixture
def nothing_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No PG* variable, no DATABASE_URL; PGPORT points the default socket at nobody."""
    for name in list(os.environ):
        if name.startswith(("PG", "AWS_LAMBDA")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PGPORT", "1")  # .s.PGSQL.1: no server listens on that socket
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "5")
    monkeypatch.setenv("HOME", str(tmp_path))
    yield


def broken_psycopg2(directory: Path) -> Path:
    """A ``psycopg2`` package without its compiled module, as a zip built elsewhere ships it."""
    package = directory / "psycopg2"
    package.mkdir()
    (package / "__init__.py").write_text("from psycopg2._psycopg import BINARY\n")
    return directory


def environment_with(directory: Path) -> dict[str, str]:
    """This environment with ``directory`` first on the path and no driver forced."""
    environment = {key: value for key, value in os.environ.items() if key != "PGFACADE_DRIVER"}
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(directory), environment.get("PYTHONPATH")])
    )
    return environment


def test_a_psycopg2_that_fails_to_import_is_a_warning_naming_the_import_error(
    tmp_path: Path,
) -> None:
    code = """
        import json, logging, sys
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
        import pgfacade
        print(json.dumps(pgfacade.driver_info()))
    """
    environment = environment_with(broken_psycopg2(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )

    assert result.returncode == 0, result.stderr
    assert "WARNING psycopg2 is installed but failed to import" in result.stderr
    assert "No module named 'psycopg2._psycopg'" in result.stderr
    assert "PGFACADE_DRIVER=purepg" in result.stderr


def test_driver_info_shows_why_a_present_psycopg2_was_not_used(tmp_path: Path) -> None:
    code = "import json, pgfacade; print(json.dumps(pgfacade.driver_info()))"
    environment = environment_with(broken_psycopg2(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=environment
    )

    assert result.returncode == 0, result.stderr
    assert "psycopg2 is installed but failed to import" in result.stdout
    assert "psycopg2._psycopg" in result.stdout


def test_an_absent_psycopg2_is_no_warning() -> None:
    code = """
        import logging, sys
        logging.basicConfig(level=logging.WARNING)
        sys.modules["psycopg2"] = None
        import pgfacade
        print(pgfacade.driver_info()["driver"])
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "purepg"
    assert result.stderr == ""


def test_in_lambda_nothing_configured_says_no_host_configured(
    backend: str, nothing_configured: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "handler")

    with pytest.raises(pgfacade.OperationalError, match=NO_HOST) as raised:
        pgfacade.connect(driver=backend)

    assert "socket" not in str(raised.value).split(";")[0]


def test_outside_lambda_a_failed_default_socket_says_no_host_configured(
    backend: str, nothing_configured: None
) -> None:
    with pytest.raises(pgfacade.OperationalError, match=NO_HOST) as raised:
        pgfacade.connect(driver=backend)

    assert ".s.PGSQL.1" in str(raised.value)  # what libpq tried is still said


def test_a_socket_directory_in_pghost_is_a_configuration_not_nothing(
    backend: str, nothing_configured: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "handler")
    monkeypatch.setenv("PGHOST", str(tmp_path))

    with pytest.raises(pgfacade.OperationalError) as raised:
        pgfacade.connect(driver=backend)

    assert NO_HOST not in str(raised.value)
    assert str(tmp_path) in str(raised.value)


def _remote_named(pg_cluster: Any, **overrides: str) -> dict[str, Any]:
    """The cluster's parameters under a remote host name (reached through ``hostaddr``)."""
    params = dict(pg_cluster.params(SCRAM))
    params.pop("sslmode", None)
    params.update(hostaddr=params["host"], host="db.example.com", **overrides)
    return params


def _failure_under_verify_full(backend: str, params: dict[str, Any]) -> Exception:
    """The real error of ``sslmode=verify-full`` with ``params``. The tests reach only loopback
    addresses, which pgfacade rightly treats as local (no TLS chosen), so the connection asks
    for verify-full itself and the explanation is then applied as for a chosen one."""
    with pytest.raises(pgfacade.OperationalError) as raised:
        pgfacade.connect(driver=backend, sslmode="verify-full", **params)
    return raised.value


def test_pgfacade_chooses_verify_full_only_when_the_connected_address_is_remote() -> None:
    from pgfacade.settings import with_tls_default

    remote = with_tls_default({"host": "db.example.com"}, environ={})
    local_by_address = with_tls_default(
        {"host": "db.example.com", "hostaddr": "127.0.0.2"}, environ={}
    )

    assert remote["sslmode"] == "verify-full"
    assert "sslmode" not in local_by_address


def test_a_certificate_failure_under_the_chosen_verify_full_says_pgfacade_chose_it(
    backend: str, pg_cluster: Any, nothing_configured: None
) -> None:
    from pgfacade.explain import why_it_failed

    params = _remote_named(pg_cluster, sslrootcert=str(pg_cluster.pki.ca_cert))
    failure = _failure_under_verify_full(backend, params)

    message = str(why_it_failed(failure, params, chose_tls=True))
    assert CHOSE_TLS in message
    assert "sslrootcert=" in message and "PGSSLMODE" in message


def test_a_missing_root_certificate_under_the_chosen_verify_full_says_pgfacade_chose_it(
    backend: str, pg_cluster: Any, nothing_configured: None
) -> None:
    from pgfacade.explain import why_it_failed

    params = _remote_named(pg_cluster)
    failure = _failure_under_verify_full(backend, params)

    message = str(why_it_failed(failure, params, chose_tls=True))
    assert "root certificate file" in message
    assert CHOSE_TLS in message


def test_a_verify_full_the_user_chose_is_not_blamed_on_pgfacade(
    backend: str, pg_cluster: Any, nothing_configured: None
) -> None:
    params = _remote_named(
        pg_cluster, sslmode="verify-full", sslrootcert=str(pg_cluster.pki.ca_cert)
    )

    with pytest.raises(pgfacade.OperationalError) as raised:
        pgfacade.connect(driver=backend, **params)

    assert "pgfacade chose" not in str(raised.value)
