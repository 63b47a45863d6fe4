"""purepg.aio against real servers: connecting in every auth mode, queries, transactions,
errors, cancel, LISTEN/NOTIFY, COPY and broken connections."""

from __future__ import annotations

import asyncio
import io

import pytest
from purepg import aio
from purepg.errors import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    QueryCanceled,
    UniqueViolation,
)

from tests.harness.auth_modes import AUTH_MODES


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def params(pg_cluster):
    return pg_cluster.params("scram-sha-256")


@pytest.mark.parametrize("mode", AUTH_MODES)
def test_connects_and_queries_in_every_auth_mode(pg_cluster, mode):
    async def scenario():
        conn = await aio.connect(**pg_cluster.params(mode))
        try:
            cur = conn.cursor()
            await cur.execute(
                "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = %s", [conn.backend_pid]
            )
            return await cur.fetchone()
        finally:
            await conn.close()

    user, tls_used = run(scenario())
    assert user
    assert tls_used == (mode in ("scram-sha-256-plus", "cert", "verify-full"))


def test_execute_binds_parameters_and_fetches_rows(params):
    async def scenario():
        conn = await aio.connect(**params)
        cur = conn.cursor()
        await cur.execute(
            "SELECT n, %(word)s || n FROM generate_series(1, %(count)s) AS n",
            {"word": "row", "count": 3},
        )
        first = await cur.fetchone()
        rest = await cur.fetchall()
        assert cur.description is not None
        description = [column.name for column in cur.description]
        await conn.close()
        return first, rest, description, cur.rowcount

    first, rest, description, rowcount = run(scenario())
    assert first == (1, "row1")
    assert rest == [(2, "row2"), (3, "row3")]
    assert description == ["n", "?column?"]
    assert rowcount == 3


def test_async_for_iterates_the_rows(params):
    async def scenario():
        conn = await aio.connect(**params)
        cur = conn.cursor()
        await cur.execute("SELECT generate_series(1, 4)")
        rows = [row async for row in cur]
        await conn.close()
        return rows

    assert run(scenario()) == [(1,), (2,), (3,), (4,)]


def test_fetchmany_returns_arraysize_rows_by_default(params):
    async def scenario():
        conn = await aio.connect(**params)
        cur = conn.cursor()
        cur.arraysize = 2
        await cur.execute("SELECT generate_series(1, 5)")
        batches = [await cur.fetchmany(), await cur.fetchmany(3), await cur.fetchmany()]
        await conn.close()
        return batches

    assert run(scenario()) == [[(1,), (2,)], [(3,), (4,), (5,)], []]


def test_executemany_counts_the_affected_rows(params):
    async def scenario():
        conn = await aio.connect(**params)
        cur = conn.cursor()
        await cur.execute("CREATE TEMP TABLE items (id int, name text)")
        await cur.executemany("INSERT INTO items VALUES (%s, %s)", [(1, "a"), (2, "b")])
        count = cur.rowcount
        await cur.execute("SELECT name FROM items ORDER BY id")
        rows = await cur.fetchall()
        await conn.close()
        return count, rows

    assert run(scenario()) == (2, [("a",), ("b",)])


def test_async_with_commits_on_success(params):
    async def scenario():
        conn = await aio.connect(**params)
        cur = conn.cursor()
        await cur.execute("CREATE TABLE IF NOT EXISTS aio_commit (id int)")
        await conn.commit()
        await cur.execute("TRUNCATE aio_commit")
        await conn.commit()
        async with conn:
            await cur.execute("INSERT INTO aio_commit VALUES (1)")
        other = await aio.connect(**params)
        other_cur = other.cursor()
        await other_cur.execute("SELECT count(*) FROM aio_commit")
        seen = await other_cur.fetchone()
        await other.close()
        await conn.close()
        return seen, conn.transaction_status

    seen, status = run(scenario())
    assert seen == (1,)
    assert status == "I"


def test_async_with_rolls_back_on_an_exception(params):
    async def scenario():
        conn = await aio.connect(**params)
        cur = conn.cursor()
        await cur.execute("CREATE TEMP TABLE kept (id int)")
        await conn.commit()
        with pytest.raises(RuntimeError):
            async with conn:
                await cur.execute("INSERT INTO kept VALUES (1)")
                raise RuntimeError("stop")
        await cur.execute("SELECT count(*) FROM kept")
        count = await cur.fetchone()
        await conn.close()
        return count

    assert run(scenario()) == (0,)


def test_autocommit_sends_no_begin(params):
    async def scenario():
        conn = await aio.connect(**params)
        conn.autocommit = True
        cur = conn.cursor()
        await cur.execute("SELECT 1")
        status = conn.transaction_status
        await conn.close()
        return status

    assert run(scenario()) == "I"


def test_server_error_is_raised_and_the_connection_works_after_rollback(params):
    async def scenario():
        conn = await aio.connect(**params)
        cur = conn.cursor()
        await cur.execute("CREATE TEMP TABLE uniq (id int PRIMARY KEY)")
        await cur.execute("INSERT INTO uniq VALUES (1)")
        with pytest.raises(UniqueViolation) as caught:
            await cur.execute("INSERT INTO uniq VALUES (%s)", [1])
        failed_status = conn.transaction_status
        await conn.rollback()
        await cur.execute("SELECT 42")
        answer = await cur.fetchone()
        await conn.close()
        return caught.value.sqlstate, failed_status, answer

    assert run(scenario()) == ("23505", "E", (42,))


