"""What is measured: the workloads, their units and sizes, and the tables they run against."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# How a workload is measured: in the driver's long-lived worker, in a fresh interpreter per
# sample (imports, cold start), or in a fresh worker that fetches once (peak memory).
IN_WORKER = "worker"
FRESH_INTERPRETER = "interpreter"
FRESH_WORKER = "fresh-worker"


FETCHALL = "fetchall"
FETCHONE = "fetchone"


@dataclass(frozen=True)
class Request:
    """A request loop written as users write it: one cursor, then per call ``execute`` and a
    fetch, in autocommit mode or in a transaction committed after each call."""

    query: str
    """DB-API ``%s`` style (asyncpg gets ``$1``)."""
    with_param: bool
    fetch: str = FETCHALL
    autocommit: bool = True
    commit_each: bool = True
    """Outside autocommit: ``commit()`` after every call (False: one transaction for the whole
    loop, committed at the end: not how a service calls a driver)."""

    def describe(self) -> str:
        """The calling style, as shown in the results."""
        if self.autocommit:
            transaction = "autocommit on"
        elif self.commit_each:
            transaction = "autocommit off, commit() after each call"
        else:
            transaction = "autocommit off, every call in one transaction"
        return f"cursor.execute + {self.fetch}(), {transaction}"


@dataclass(frozen=True)
class Workload:
    """One measured operation; ``size`` is operations, rows or samples per round."""

    name: str
    title: str
    unit: str
    higher_is_better: bool
    full_size: int
    quick_size: int
    kind: str = IN_WORKER
    pgbench: bool = False
    """pgbench (the C floor) can run it too."""
    calls: str = ""
    """How each driver is called (request workloads: ``request.describe()``)."""
    request: Request | None = None
    extra: bool = False
    """Not how users call the driver: shown for comparison, never a target."""

    def size(self, quick: bool) -> int:
        """Operations (or rows, or samples) per round in this mode."""
        return self.quick_size if quick else self.full_size

    @property
    def calling_style(self) -> str:
        """How the driver is called, for the results page and JSON."""
        described = self.request.describe() if self.request else self.calls
        return f"extra, not user code: {described}" if self.extra else described


SELECT_ONE = "SELECT 1"
SELECT_PARAM = "SELECT %s::int"


def _request_workload(
    name: str, title: str, request: Request, *, pgbench: bool = False, extra: bool = False
) -> Workload:
    return Workload(
        name, title, "ops/s", True, 3000, 50, pgbench=pgbench, request=request, extra=extra
    )


WORKLOADS: tuple[Workload, ...] = (
    Workload("import", "import", "ms", False, 3, 1, FRESH_INTERPRETER, calls="import"),
    Workload(
        "cold_start",
        "import + first connect + close",
        "ms",
        False,
        3,
        1,
        FRESH_INTERPRETER,
        calls="import, connect(), close()",
    ),
    Workload("connect", "connect + SCRAM + close", "ms", False, 20, 2, calls="connect(), close()"),
    _request_workload("select1", "SELECT 1", Request(SELECT_ONE, False), pgbench=True),
    _request_workload(
        "select1_fetchone", "SELECT 1, fetchone", Request(SELECT_ONE, False, FETCHONE)
    ),
    _request_workload(
        "select1_tx", "SELECT 1, commit each", Request(SELECT_ONE, False, autocommit=False)
    ),
    _request_workload("select_param", "SELECT $1::int", Request(SELECT_PARAM, True), pgbench=True),
    _request_workload(
        "select_param_fetchone", "SELECT $1::int, fetchone", Request(SELECT_PARAM, True, FETCHONE)
    ),
    _request_workload(
        "select_param_tx",
        "SELECT $1::int, commit each",
        Request(SELECT_PARAM, True, autocommit=False),
    ),
    _request_workload(
        "select1_one_tx",
        "SELECT 1, the old suite's loop",
        Request(SELECT_ONE, False, FETCHONE, autocommit=False, commit_each=False),
        extra=True,
    ),
    Workload(
        "fetch",
        "fetch 10 mixed columns",
        "rows/s",
        True,
        100_000,
        2_000,
        calls="cursor.execute + fetchall(), autocommit on",
    ),
    Workload(
        "executemany",
        "executemany INSERT",
        "rows/s",
        True,
        10_000,
        200,
        calls="cursor.executemany, autocommit off, commit()",
    ),
    Workload(
        "copy_in",
        "COPY FROM STDIN",
        "MB/s",
        True,
        500_000,
        5_000,
        calls="the driver's COPY API from a file object, autocommit off, commit()",
    ),
    Workload(
        "copy_out",
        "COPY TO STDOUT",
        "MB/s",
        True,
        500_000,
        5_000,
        calls="the driver's COPY API into a file object, autocommit off, commit()",
    ),
    Workload(
        "memory",
        "peak memory of the fetch",
        "MB",
        False,
        100_000,
        2_000,
        FRESH_WORKER,
        calls="cursor.execute + fetchall(), autocommit on, in a fresh worker",
    ),
)
WORKLOADS_BY_NAME: dict[str, Workload] = {workload.name: workload for workload in WORKLOADS}

FULL_ROUNDS = 5
QUICK_ROUNDS = 2

# The tables. The admin creates them; every benchmark role may read and write them.
FETCH_TABLE = "bench_fetch"
INSERT_TABLE = "bench_insert"
COPY_IN_TABLE = "bench_copy_in"
COPY_OUT_TABLE = "bench_copy_out"
COPY_COLUMNS = "(c_int, c_text, c_float)"


def setup_statements(fetch_rows: int, copy_rows: int) -> list[str]:
    """SQL creating the benchmark tables (fetch: int, bigint, text, numeric, float8, bool,
    date, timestamptz, uuid, jsonb)."""
    return [
        f"DROP TABLE IF EXISTS {FETCH_TABLE}, {INSERT_TABLE}, {COPY_IN_TABLE}, {COPY_OUT_TABLE}",
        f"""CREATE TABLE {FETCH_TABLE} AS SELECT
            i::int AS c_int,
            i::bigint * 1000003 AS c_bigint,
            'row number ' || i AS c_text,
            (i / 7.0)::numeric(14, 4) AS c_numeric,
            i * 0.25::float8 AS c_float,
            i % 2 = 0 AS c_bool,
            date '2020-01-01' + i % 1000 AS c_date,
            timestamptz '2020-01-01 00:00:00+00' + i * interval '1 second' AS c_timestamptz,
            md5(i::text)::uuid AS c_uuid,
            jsonb_build_object('id', i, 'tag', 'benchmark') AS c_jsonb
            FROM generate_series(1, {fetch_rows}) AS i""",
        f"""CREATE TABLE {INSERT_TABLE} (
            c_int int, c_text text, c_float float8, c_timestamptz timestamptz)""",
        f"CREATE TABLE {COPY_IN_TABLE} (c_int int, c_text text, c_float float8)",
        f"""CREATE TABLE {COPY_OUT_TABLE} AS SELECT
            i AS c_int, 'copy row ' || i || ' with some padding text' AS c_text,
            i * 0.5::float8 AS c_float
            FROM generate_series(1, {copy_rows}) AS i""",
        f"GRANT ALL ON {FETCH_TABLE}, {INSERT_TABLE}, {COPY_IN_TABLE}, {COPY_OUT_TABLE} TO PUBLIC",
        f"VACUUM ANALYZE {FETCH_TABLE}",
        f"VACUUM ANALYZE {COPY_OUT_TABLE}",
    ]


def write_copy_data(path: Path, rows: int) -> int:
    """Write COPY text-format data for ``COPY_IN_TABLE`` to ``path``; returns its size."""
    lines = [f"{i}\tcopy row {i} with some padding text\t{i * 0.5}\n" for i in range(1, rows + 1)]
    data = "".join(lines).encode()
    path.write_bytes(data)
    return len(data)
