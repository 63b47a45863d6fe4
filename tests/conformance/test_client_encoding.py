"""Text crosses the wire in UTF8 only: a client encoding other than UTF8 is refused at connect,
wherever it comes from, and a switch mid-session closes the connection before anything is
encoded or decoded with the wrong codec (psycopg2 would go on with the first one and store
``'café'`` as ``'cafÃ©'``)."""

from __future__ import annotations

import pytest

from tests.conformance.drivers import PSYCOPG2
from tests.conformance.expectations import Differs, Expectation
from tests.conformance.plugin import CONN_AUTH_MODE

REFUSED = "refused"
HONOURED = "honoured"
LIBPQ_HONOURS_ANY_ENCODING = "libpq and psycopg2 honour every client encoding the server knows"
REQUESTED_ENCODING = Expectation(
    None, REFUSED, {PSYCOPG2: Differs(LIBPQ_HONOURS_ANY_ENCODING, expected=HONOURED)}
)
SWITCHED_ENCODING = Expectation(
    None,
    REFUSED,
    {
        PSYCOPG2: Differs(
            "psycopg2 keeps encoding and decoding with the first client encoding after a SET",
            expected=HONOURED,
        )
    },
)


@pytest.mark.parametrize(
    "where",
    ["client_encoding", "options", "PGCLIENTENCODING", "PGOPTIONS"],
)
def test_a_client_encoding_other_than_utf8_is_refused_at_connect_naming_it(
    driver, pg_cluster, monkeypatch, where
):
    params = pg_cluster.params(CONN_AUTH_MODE)
    if where == "client_encoding":
        params["client_encoding"] = "LATIN1"
    elif where == "options":
        params["options"] = "-c client_encoding=LATIN1"
    elif where == "PGCLIENTENCODING":
        monkeypatch.setenv("PGCLIENTENCODING", "LATIN1")
    else:
        monkeypatch.setenv("PGOPTIONS", "-c client_encoding=LATIN1")
    _, expected = REQUESTED_ENCODING.for_driver(driver.name)
    try:
        connection = driver.connect(**params)
    except driver.module.NotSupportedError as exc:
        assert "client_encoding" in str(exc)
        assert "LATIN1" in str(exc)
        outcome = REFUSED
    else:
        connection.close()
        outcome = HONOURED
    assert outcome == expected


@pytest.mark.parametrize("spelling", ["UTF8", "utf-8", "unicode"])
def test_utf8_in_any_spelling_is_accepted(driver, pg_cluster, spelling):
    connection = driver.connect(**pg_cluster.params(CONN_AUTH_MODE), client_encoding=spelling)
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 'café'")
            assert cur.fetchall() == [("café",)]
    finally:
        connection.close()


@pytest.mark.parametrize(
    "statement",
    [
        "SET client_encoding TO 'LATIN1'",
        "SET NAMES 'WIN1252'",
        "SELECT set_config('client_encoding', 'LATIN1', false)",
    ],
)
def test_switching_the_client_encoding_mid_session_closes_the_connection(driver, conn, statement):
    conn.autocommit = True
    _, expected = SWITCHED_ENCODING.for_driver(driver.name)
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    except driver.module.NotSupportedError as exc:
        assert "client_encoding" in str(exc)
        assert conn.closed
        outcome = REFUSED
    else:
        outcome = HONOURED
    assert outcome == expected
