"""purepg.aio has the blocking API's whole public surface, with the same behaviour: one
operation of ``purepg.core`` serves both, so what the blocking API does, the asyncio one
does too (docs/guide/async.md lists the few differences of form)."""

from __future__ import annotations

import asyncio
import inspect
import io

import pytest
from purepg import aio, connection, cursor
from purepg.errors import DataError, InterfaceError, ProgrammingError

SETTERS_ONLY_BLOCKING = {"isolation_level", "readonly", "read_only", "deferrable"}
"""Properties whose blocking setter may send SQL: on asyncio ``await conn.set_session(...)``."""

PAIRS = [
    (connection.Connection, aio.AsyncConnection),
    (cursor.Cursor, aio.AsyncCursor),
    (cursor.ServerCursor, aio.AsyncServerCursor),
]


def public_names(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def params(pg_cluster):
    return pg_cluster.params("scram-sha-256")


@pytest.mark.parametrize(("blocking", "asynchronous"), PAIRS, ids=lambda cls: cls.__name__)
def test_every_public_member_of_the_blocking_class_exists_on_the_asyncio_class(
    blocking, asynchronous
):
    assert public_names(blocking) - public_names(asynchronous) == set()


@pytest.mark.parametrize(("blocking", "asynchronous"), PAIRS, ids=lambda cls: cls.__name__)
def test_a_method_is_a_coroutine_on_asyncio_exactly_where_it_can_wait_for_the_server(
    blocking, asynchronous
):
    plain = {"cursor", "xid", "prepare", "fileno", "get_backend_pid", "get_parameter_status"}
    plain |= {"setinputsizes", "setoutputsize", "nextset", "fail"}
    iterators = {"stream", "copy_out", "notifications"}
    wrong = []
    for name in sorted(public_names(blocking)):
        member = getattr(asynchronous, name)
        if not callable(member) or isinstance(member, type) or name in iterators | plain:
            continue
        if not inspect.iscoroutinefunction(member) and not inspect.isasyncgenfunction(member):
            wrong.append(name)
    assert wrong == []


def test_property_setters_that_send_sql_are_set_session_on_asyncio():
    for name in SETTERS_ONLY_BLOCKING:
        assert getattr(connection.Connection, name).fset is not None
        assert getattr(aio.AsyncConnection, name).fset is None


def test_prepared_statements_are_cached_on_asyncio_as_on_blocking(params):
    async def scenario():
        conn = await aio.connect(**params, prepare_threshold=2)
        try:
            cur = conn.cursor()
            for _ in range(3):
                await cur.execute("SELECT %s::int + 1", [1])
            return conn.prepared_statements, await cur.fetchone()
        finally:
            await conn.close()

    assert run(scenario()) == (1, (2,))


def test_an_explicitly_prepared_query_runs_on_asyncio(params):
    async def scenario():
        conn = await aio.connect(**params)
        try:
            query = conn.prepare("SELECT %s::text || 'x'")
            cur = conn.cursor()
            await cur.execute(query, ["a"])
            return conn.prepared_statements, await cur.fetchone()
        finally:
            await conn.close()

    assert run(scenario()) == (1, ("ax",))


def test_stream_yields_every_row_in_batches_on_asyncio(params):
    async def scenario():
        conn = await aio.connect(**params)
        try:
            cur = conn.cursor()
            rows = [row async for row in cur.stream("SELECT generate_series(1, 25)", size=10)]
            return [row[0] for row in rows], cur.max_buffered_rows
        finally:
            await conn.close()

    numbers, most_buffered = run(scenario())
    assert (numbers, most_buffered) == (list(range(1, 26)), 10)


def test_leaving_a_stream_early_frees_the_connection_on_asyncio(params):
    async def scenario():
        conn = await aio.connect(**params)
        try:
            cur = conn.cursor()
            rows = cur.stream("SELECT generate_series(1, 100000)", size=100)
            async for _ in rows:
                break
            await cur.close()
            again = conn.cursor()
            await again.execute("SELECT 7")
            return await again.fetchone()
        finally:
            await conn.close()

    assert run(scenario()) == (7,)


def test_copy_out_yields_the_rows_on_asyncio(params):
    async def scenario():
        conn = await aio.connect(**params)
        try:
            cur = conn.cursor()
            return [chunk async for chunk in cur.copy_out("COPY (VALUES (1), (2)) TO STDOUT")]
        finally:
            await conn.close()

    assert run(scenario()) == [b"1\n", b"2\n"]


def test_copy_expert_refuses_a_file_without_write_on_asyncio(params):
    async def scenario():
        conn = await aio.connect(**params)
        try:
            cur = conn.cursor()
            with pytest.raises(ProgrammingError, match="write"):
                await cur.copy_expert("COPY (SELECT 1) TO STDOUT", object())  # type: ignore[arg-type]
            await cur.execute("SELECT 1")  # the connection is still usable
            return await cur.fetchone()
        finally:
            await conn.close()

    assert run(scenario()) == (1,)


def test_named_cursor_fetches_in_batches_on_asyncio(params):
    async def scenario():
        conn = await aio.connect(**params)
        try:
            cur = conn.cursor("numbers")
            await cur.execute("SELECT generate_series(1, 5)")
            first = await cur.fetchmany(2)
            rest = [row async for row in cur]
            await cur.close()
            await conn.commit()
            return first, rest, cur.rownumber
        finally:
            await conn.close()

    first, rest, _ = run(scenario())
    assert (first, rest) == ([(1,), (2,)], [(3,), (4,), (5,)])


def test_two_phase_commit_and_recovery_on_asyncio(params):
    async def scenario():
        conn = await aio.connect(**params)
        try:
            xid = conn.xid(1, "aio-parity", "branch")
            await conn.tpc_begin(xid)
            cur = conn.cursor()
            await cur.execute("SELECT 1")
            await conn.tpc_prepare()
            await conn.tpc_commit()  # the current one, prepared
            await conn.tpc_begin(conn.xid(1, "aio-parity-2", "branch"))
            await conn.tpc_prepare()
            await conn.close()
            conn = await aio.connect(**params)
            recovered = [x for x in await conn.tpc_recover() if x.gtrid == "aio-parity-2"]
            for xid in recovered:
                await conn.tpc_rollback(xid)
            return len(recovered), [
                x for x in await conn.tpc_recover() if x.gtrid.startswith("aio")
            ]
        finally:
            await conn.close()

    assert run(scenario()) == (1, [])


def test_set_session_applies_to_the_next_transaction_on_asyncio(params):
    async def scenario():
        conn = await aio.connect(**params)
        try:
            await conn.set_session(isolation_level="SERIALIZABLE", readonly=True)
            cur = conn.cursor()
            await cur.execute("SHOW transaction_isolation")
            isolation = await cur.fetchone()
            await cur.execute("SHOW transaction_read_only")
            read_only = await cur.fetchone()
            await conn.rollback()
            return isolation, read_only, conn.isolation_level, conn.readonly
        finally:
            await conn.close()

    assert run(scenario()) == (("serializable",), ("on",), 3, True)


def test_run_returns_rows_as_lists_and_sets_columns_on_asyncio(params):
    async def scenario():
        conn = await aio.connect(**params)
        try:
            rows = await conn.run("SELECT :a::int AS a, :b::text AS b", a=1, b="x")
            return rows, [column["name"] for column in conn.columns or []], conn.row_count
        finally:
            await conn.close()

    assert run(scenario()) == ([[1, "x"]], ["a", "b"], 1)


def test_a_value_that_does_not_decode_is_a_data_error_on_asyncio(params):
    async def scenario():
        conn = await aio.connect(**params)
        try:

            def refuse(data: bytes) -> int:
                raise ValueError("not today")

            conn.registry.register(23, text_decoder=refuse, binary_decoder=refuse)
            cur = conn.cursor()
            await cur.execute("SELECT 1::int4")
            with pytest.raises(DataError, match="type OID 23"):
                await cur.fetchone()
            return conn.closed
        finally:
            await conn.close()

    assert run(scenario()) == 0


def test_server_version_and_parameters_are_reported_on_asyncio(params):
    async def scenario():
        conn = await aio.connect(**params)
        await conn.close()
        try:
            conn.get_parameter_status("server_version")
        except InterfaceError:
            return conn.closed, conn.server_version > 130000
        return None

    assert run(scenario()) == (1, True)


def test_copy_from_a_text_file_loads_rows_on_asyncio(params):
    async def scenario():
        conn = await aio.connect(**params)
        try:
            cur = conn.cursor()
            await cur.execute("CREATE TEMP TABLE t (a int, b text)")
            await cur.copy_from(io.StringIO("1\tx\n2\ty\n"), "t")
            await cur.execute("SELECT count(*) FROM t")
            return await cur.fetchone()
        finally:
            await conn.close()

    assert run(scenario()) == (2,)


def test_a_cursor_factory_makes_the_asyncio_cursor_as_on_blocking(params):
    class Counting(aio.AsyncCursor):
        made = 0

        def __init__(self, connection):
            super().__init__(connection)
            Counting.made += 1

    async def scenario():
        conn = await aio.connect(**params)
        try:
            cur = conn.cursor(cursor_factory=Counting)
            await cur.execute("SELECT 1")
            return type(cur), await cur.fetchone(), Counting.made
        finally:
            await conn.close()

    assert run(scenario()) == (Counting, (1,), 1)
