"""A Unix socket that cannot be reached fails the same way, in libpq's words, on the blocking
and the asyncio transport (both word it through ``purepg.io.plan``)."""

from __future__ import annotations

import asyncio
from typing import Any

import purepg
import purepg.aio
import pytest


def missing_socket_params(tmp_path) -> dict[str, Any]:
    return {"host": str(tmp_path), "port": 5999, "user": "nobody", "connect_timeout": 5}


def test_a_missing_unix_socket_names_the_path_and_the_reason(tmp_path):
    with pytest.raises(purepg.OperationalError) as caught:
        purepg.connect(**missing_socket_params(tmp_path))
    path = tmp_path / ".s.PGSQL.5999"
    assert str(caught.value) == (
        f'connection to server on socket "{path}" failed: No such file or directory'
    )


def test_the_asyncio_transport_words_a_missing_unix_socket_the_same(tmp_path):
    with pytest.raises(purepg.OperationalError) as blocking:
        purepg.connect(**missing_socket_params(tmp_path))
    with pytest.raises(purepg.OperationalError) as asynchronous:
        asyncio.run(purepg.aio.connect(**missing_socket_params(tmp_path)))
    assert str(asynchronous.value) == str(blocking.value)
