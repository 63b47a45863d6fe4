"""Protocol 3.2 behind min_protocol_version/max_protocol_version, against real servers:
PostgreSQL 18 speaks 3.2 (longer cancel key), older servers answer NegotiateProtocolVersion
and purepg falls back to 3.0 or refuses, as libpq 18 does."""

from __future__ import annotations

import purepg
import pytest
from purepg import errors

from tests.purepg.test_connection_server import cancel_once_running

SPEAKS_3_2 = 18
"""The first PostgreSQL major version that speaks protocol 3.2."""


@pytest.fixture
def params(pg_cluster):
    return pg_cluster.params("scram-sha-256")


def _protocol_minor(conn: purepg.Connection) -> int:
    return conn._machine.protocol_minor


def test_protocol_3_0_is_requested_by_default(params):
    with purepg.connect(**params) as conn:
        assert _protocol_minor(conn) == 0
        assert conn._machine.backend_key is not None
        assert len(conn._machine.backend_key) == 4


def test_max_protocol_version_latest_negotiates_what_the_server_speaks(params, pg_cluster):
    with purepg.connect(**params, max_protocol_version="latest") as conn:
        expected = 2 if pg_cluster.major >= SPEAKS_3_2 else 0
        assert _protocol_minor(conn) == expected
        conn.cursor().execute("SELECT 1")


def test_min_protocol_version_3_2_needs_a_server_that_speaks_it(params, pg_cluster):
    if pg_cluster.major >= SPEAKS_3_2:
        with purepg.connect(**params, min_protocol_version="3.2") as conn:
            assert _protocol_minor(conn) == 2
        return
    with pytest.raises(errors.OperationalError, match=r'"min_protocol_version" was set to 3\.2'):
        purepg.connect(**params, min_protocol_version="3.2")


def test_cancel_works_with_the_negotiated_cancel_key(params):
    with purepg.connect(**params, max_protocol_version="latest") as conn:
        thread = cancel_once_running(conn, params)
        with pytest.raises(errors.QueryCanceled):
            conn.cursor().execute("SELECT pg_sleep(60)")
        thread.join()


async def _aio_protocol_and_cancel(params) -> int:
    import asyncio

    from purepg import aio

    conn = await aio.connect(**params, max_protocol_version="latest")
    try:
        query = asyncio.ensure_future(conn.cursor().execute("SELECT pg_sleep(60)"))
        watcher = await aio.connect(**params)
        try:
            cur = watcher.cursor()
            running = 0
            while not running:
                await cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND state = 'active'",
                    (conn.backend_pid,),
                )
                (running,) = (await cur.fetchall())[0]
        finally:
            await watcher.close()
        await conn.cancel()
        with pytest.raises(errors.QueryCanceled):
            await query
        return conn._machine.protocol_minor
    finally:
        await conn.close()


def test_aio_negotiates_and_cancels_like_the_blocking_driver(params, pg_cluster):
    import asyncio

    minor = asyncio.run(_aio_protocol_and_cancel(params))
    assert minor == (2 if pg_cluster.major >= SPEAKS_3_2 else 0)
