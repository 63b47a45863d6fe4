"""Each driver's way of running the workloads, used inside its worker subprocess only.

Every method runs the whole measured loop, so the worker times one call. The DB-API drivers
share one implementation; psycopg 3 and pg8000 differ only in COPY; asyncpg runs its
coroutines on one event loop.
"""

from __future__ import annotations

import datetime
import importlib
import io
from typing import Any

from benchmarks.drivers import DriverSpec
from benchmarks.workloads import (
    COPY_COLUMNS,
    COPY_IN_TABLE,
    COPY_OUT_TABLE,
    FETCH_TABLE,
    INSERT_TABLE,
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

    def scalar(self, sql: str) -> Any:
        """The first column of the first row of ``sql``."""
        cursor = self.conn.cursor()
        cursor.execute(sql)
        row = cursor.fetchone()
        cursor.close()
        self.conn.commit()
        return row[0]

    def connect_close(self, count: int) -> None:
        """Open and close ``count`` connections."""
        for _ in range(count):
            self.connect().close()

    def select_one(self, count: int) -> None:
        """``SELECT 1`` and fetch its row, ``count`` times."""
        cursor = self.conn.cursor()
        for _ in range(count):
            cursor.execute("SELECT 1")
            cursor.fetchone()
        cursor.close()
        self.conn.commit()

    def select_param(self, count: int) -> None:
        """``SELECT $1::int`` with a parameter and fetch its row, ``count`` times."""
        cursor = self.conn.cursor()
        for i in range(count):
            cursor.execute("SELECT %s::int", (i,))
            cursor.fetchone()
        cursor.close()
        self.conn.commit()

    def fetch(self) -> list[Any]:
        """Every row of the fetch table."""
        cursor = self.conn.cursor()
        cursor.execute(f"SELECT * FROM {FETCH_TABLE}")
        rows: list[Any] = cursor.fetchall()
        cursor.close()
        self.conn.commit()
        return rows

    def truncate(self, table: str) -> None:
        """Empty ``table`` (outside any timing)."""
        cursor = self.conn.cursor()
        cursor.execute(f"TRUNCATE {table}")
        cursor.close()
        self.conn.commit()

    def executemany(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` with one ``executemany`` and commit."""
        cursor = self.conn.cursor()
        cursor.executemany(f"INSERT INTO {INSERT_TABLE} VALUES (%s, %s, %s, %s)", rows)
        cursor.close()
        self.conn.commit()

    def copy_in(self, data: bytes) -> None:
        """``COPY ... FROM STDIN`` of ``data`` (text format) and commit."""
        cursor = self.conn.cursor()
        sql = f"COPY {COPY_IN_TABLE} {COPY_COLUMNS} FROM STDIN"
        cursor.copy_expert(sql, io.BytesIO(data), COPY_CHUNK)
        cursor.close()
        self.conn.commit()

    def copy_out(self) -> int:
        """``COPY ... TO STDOUT`` into memory; returns the bytes received."""
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
        cursor = self.conn.cursor()
        sql = f"COPY {COPY_IN_TABLE} {COPY_COLUMNS} FROM STDIN"
        cursor.execute(sql, stream=io.BytesIO(data))
        cursor.close()
        self.conn.commit()

    def copy_out(self) -> int:
        cursor = self.conn.cursor()
        sink = io.BytesIO()
        cursor.execute(f"COPY {COPY_OUT_TABLE} TO STDOUT", stream=sink)
        cursor.close()
        self.conn.commit()
        return sink.tell()


class Psycopg3Adapter(DbApiAdapter):
    """psycopg 3 (server-side parameters, its own COPY object)."""

    def copy_in(self, data: bytes) -> None:
        cursor = self.conn.cursor()
        with cursor.copy(f"COPY {COPY_IN_TABLE} {COPY_COLUMNS} FROM STDIN") as copy:
            for start in range(0, len(data), COPY_CHUNK):
                copy.write(data[start : start + COPY_CHUNK])
        cursor.close()
        self.conn.commit()

    def copy_out(self) -> int:
        cursor = self.conn.cursor()
        sink = io.BytesIO()
        with cursor.copy(f"COPY {COPY_OUT_TABLE} TO STDOUT") as copy:
            for chunk in copy:
                sink.write(chunk)
        cursor.close()
        self.conn.commit()
        return sink.tell()


class AsyncpgAdapter:
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

    def module_file(self) -> str:
        """Where asyncpg was imported from."""
        return str(self.module.__file__)

    def scalar(self, sql: str) -> Any:
        """The first column of the first row of ``sql``."""
        return self.loop.run_until_complete(self.conn.fetchval(sql))

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

    def select_one(self, count: int) -> None:
        """``SELECT 1`` ``count`` times."""

        async def run() -> None:
            for _ in range(count):
                await self.conn.fetchrow("SELECT 1")

        self.loop.run_until_complete(run())

    def select_param(self, count: int) -> None:
        """``SELECT $1::int`` ``count`` times."""

        async def run() -> None:
            for i in range(count):
                await self.conn.fetchrow("SELECT $1::int", i)

        self.loop.run_until_complete(run())

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
    return DbApiAdapter(spec, kwargs)
