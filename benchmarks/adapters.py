"""Each driver's way of running the workloads, used inside its worker subprocess only.

Every method runs the whole measured loop, so the worker times one call. Each driver is
called as its users call it: a DB-API cursor, ``execute`` then ``fetchall()`` / ``fetchone()``,
autocommit on or a commit per call (``workloads.Request``); bulk work in a transaction. The
DB-API drivers share one implementation; psycopg 3 and pg8000 differ only in COPY; asyncpg
and purepg.aio run their coroutines on one event loop.
"""

from __future__ import annotations

import datetime
import importlib
import io
from collections.abc import Awaitable
from typing import Any, Callable

from benchmarks.drivers import DriverSpec
from benchmarks.workloads import (
    COPY_COLUMNS,
    COPY_IN_TABLE,
    COPY_OUT_TABLE,
    FETCH_TABLE,
    FETCHONE,
    INSERT_TABLE,
    Request,
)

COPY_CHUNK = 65536
_EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


def insert_rows(count: int) -> list[tuple[Any, ...]]:
    """The executemany parameters: int, text, float8, timestamptz."""
    return [
        (i, f"inserted row {i}", i * 0.5, _EPOCH + datetime.timedelta(seconds=i))
        for i in range(count)
    ]


def describe_version(module: Any) -> str:
    """``__version__``, plus the libpq version psycopg2 was built with."""
    version = str(getattr(module, "__version__", "?"))
    libpq = getattr(module, "__libpq_version__", None)
    return f"{version}, libpq {libpq}" if libpq else version


