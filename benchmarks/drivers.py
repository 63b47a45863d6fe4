"""The drivers under test: names, how each is imported and connected, which need the static
psycopg2. Nothing here imports a driver: that happens only in worker subprocesses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# How the libpq keywords are turned into the driver's own connect() arguments.
LIBPQ = "libpq"
PG8000 = "pg8000"
ASYNCPG = "asyncpg"

PGBENCH = "pgbench"


@dataclass(frozen=True)
class DriverSpec:
    """One column of the results."""

    name: str
    label: str
    import_code: str
    """The statements a user writes to import the driver (measured as "import")."""
    connect_code: str
    """Connects with the keyword dict ``K`` and closes (after ``import_code``)."""
    kwargs_style: str = LIBPQ
    static_psycopg2: bool = False
    """Runs with the static psycopg2 build directory first on ``sys.path``."""
    psycopg2_module: bool = False
    """Imports ``psycopg2``: checked to come from the right build (static or binary)."""

    @property
    def is_pgbench(self) -> bool:
        """The C floor: pgbench, not a Python driver."""
        return self.name.startswith(PGBENCH)


_ASYNCPG_CONNECT = (
    "import asyncio\n"
    "async def _connect_and_close():\n"
    "    c = await asyncpg.connect(**K)\n"
    "    await c.close()\n"
    "asyncio.run(_connect_and_close())"
)

_PUREPG_AIO_CONNECT = (
    "import asyncio\n"
    "async def _connect_and_close():\n"
    "    c = await purepg.aio.connect(**K)\n"
    "    await c.close()\n"
    "asyncio.run(_connect_and_close())"
)

DRIVERS: tuple[DriverSpec, ...] = (
    DriverSpec("purepg", "purepg", "import purepg", "purepg.connect(**K).close()"),
    DriverSpec(
        "pgfacade-purepg",
        "pgfacade→purepg",
        "import pgfacade, purepg",
        "pgfacade.connect(driver='purepg', **K).close()",
    ),
    DriverSpec(
        "pgfacade-psycopg2",
        "pgfacade→psycopg2-binary",
        "import pgfacade, psycopg2",
        "pgfacade.connect(driver='psycopg2', **K).close()",
        psycopg2_module=True,
    ),
    DriverSpec(
        "psycopg2-static",
        "psycopg2 (static build)",
        "import psycopg2",
        "psycopg2.connect(**K).close()",
        static_psycopg2=True,
        psycopg2_module=True,
    ),
    DriverSpec(
        "pgfacade-psycopg2-static",
        "pgfacade→psycopg2 (static)",
        "import pgfacade, psycopg2",
        "pgfacade.connect(driver='psycopg2', **K).close()",
        static_psycopg2=True,
        psycopg2_module=True,
    ),
    DriverSpec(
        "psycopg2-binary",
        "psycopg2-binary",
        "import psycopg2",
        "psycopg2.connect(**K).close()",
        psycopg2_module=True,
    ),
    DriverSpec(
        "pg8000", "pg8000", "import pg8000.dbapi", "pg8000.dbapi.connect(**K).close()", PG8000
    ),
    DriverSpec("psycopg3", "psycopg 3", "import psycopg", "psycopg.connect(**K).close()"),
    DriverSpec("asyncpg", "asyncpg", "import asyncpg", _ASYNCPG_CONNECT, ASYNCPG),
    DriverSpec("purepg-aio", "purepg.aio", "import purepg.aio", _PUREPG_AIO_CONNECT),
    DriverSpec("pgbench-extended", "pgbench -M extended", "", ""),
    DriverSpec("pgbench-prepared", "pgbench -M prepared", "", ""),
)
DRIVERS_BY_NAME: dict[str, DriverSpec] = {spec.name: spec for spec in DRIVERS}

# The references every ratio is computed against, and the driver the targets are about.
SUBJECT = "purepg"
REFERENCES: tuple[str, ...] = ("psycopg2-binary", "pg8000")
# pgfacade → the driver it wraps (its overhead target).
FACADES: dict[str, str] = {
    "pgfacade-purepg": "purepg",
    "pgfacade-psycopg2": "psycopg2-binary",
    "pgfacade-psycopg2-static": "psycopg2-static",
}


def select_drivers(names: list[str] | None) -> list[DriverSpec]:
    """The drivers named (all when ``names`` is empty); an unknown name raises ``ValueError``."""
    if not names:
        return list(DRIVERS)
    unknown = [name for name in names if name not in DRIVERS_BY_NAME]
    if unknown:
        known = ", ".join(DRIVERS_BY_NAME)
        raise ValueError(f"unknown driver(s) {', '.join(unknown)}; known: {known}")
    return [spec for spec in DRIVERS if spec.name in names]


def connect_kwargs(spec: DriverSpec, params: dict[str, str]) -> dict[str, Any]:
    """The driver's ``connect()`` keyword arguments for libpq keywords ``params`` (TCP,
    no TLS, password authentication)."""
    if spec.kwargs_style == LIBPQ:
        return dict(params)
    kwargs: dict[str, Any] = {
        "host": params["host"],
        "port": int(params["port"]),
        "user": params["user"],
        "password": params.get("password"),
        "database": params["dbname"],
    }
    # Both drivers try TLS by default: turn it off like sslmode=disable does for the others.
    if spec.kwargs_style == ASYNCPG:
        kwargs["ssl"] = False
    else:
        kwargs["ssl_context"] = False
    return kwargs
