"""What is measured: the workloads, their units and sizes, and the tables they run against."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# How a workload is measured: in the driver's long-lived worker, in a fresh interpreter per
# sample (imports, cold start), or in a fresh worker that fetches once (peak memory).
IN_WORKER = "worker"
FRESH_INTERPRETER = "interpreter"
FRESH_WORKER = "fresh-worker"


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

    def size(self, quick: bool) -> int:
        """Operations (or rows, or samples) per round in this mode."""
        return self.quick_size if quick else self.full_size


WORKLOADS: tuple[Workload, ...] = (
    Workload("import", "import", "ms", False, 3, 1, FRESH_INTERPRETER),
    Workload("cold_start", "import + first connect + close", "ms", False, 3, 1, FRESH_INTERPRETER),
    Workload("connect", "connect + SCRAM + close", "ms", False, 20, 2),
    Workload("select1", "SELECT 1", "ops/s", True, 3000, 50, pgbench=True),
    Workload("select_param", "SELECT $1::int", "ops/s", True, 3000, 50, pgbench=True),
    Workload("fetch", "fetch 10 mixed columns", "rows/s", True, 100_000, 2_000),
    Workload("executemany", "executemany INSERT", "rows/s", True, 10_000, 200),
    Workload("copy_in", "COPY FROM STDIN", "MB/s", True, 500_000, 5_000),
    Workload("copy_out", "COPY TO STDOUT", "MB/s", True, 500_000, 5_000),
    Workload("memory", "peak memory of the fetch", "MB", False, 100_000, 2_000, FRESH_WORKER),
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