class DbApiAdapter:
    """A DB-API 2.0 driver with psycopg2-style ``%s`` placeholders and ``copy_expert``."""

    def __init__(self, spec: DriverSpec, kwargs: dict[str, Any]) -> None:
        self.spec = spec
        self.kwargs = kwargs
        self.module = self._import()
        self.conn: Any = self.connect()

    def _import(self) -> Any:
        module_name = self.spec.import_code.split()[-1]
        return importlib.import_module(module_name)

    def connect(self) -> Any:
        """A new connection."""
        return self.module.connect(**self.kwargs)

    def version(self) -> str:
        """The driver's version, as it reports it (and libpq's for psycopg2)."""
        return describe_version(self.module)

    def module_file(self) -> str:
        """Where the driver module was imported from."""
        return str(getattr(self.module, "__file__", "?"))

    def close(self) -> None:
        """Close the worker's connection."""
        self.conn.close()

    def use_autocommit(self, on: bool) -> None:
        """Switch autocommit (between workloads, with no transaction open)."""
        if self.conn.autocommit != on:
            self.conn.autocommit = on

    def scalar(self, sql: str) -> Any:
        """The first column of the first row of ``sql``."""
        self.use_autocommit(True)
        cursor = self.conn.cursor()
        cursor.execute(sql)
        row = cursor.fetchone()
        cursor.close()
        return row[0]

    def connect_close(self, count: int) -> None:
        """Open and close ``count`` connections."""
        for _ in range(count):
            self.connect().close()

    def requests(self, request: Request, count: int) -> None:
        """``count`` calls of ``request`` on one cursor, as a user writes them."""
        conn = self.conn
        self.use_autocommit(request.autocommit)
        cursor = conn.cursor()
        query = request.query
        fetch = cursor.fetchone if request.fetch == FETCHONE else cursor.fetchall
        commit_each = not request.autocommit and request.commit_each
        if request.with_param:
            for i in range(count):
                cursor.execute(query, (i,))
                fetch()
                if commit_each:
                    conn.commit()
        else:
            for _ in range(count):
                cursor.execute(query)
                fetch()
                if commit_each:
                    conn.commit()
        cursor.close()
        if not request.autocommit:
            conn.commit()

    def fetch(self) -> list[Any]:
        """Every row of the fetch table (autocommit on)."""
        self.use_autocommit(True)
        cursor = self.conn.cursor()
        cursor.execute(f"SELECT * FROM {FETCH_TABLE}")
        rows: list[Any] = cursor.fetchall()
        cursor.close()
        return rows

    def truncate(self, table: str) -> None:
        """Empty ``table`` (outside any timing)."""
        self.use_autocommit(True)
        cursor = self.conn.cursor()
        cursor.execute(f"TRUNCATE {table}")
        cursor.close()

    def executemany(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` with one ``executemany`` and commit."""
        self.use_autocommit(False)
        cursor = self.conn.cursor()
        cursor.executemany(f"INSERT INTO {INSERT_TABLE} VALUES (%s, %s, %s, %s)", rows)
        cursor.close()
        self.conn.commit()

    def copy_in(self, data: bytes) -> None:
        """``COPY ... FROM STDIN`` of ``data`` (text format) and commit."""
        self.use_autocommit(False)
        cursor = self.conn.cursor()
        sql = f"COPY {COPY_IN_TABLE} {COPY_COLUMNS} FROM STDIN"
        cursor.copy_expert(sql, io.BytesIO(data), COPY_CHUNK)
        cursor.close()
        self.conn.commit()

    def copy_out(self) -> int:
        """``COPY ... TO STDOUT`` into memory; returns the bytes received."""
        self.use_autocommit(False)
        cursor = self.conn.cursor()
        sink = io.BytesIO()
        cursor.copy_expert(f"COPY {COPY_OUT_TABLE} TO STDOUT", sink, COPY_CHUNK)
        cursor.close()
        self.conn.commit()
        return sink.tell()


class PgfacadeAdapter(DbApiAdapter):
    """pgfacade with a fixed backend (``driver=``)."""

    def __init__(self, spec: DriverSpec, kwargs: dict[str, Any], backend: str) -> None:
        self.backend = backend
        super().__init__(spec, kwargs)

    def _import(self) -> Any:
        importlib.import_module(self.backend)
        return importlib.import_module("pgfacade")

    def connect(self) -> Any:
        return self.module.connect(driver=self.backend, **self.kwargs)

    def version(self) -> str:
        backend = importlib.import_module(self.backend)
        facade = getattr(self.module, "__version__", "?")
        return f"pgfacade {facade}, {self.backend} {describe_version(backend)}"

    def module_file(self) -> str:
        return str(importlib.import_module(self.backend).__file__)


class Pg8000Adapter(DbApiAdapter):
    """pg8000's DB-API module (``format`` placeholders are ``%s`` too); COPY via ``stream=``."""

    def _import(self) -> Any:
        importlib.import_module("pg8000")
        return importlib.import_module("pg8000.dbapi")

    def version(self) -> str:
        return str(importlib.import_module("pg8000").__version__)

    def copy_in(self, data: bytes) -> None:
        self.use_autocommit(False)
        cursor = self.conn.cursor()
        sql = f"COPY {COPY_IN_TABLE} {COPY_COLUMNS} FROM STDIN"
        cursor.execute(sql, stream=io.BytesIO(data))
        cursor.close()
        self.conn.commit()

    def copy_out(self) -> int:
        self.use_autocommit(False)
        cursor = self.conn.cursor()
        sink = io.BytesIO()
        cursor.execute(f"COPY {COPY_OUT_TABLE} TO STDOUT", stream=sink)
        cursor.close()
        self.conn.commit()
        return sink.tell()


class Psycopg3Adapter(DbApiAdapter):
    """psycopg 3 (server-side parameters, its own COPY object)."""

    def copy_in(self, data: bytes) -> None:
        self.use_autocommit(False)
        cursor = self.conn.cursor()
        with cursor.copy(f"COPY {COPY_IN_TABLE} {COPY_COLUMNS} FROM STDIN") as copy:
            for start in range(0, len(data), COPY_CHUNK):
                copy.write(data[start : start + COPY_CHUNK])
        cursor.close()
        self.conn.commit()

    def copy_out(self) -> int:
        self.use_autocommit(False)
        cursor = self.conn.cursor()
        sink = io.BytesIO()
        with cursor.copy(f"COPY {COPY_OUT_TABLE} TO STDOUT") as copy:
            for chunk in copy:
                sink.write(chunk)
        cursor.close()
        self.conn.commit()
        return sink.tell()


class EventLoopAdapter:
    """An asyncio driver (``module.connect`` a coroutine) on one event loop of its own."""

    module: Any
    kwargs: dict[str, Any]
    loop: Any
    conn: Any

    def module_file(self) -> str:
        """Where the driver module was imported from."""
        return str(self.module.__file__)

    def close(self) -> None:
        """Close the connection and the loop."""
        self.loop.run_until_complete(self.conn.close())
        self.loop.close()

    def connect_close(self, count: int) -> None:
        """Open and close ``count`` connections."""

        async def run() -> None:
            for _ in range(count):
                conn = await self.module.connect(**self.kwargs)
                await conn.close()

        self.loop.run_until_complete(run())


class AsyncpgAdapter(EventLoopAdapter):
    """asyncpg on one event loop; ``$n`` placeholders; jsonb decoded to Python objects like
    the other drivers do (asyncpg returns jsonb as text unless given a codec)."""

    def __init__(self, spec: DriverSpec, kwargs: dict[str, Any]) -> None:
        import asyncio

        self.spec = spec
        self.kwargs = kwargs
        self.module: Any = importlib.import_module("asyncpg")
        self.loop = asyncio.new_event_loop()
        self.conn: Any = self.loop.run_until_complete(self._connect_with_json())

    async def _connect_with_json(self) -> Any:
        import json

        conn = await self.module.connect(**self.kwargs)
        await conn.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        return conn

    def version(self) -> str:
        """asyncpg's version."""
        return str(self.module.__version__)

    def scalar(self, sql: str) -> Any:
        """The first column of the first row of ``sql``."""
        return self.loop.run_until_complete(self.conn.fetchval(sql))

    def requests(self, request: Request, count: int) -> None:
        """``count`` calls of ``request``: ``fetch`` (all rows) or ``fetchrow`` (one), each in
        its own ``transaction()`` when autocommit is off (asyncpg has no cursor for this)."""
        conn = self.conn
        query = request.query.replace("%s", "$1")
        fetch = conn.fetchrow if request.fetch == FETCHONE else conn.fetch

        async def run() -> None:
            for i in range(count):
                args = (i,) if request.with_param else ()
                if request.autocommit or not request.commit_each:
                    await fetch(query, *args)
                else:
                    async with conn.transaction():
                        await fetch(query, *args)

        async def run_in_one_transaction() -> None:
            async with conn.transaction():
                await run()

        one_transaction = not request.autocommit and not request.commit_each
        self.loop.run_until_complete(run_in_one_transaction() if one_transaction else run())

    def fetch(self) -> list[Any]:
        """Every row of the fetch table."""
        rows: list[Any] = self.loop.run_until_complete(
            self.conn.fetch(f"SELECT * FROM {FETCH_TABLE}")
        )
        return rows

    def truncate(self, table: str) -> None:
        """Empty ``table``."""
        self.loop.run_until_complete(self.conn.execute(f"TRUNCATE {table}"))

    def executemany(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` with ``executemany`` in one transaction."""

        async def run() -> None:
            async with self.conn.transaction():
                await self.conn.executemany(
                    f"INSERT INTO {INSERT_TABLE} VALUES ($1, $2, $3, $4)", rows
                )

        self.loop.run_until_complete(run())

    def copy_in(self, data: bytes) -> None:
        """``copy_to_table`` from memory."""
        self.loop.run_until_complete(
            self.conn.copy_to_table(
                COPY_IN_TABLE, source=io.BytesIO(data), columns=["c_int", "c_text", "c_float"]
            )
        )

    def copy_out(self) -> int:
        """``copy_from_table`` into memory; returns the bytes received."""
        sink = io.BytesIO()
        self.loop.run_until_complete(self.conn.copy_from_table(COPY_OUT_TABLE, output=sink))
        return sink.tell()


class PurepgAioAdapter(EventLoopAdapter):
    """purepg.aio on one event loop, called like its blocking API: a cursor, ``await
    execute`` then ``await fetchall()`` / ``fetchone()``."""

    def __init__(self, spec: DriverSpec, kwargs: dict[str, Any]) -> None:
        import asyncio

        self.spec = spec
        self.kwargs = kwargs
        self.package: Any = importlib.import_module("purepg")
        self.module: Any = importlib.import_module("purepg.aio")
        self.loop = asyncio.new_event_loop()
        self.conn: Any = self.loop.run_until_complete(self.module.connect(**kwargs))

    def version(self) -> str:
        """purepg's version."""
        return str(self.package.__version__)

    def use_autocommit(self, on: bool) -> None:
        """Switch autocommit (between workloads, with no transaction open)."""
        if self.conn.autocommit != on:
            self.conn.autocommit = on

    def scalar(self, sql: str) -> Any:
        """The first column of the first row of ``sql``."""
        self.use_autocommit(True)

        async def run() -> Any:
            cursor = self.conn.cursor()
            await cursor.execute(sql)
            row = await cursor.fetchone()
            await cursor.close()
            return row[0]

        return self.loop.run_until_complete(run())

    def requests(self, request: Request, count: int) -> None:
        """``count`` calls of ``request`` on one cursor, as a user writes them."""
        conn = self.conn
        self.use_autocommit(request.autocommit)
        query = request.query
        commit_each = not request.autocommit and request.commit_each

        async def run() -> None:
            cursor = conn.cursor()
            fetch = cursor.fetchone if request.fetch == FETCHONE else cursor.fetchall
            if request.with_param:
                for i in range(count):
                    await cursor.execute(query, (i,))
                    await fetch()
                    if commit_each:
                        await conn.commit()
            else:
                for _ in range(count):
                    await cursor.execute(query)
                    await fetch()
                    if commit_each:
                        await conn.commit()
            await cursor.close()
            await conn.commit()

        self.loop.run_until_complete(run())

    def _cursor_call(self, sql: str, call: Callable[[Any], Awaitable[Any]]) -> Any:
        """``call(cursor)`` after ``execute(sql)`` on a fresh cursor, then commit."""

        async def run() -> Any:
            cursor = self.conn.cursor()
            await cursor.execute(sql)
            result = await call(cursor)
            await cursor.close()
            await self.conn.commit()
            return result

        return self.loop.run_until_complete(run())

    def fetch(self) -> list[Any]:
        """Every row of the fetch table (autocommit on)."""
        self.use_autocommit(True)
        rows: list[Any] = self._cursor_call(f"SELECT * FROM {FETCH_TABLE}", _fetchall)
        return rows

    def truncate(self, table: str) -> None:
        """Empty ``table``."""
        self.use_autocommit(True)
        self._cursor_call(f"TRUNCATE {table}", _nothing)

    def executemany(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` with one ``executemany`` and commit."""
        self.use_autocommit(False)

        async def run() -> None:
            cursor = self.conn.cursor()
            await cursor.executemany(f"INSERT INTO {INSERT_TABLE} VALUES (%s, %s, %s, %s)", rows)
            await cursor.close()
            await self.conn.commit()

        self.loop.run_until_complete(run())

    def _copy(self, sql: str, file: Any) -> None:
        self.use_autocommit(False)

        async def run() -> None:
            cursor = self.conn.cursor()
            await cursor.copy_expert(sql, file, COPY_CHUNK)
            await cursor.close()
            await self.conn.commit()

        self.loop.run_until_complete(run())

    def copy_in(self, data: bytes) -> None:
        """``COPY ... FROM STDIN`` of ``data`` (text format) and commit."""
        self._copy(f"COPY {COPY_IN_TABLE} {COPY_COLUMNS} FROM STDIN", io.BytesIO(data))

    def copy_out(self) -> int:
        """``COPY ... TO STDOUT`` into memory; returns the bytes received."""
        sink = io.BytesIO()
        self._copy(f"COPY {COPY_OUT_TABLE} TO STDOUT", sink)
        return sink.tell()


async def _fetchall(cursor: Any) -> Any:
    return await cursor.fetchall()


async def _nothing(cursor: Any) -> None:
    return None


def make_adapter(spec: DriverSpec, kwargs: dict[str, Any]) -> Any:
    """Import the driver, connect, and return its adapter."""
    if spec.name.startswith("pgfacade-"):
        backend = "purepg" if spec.name == "pgfacade-purepg" else "psycopg2"
        return PgfacadeAdapter(spec, kwargs, backend)
    if spec.name == "pg8000":
        return Pg8000Adapter(spec, kwargs)
    if spec.name == "psycopg3":
        return Psycopg3Adapter(spec, kwargs)
    if spec.name == "asyncpg":
        return AsyncpgAdapter(spec, kwargs)
    if spec.name == "purepg-aio":
        return PurepgAioAdapter(spec, kwargs)
    return DbApiAdapter(spec, kwargs)