def test_wrong_parameter_count_fails_before_sending(params):
    async def scenario():
        conn = await aio.connect(**params)
        with pytest.raises(ProgrammingError):
            await conn.cursor().execute("SELECT %s, %s", [1])
        status = conn.transaction_status
        await conn.close()
        return status

    assert run(scenario()) == "I"


def test_cancel_from_another_task_stops_pg_sleep(params):
    async def scenario():
        conn = await aio.connect(**params)
        cur = conn.cursor()

        async def cancel_soon():
            while conn.transaction_status == "I":  # the BEGIN + pg_sleep were sent
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)
            await conn.cancel()

        canceller = asyncio.ensure_future(cancel_soon())
        with pytest.raises(QueryCanceled):
            await cur.execute("SELECT pg_sleep(60)")
        await canceller
        await conn.rollback()
        await cur.execute("SELECT 1")
        answer = await cur.fetchone()
        await conn.close()
        return answer

    assert run(scenario()) == (1,)


def test_wait_notify_returns_a_notification_sent_while_waiting(params):
    async def scenario():
        listener = await aio.connect(**params)
        listener.autocommit = True
        await listener.cursor().execute("LISTEN aio_events")
        sender = await aio.connect(**params)
        sender.autocommit = True

        async def notify_later():
            await asyncio.sleep(0.05)
            await sender.cursor().execute("NOTIFY aio_events, 'hello'")

        task = asyncio.ensure_future(notify_later())
        notification = await listener.wait_notify(timeout=30)
        await task
        pid = sender.backend_pid
        await sender.close()
        await listener.close()
        return notification, pid

    notification, pid = run(scenario())
    assert notification is not None
    assert (notification.channel, notification.payload, notification.pid) == (
        "aio_events",
        "hello",
        pid,
    )


def test_wait_notify_returns_none_after_the_timeout(params):
    async def scenario():
        conn = await aio.connect(**params)
        conn.autocommit = True
        await conn.cursor().execute("LISTEN quiet")
        result = await conn.wait_notify(timeout=0.05)
        await conn.close()
        return result

    assert run(scenario()) is None


def test_copy_expert_loads_and_dumps_data(params):
    async def scenario():
        conn = await aio.connect(**params)
        cur = conn.cursor()
        await cur.execute("CREATE TEMP TABLE copied (id int, name text)")
        await cur.copy_expert("COPY copied FROM STDIN", io.BytesIO(b"1\tone\n2\ttwo\n"))
        loaded = cur.rowcount
        out = io.StringIO()
        await cur.copy_expert("COPY copied TO STDOUT", out)
        await conn.close()
        return loaded, out.getvalue()

    assert run(scenario()) == (2, "1\tone\n2\ttwo\n")


def test_a_terminated_backend_raises_operational_error_and_breaks_the_connection(params):
    async def scenario():
        conn = await aio.connect(**params)
        killer = await aio.connect(**params)
        killer.autocommit = True
        await killer.cursor().execute("SELECT pg_terminate_backend(%s)", [conn.backend_pid])
        await killer.close()
        with pytest.raises(OperationalError):
            await conn.cursor().execute("SELECT 1")
        closed = conn.closed
        with pytest.raises(InterfaceError):
            await conn.cursor().execute("SELECT 1")
        return closed

    assert run(scenario()) == 2


def test_closed_connection_refuses_queries(params):
    async def scenario():
        conn = await aio.connect(**params)
        cur = conn.cursor()
        await conn.close()
        with pytest.raises(InterfaceError):
            await cur.execute("SELECT 1")
        return conn.closed

    assert run(scenario()) == 1


def test_wrong_password_raises_operational_error(params):
    async def scenario():
        await aio.connect(**{**params, "password": "wrong"})

    with pytest.raises(OperationalError, match="password authentication failed"):
        run(scenario())


def test_no_server_listening_raises_operational_error(params):
    async def scenario():
        await aio.connect(**{**params, "host": "127.0.0.1", "port": 1, "sslmode": "disable"})

    with pytest.raises(OperationalError, match="port 1 failed"):
        run(scenario())


def test_socket_timeout_breaks_a_connection_whose_server_stays_silent(params):
    async def scenario():
        conn = await aio.connect(**params, socket_timeout=0.2)
        with pytest.raises(OperationalError, match="timeout expired"):
            await conn.cursor().execute("SELECT pg_sleep(5)")
        return conn.closed

    assert run(scenario()) == 2


def test_a_task_cancelled_mid_request_leaves_the_connection_broken(params):
    async def scenario():
        conn = await aio.connect(**params)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(conn.cursor().execute("SELECT pg_sleep(5)"), 0.2)
        return conn.closed

    assert run(scenario()) == 2


def test_statement_timeout_limits_every_statement(params):
    async def scenario():
        conn = await aio.connect(**params, statement_timeout=100)
        with pytest.raises(QueryCanceled, match="statement timeout"):
            await conn.cursor().execute("SELECT pg_sleep(5)")
        await conn.close()

    run(scenario())


def test_sslmode_prefer_falls_back_to_plain_text_when_the_server_has_no_tls(pg_cluster):
    async def scenario():
        conn = await aio.connect(**pg_cluster.params("scram-sha-256", sslmode="prefer"))
        cur = conn.cursor()
        await cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        row = await cur.fetchone()
        await conn.close()
        return row

    with pg_cluster.ssl_disabled():
        assert run(scenario()) == (False,)


def test_hstore_values_are_decoded_as_dicts(params):
    async def scenario():
        conn = await aio.connect(**params)
        cur = conn.cursor()
        await cur.execute("SELECT 'a=>1'::hstore")
        row = await cur.fetchone()
        await conn.close()
        return row

    assert run(scenario()) == ({"a": "1"},)
