"""The connection's password never reaches the application in a server's error or notice
text, even when the server echoes it (``RAISE`` of a value), for the whole session."""

from __future__ import annotations

import pytest

from tests.conformance.drivers import PSYCOPG2
from tests.conformance.expectations import Differs, Expectation
from tests.conformance.plugin import CONN_AUTH_MODE

SHOWN = Expectation(
    None,
    False,
    {PSYCOPG2: Differs("psycopg2 shows the server's text as sent", expected=True)},
)


@pytest.fixture
def password(pg_cluster) -> str:
    return pg_cluster.params(CONN_AUTH_MODE)["password"]


def shows(text: str, password: str) -> bool:
    return password in text


def test_a_password_echoed_in_an_error_is_masked(driver, conn, password):
    conn.autocommit = True
    with pytest.raises(driver.module.Error) as caught, conn.cursor() as cur:
        cur.execute(f"DO $$ BEGIN RAISE EXCEPTION 'pw is %', '{password}'; END $$")
    _, expected = SHOWN.for_driver(driver.name)
    texts = [str(caught.value), repr(caught.value)]
    cause = caught.value.__cause__ or caught.value.__context__
    if cause is not None:
        texts += [str(cause), repr(cause)]
    texts += [str(value) for value in getattr(caught.value, "fields", {}).values()]
    assert any(shows(text, password) for text in texts) is expected
    assert "pw is" in str(caught.value)


def test_a_password_echoed_in_a_notice_is_masked(driver, conn, password):
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DO $$ BEGIN RAISE NOTICE 'pw is %', '{password}'; END $$")
    _, expected = SHOWN.for_driver(driver.name)
    assert any("pw is" in notice for notice in conn.notices)
    assert any(shows(notice, password) for notice in conn.notices) is expected
