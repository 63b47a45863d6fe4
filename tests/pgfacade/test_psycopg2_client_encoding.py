"""Over psycopg2, pgfacade keeps purepg's client encoding rule for psycopg2's own API too:
``set_client_encoding()`` accepts UTF8 only (any other would be refused by the next statement
anyway, with the connection closed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pgfacade
import pytest


@pytest.fixture
def connection(psycopg2_module: Any, params: dict[str, Any]) -> Iterator[Any]:
    connection = pgfacade.connect(driver="psycopg2", **params)
    yield connection
    connection.close()


def test_set_client_encoding_refuses_another_encoding_naming_it(connection: Any) -> None:
    with pytest.raises(pgfacade.NotSupportedError, match="client_encoding='LATIN1'"):
        connection.set_client_encoding("LATIN1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('client_encoding')")
        assert cursor.fetchall() == [("UTF8",)]


def test_set_client_encoding_accepts_utf8(connection: Any) -> None:
    connection.set_client_encoding("utf-8")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'café'")
        assert cursor.fetchall() == [("café",)]
