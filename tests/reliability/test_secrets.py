"""Passwords never show: not in exception messages, tracebacks, reprs, logs.

Each test uses a distinctive password and searches everything a user could print or log.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest

from tests.purepg import protocol_backend as backend
from tests.reliability.clients import ALL_CLIENTS, client_driver
from tests.reliability.fake_server import Peer, fake_server

SECRET = "Zebra-Quokka-7731-secret"


@pytest.fixture(params=ALL_CLIENTS)
def driver(request: pytest.FixtureRequest) -> Any:
    return client_driver(request.param)


def everything_printed(exc: BaseException) -> str:
    """str, repr, the full formatted traceback (with chained causes) and the args."""
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc)), repr(exc.args)]
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        parts += [str(cause), repr(cause)]
        cause = cause.__cause__ or cause.__context__
    return "\n".join(parts)


def connect_failure(driver: Any, **params: str) -> BaseException:
    with pytest.raises(BaseException) as caught:
        driver.connect(**params)
    assert isinstance(caught.value, driver.module.Error), repr(caught.value)
    return caught.value


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_a_wrong_password_is_not_shown(driver, pg_cluster, logs):
    params = pg_cluster.params("scram-sha-256", password=SECRET)
    exc = connect_failure(driver, **params)
    assert getattr(exc, "sqlstate", None) == "28P01"
    assert SECRET not in everything_printed(exc)
    assert SECRET not in logs.text


def test_the_password_of_a_dead_host_is_not_shown(driver, logs):
    with fake_server(lambda peer: None) as server:  # accepts, then closes at once
        params = server.params(password=SECRET)
    exc = connect_failure(driver, **params)  # the port is closed now
    assert SECRET not in everything_printed(exc)
    assert SECRET not in logs.text


def test_a_password_in_a_dsn_is_not_shown_when_connecting_fails(driver, logs):
    with fake_server(lambda peer: None) as server:
        dsn = f"host=127.0.0.1 port={server.port} user=u dbname=d password={SECRET}"
    with pytest.raises(BaseException) as caught:
        driver.connect_function(dsn, sslmode="disable", connect_timeout="2")
    assert isinstance(caught.value, driver.module.Error), repr(caught.value)
    assert SECRET not in everything_printed(caught.value)
    assert SECRET not in logs.text


def test_a_password_rejected_by_the_server_is_not_shown(driver, logs):
    """A server that refuses the cleartext password it just received."""

    def script(peer: Peer) -> None:
        peer.read_startup()
        peer.send(backend.auth(3))
        peer.read_message()
        peer.send(backend.error("28P01", 'password authentication failed for user "u"', "FATAL"))

    with fake_server(script) as server:
        exc = connect_failure(driver, **server.params(password=SECRET))
    assert SECRET not in everything_printed(exc)
    assert SECRET not in logs.text


def test_an_open_connection_does_not_show_its_password(driver, pg_cluster, logs):
    password = pg_cluster.params("scram-sha-256")["password"]
    conn = driver.connect(**pg_cluster.params("scram-sha-256"))
    try:
        shown = [repr(conn), str(conn), str(getattr(conn, "dsn", ""))]
        info = getattr(conn, "info", None)
        if info is not None:
            shown.append(repr(info))
        cursor = conn.cursor()
        shown.append(repr(cursor))
        with pytest.raises(BaseException) as caught:
            cursor.execute("SELECT * FROM no_such_table")
        shown.append(everything_printed(caught.value))
    finally:
        conn.close()
    shown.append(repr(conn))
    text = "\n".join(shown)
    assert password not in text
    assert password not in logs.text


def test_resolved_connection_parameters_do_not_show_the_password():
    from purepg.conninfo import resolve

    params = resolve(None, {"host": "127.0.0.1", "user": "u", "password": SECRET})
    assert SECRET not in repr(params)
    assert SECRET not in str(params)


def test_facade_settings_do_not_show_the_password():
    import pgfacade

    settings = pgfacade.Settings.from_arguments(
        f"host=db.example user=u password={SECRET}", {"password": SECRET}
    )
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)


def test_a_server_that_echoes_the_password_in_its_error_does_not_show_it(driver, logs):
    """A hostile (or careless) server repeats the cleartext password it received in every
    field of its error: the client masks it and keeps the rest of the message."""

    def script(peer: Peer) -> None:
        peer.read_startup()
        peer.send(backend.auth(3))
        peer.read_message()
        echoed = f'password "{SECRET}" is wrong'
        peer.send(
            backend.fields(b"E", S="FATAL", V="FATAL", C="28P01", M=echoed, D=echoed, H=echoed)
        )

    with fake_server(script) as server:
        exc = connect_failure(driver, **server.params(password=SECRET))
    assert "is wrong" in str(exc)
    assert SECRET not in everything_printed(exc)
    assert SECRET not in repr(getattr(exc, "fields", {}))
    assert SECRET not in logs.text


@pytest.mark.parametrize(
    "uri",
    [
        f"postgresql://u:{SECRET}%zz@127.0.0.1:1/db",
        f"postgresql://u@127.0.0.1:1/db?password={SECRET}%zz",
    ],
    ids=["user-info", "query"],
)
def test_a_password_with_a_bad_percent_escape_in_a_uri_is_not_shown(driver, logs, uri):
    with pytest.raises(BaseException) as caught:
        driver.connect_function(uri)
    assert isinstance(caught.value, driver.module.Error), repr(caught.value)
    assert "percent" in str(caught.value)
    assert SECRET not in everything_printed(caught.value)
    assert SECRET not in logs.text


def test_a_password_of_the_wrong_type_is_not_shown_by_the_facade(logs):
    import pgfacade

    with pytest.raises(TypeError, match="'password' must be a str or int, not bytes") as caught:
        pgfacade.connect(host="127.0.0.1", port=1, user="u", password=SECRET.encode())
    assert SECRET not in everything_printed(caught.value)
    assert SECRET not in logs.text


@pytest.mark.parametrize("form", ["conninfo", "uri"])
def test_a_connection_opened_with_a_dsn_does_not_show_its_password(driver, pg_cluster, form):
    params = pg_cluster.params("scram-sha-256")
    password = params["password"]
    if form == "conninfo":
        dsn = " ".join(f"{key}='{value}'" for key, value in params.items())
    else:
        rest = "&".join(
            f"{key}={value}"
            for key, value in params.items()
            if key not in ("user", "password", "host", "port", "dbname")
        )
        dsn = (
            f"postgresql://{params['user']}:{password}@{params['host']}:{params['port']}/"
            f"{params['dbname']}?{rest}"
        )
    conn = driver.connect_function(dsn)
    try:
        shown = "\n".join([repr(conn), str(conn), str(getattr(conn, "dsn", ""))])
    finally:
        conn.close()
    assert password not in shown
