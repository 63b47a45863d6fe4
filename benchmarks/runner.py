"""One benchmark run: start PostgreSQL, create the tables, start one worker per driver, then
measure round by round, every driver once per workload per round, in a rotated order."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from benchmarks import coldstart, pgbench, pinning
from benchmarks.drivers import DriverSpec, connect_kwargs, select_drivers
from benchmarks.results import DriverStatus, RunResults
from benchmarks.workerclient import WorkerError, WorkerProcess
from benchmarks.workloads import (
    FRESH_INTERPRETER,
    FRESH_WORKER,
    FULL_ROUNDS,
    QUICK_ROUNDS,
    WORKLOADS,
    WORKLOADS_BY_NAME,
    Workload,
    setup_statements,
    write_copy_data,
)

# What the in-worker figures divide by: elapsed time, or the on-CPU time of the worker plus its
# server backend (what a quiet machine's pinned run would take; connect stays on wall time,
# its new backends are not the worker's).
WALL_CLOCK = "wall"
CPU_CLOCK = "cpu"
CLOCKS = (WALL_CLOCK, CPU_CLOCK)

REQUEST_TIMEOUT = 300.0
AUTH_MODE = "scram-sha-256"
MAX_WORKER_RESTARTS = 2


@dataclass
class Options:
    """What to run."""

    quick: bool = False
    drivers: list[str] | None = None
    workloads: list[str] | None = None
    rounds: int | None = None
    static_psycopg2: Path | None = None
    pg_major: int = 15
    pin_cpu: int | None = None
    clock: str = WALL_CLOCK
    progress: Callable[[str], None] = print


def select_workloads(names: list[str] | None) -> list[Workload]:
    """The workloads named (all when empty); an unknown name raises ``ValueError``."""
    if not names:
        return list(WORKLOADS)
    unknown = [name for name in names if name not in WORKLOADS_BY_NAME]
    if unknown:
        raise ValueError(
            f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(WORKLOADS_BY_NAME)}"
        )
    return [workload for workload in WORKLOADS if workload.name in names]


def static_psycopg2_problem(directory: Path | None) -> str:
    """Why the static psycopg2 build cannot be used ("" when it can)."""
    if directory is None:
        return "no --static-psycopg2 DIR given (an unpacked lambda-psycopg build)"
    if not (directory / "psycopg2" / "__init__.py").is_file():
        return f"{directory} holds no psycopg2/ package"
    return ""


def rotated(items: list[DriverSpec], round_index: int) -> list[DriverSpec]:
    """``items`` starting at position ``round_index`` (mod len), wrapping around."""
    if not items:
        return []
    shift = round_index % len(items)
    return items[shift:] + items[:shift]


def admin_execute(admin_params: dict[str, str], statements: list[str]) -> None:
    """Run setup SQL as the superuser (psycopg2 when importable, else purepg)."""
    try:
        import psycopg2 as admin_driver
    except ImportError:
        import purepg as admin_driver  # type: ignore[no-redef]
    connect: Any = admin_driver.connect
    conn = connect(**admin_params)
    try:
        conn.autocommit = True
        cursor = conn.cursor()
        for statement in statements:
            cursor.execute(statement)
    finally:
        conn.close()


def _machine_facts() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
    }


class Runner:
    """Holds the workers and the results of one run."""

    def __init__(self, options: Options) -> None:
        self.options = options
        if options.pin_cpu is not None and pinning.cpu_problem(options.pin_cpu):
            raise ValueError(f"--pin-cpu: {pinning.cpu_problem(options.pin_cpu)}")
        self.specs = select_drivers(options.drivers)
        self.workloads = select_workloads(options.workloads)
        default_rounds = QUICK_ROUNDS if options.quick else FULL_ROUNDS
        self.rounds = options.rounds or default_rounds
        self.statuses = {spec.name: DriverStatus(spec.name, spec.label) for spec in self.specs}
        self.workers: dict[str, WorkerProcess] = {}
        self.restarts: dict[str, int] = {}
        self.params: dict[str, str] = {}
        self.pgbench_path: Path | None = None
        self.work_dir = Path()
        self.copy_data = Path()
        self.copy_bytes = 0
        self.environment: dict[str, str] = {}
        self.results = RunResults(
            meta={},
            drivers=self.statuses,
            workloads=[workload.name for workload in self.workloads],
            rounds=self.rounds,
        )

    def say(self, message: str) -> None:
        """Progress output."""
        self.options.progress(message)

    def size(self, workload: str) -> int:
        """Operations, rows or samples of ``workload`` in this mode."""
        return WORKLOADS_BY_NAME[workload].size(self.options.quick)

    def sys_path(self, spec: DriverSpec) -> str | None:
        """The static build directory for the static drivers."""
        if spec.static_psycopg2 and self.options.static_psycopg2 is not None:
            return str(self.options.static_psycopg2.resolve())
        return None

    # ------------------------------------------------------------------ the run

    def run(self) -> RunResults:
        """Start PostgreSQL, measure everything, stop everything."""
        from tests.harness.cluster import Cluster

        started = time.time()
        load_before = os.getloadavg()
        pin_cpu = self.options.pin_cpu
        # Pinned before the server starts: the postmaster and every backend inherit it.
        with (
            pinning.pinned_here(pin_cpu),
            tempfile.TemporaryDirectory(prefix="pg-bench-") as work_dir,
            Cluster(self.options.pg_major) as cluster,
        ):
            self.work_dir = Path(work_dir)
            self.environment = coldstart.interpreter_environment(self.work_dir / "pycache")
            self.params = cluster.params(AUTH_MODE, sslmode="disable")
            self.say(f"PostgreSQL {cluster.version} on {cluster.host}:{cluster.port}")
            if pin_cpu is not None:
                postmaster_pid = int(_first_line(cluster.data_dir / "postmaster.pid"))
                pinning.check_pinned(postmaster_pid, pin_cpu, "the PostgreSQL postmaster")
                self.say(f"client and server pinned to CPU {pin_cpu}")
            self._create_tables(cluster.admin_params())
            self._check_drivers()
            try:
                self._start_workers()
                self._warm_bytecode()
                for round_index in range(self.rounds):
                    self._run_round(round_index)
            finally:
                for worker in self.workers.values():
                    worker.stop()
                self.workers.clear()
            server_version = cluster.version
        self.results.meta = {
            **_machine_facts(),
            "postgresql": server_version,
            "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started)),
            "duration_s": round(time.time() - started, 1),
            "load_average_before": [round(value, 2) for value in load_before],
            "load_average_after": [round(value, 2) for value in os.getloadavg()],
            "quick": self.options.quick,
            "rounds": self.rounds,
            "sizes": {
                workload.name: workload.size(self.options.quick) for workload in self.workloads
            },
            "calls": {workload.name: workload.calling_style for workload in self.workloads},
            "copy_bytes": self.copy_bytes,
            "auth": f"{AUTH_MODE} over TCP {self.params.get('host')}, sslmode=disable",
            "pinned_cpu": pin_cpu,
            "clock": self.options.clock,
            "command": " ".join(["python -m benchmarks", *sys.argv[1:]]),
        }
        return self.results

    def _create_tables(self, admin_params: dict[str, str]) -> None:
        fetch_rows = max(self.size("fetch"), self.size("memory"))
        copy_rows = max(self.size("copy_in"), self.size("copy_out"))
        admin_execute(admin_params, setup_statements(fetch_rows, copy_rows))
        self.copy_data = self.work_dir / "copy-in.tsv"
        self.copy_bytes = write_copy_data(self.copy_data, copy_rows)

    def _check_drivers(self) -> None:
        static_problem = static_psycopg2_problem(self.options.static_psycopg2)
        pgbench_path, pgbench_problem = pgbench.find_pgbench(self.options.pg_major)
        self.pgbench_path = pgbench_path
        for spec in self.specs:
            status = self.statuses[spec.name]
            if spec.static_psycopg2 and static_problem:
                status.available, status.reason = False, static_problem
            elif spec.is_pgbench:
                if pgbench_path is None:
                    status.available, status.reason = False, pgbench_problem
                else:
                    status.module_file = str(pgbench_path)
                    status.version = _pgbench_version(pgbench_path)

    def python_specs(self) -> list[DriverSpec]:
        """The available Python drivers."""
        return [s for s in self.specs if not s.is_pgbench and self.statuses[s.name].available]

    def _start_workers(self) -> None:
        worker_workloads = [w for w in self.workloads if w.kind not in (FRESH_INTERPRETER,)]
        if not worker_workloads:
            return
        for spec in self.python_specs():
            worker = self._start_worker(spec)
            if worker is None:
                continue
            self.say(f"{spec.name}: {worker.version} ({worker.module_file})")

    def _start_worker(self, spec: DriverSpec, warm_up: bool = True) -> WorkerProcess | None:
        status = self.statuses[spec.name]
        kwargs = connect_kwargs(spec, self.params)
        try:
            worker = WorkerProcess(
                spec,
                kwargs,
                self.copy_data,
                self.sys_path(spec),
                self.environment,
                pin_cpu=self.options.pin_cpu,
            )
            status.version, status.module_file = worker.version, worker.module_file
            if warm_up:
                worker.request("warmup", 0, REQUEST_TIMEOUT)
        except (WorkerError, RuntimeError) as exc:
            status.available, status.reason = False, f"failed to start: {exc}"
            self.say(f"{spec.name}: not available: {status.reason}")
            return None
        if warm_up:
            self.workers[spec.name] = worker
        return worker

    def _warm_bytecode(self) -> None:
        """One unmeasured fresh-interpreter run per driver fills the shared bytecode cache."""
        if not any(w.kind == FRESH_INTERPRETER for w in self.workloads):
            return
        for spec in self.python_specs():
            try:
                coldstart.measure(
                    spec,
                    connect_kwargs(spec, self.params),
                    self.sys_path(spec),
                    self.work_dir / "pycache",
                )
            except Exception as exc:
                self.say(f"{spec.name}: cold-start warm-up failed: {exc}")

    # ---------------------------------------------------------------- one round

    def _run_round(self, round_index: int) -> None:
        self.say(f"round {round_index + 1}/{self.rounds}")
        order = rotated([s for s in self.specs if self.statuses[s.name].available], round_index)
        measured_interpreters = False
        for workload in self.workloads:
            started = time.monotonic()
            if workload.kind == FRESH_INTERPRETER:
                if not measured_interpreters:
                    self._measure_interpreters(round_index, order)
                    measured_interpreters = True
            else:
                for spec in order:
                    if spec.is_pgbench:
                        if workload.pgbench:
                            self._measure_pgbench(workload, spec, round_index)
                        continue
                    if workload.kind == FRESH_WORKER:
                        self._measure_memory(workload, spec, round_index)
                    else:
                        self._measure_in_worker(workload, spec, round_index)
            self.say(f"  {workload.name}: {time.monotonic() - started:.1f}s")

    def _measure_interpreters(self, round_index: int, order: list[DriverSpec]) -> None:
        """Import and cold start, ``size`` samples per driver (interleaved); the round's figure
        is their median."""
        samples: dict[str, list[tuple[float, float]]] = {}
        python_order = [spec for spec in order if not spec.is_pgbench]
        for _ in range(self.size("import")):
            for spec in python_order:
                kwargs = connect_kwargs(spec, self.params)
                try:
                    sample = coldstart.measure(
                        spec, kwargs, self.sys_path(spec), self.work_dir / "pycache"
                    )
                except Exception as exc:
                    for name in ("import", "cold_start"):
                        self.results.record_error(name, spec.name, round_index, str(exc))
                    continue
                samples.setdefault(spec.name, []).append(sample)
        for driver, values in samples.items():
            for position, name in enumerate(("import", "cold_start")):
                if name in self.results.workloads:
                    figure = statistics.median(value[position] for value in values)
                    self.results.record(name, driver, round_index, figure)

    def _measure_pgbench(self, workload: Workload, spec: DriverSpec, round_index: int) -> None:
        assert self.pgbench_path is not None
        mode = spec.name.split("-", 1)[1]
        try:
            tps = pgbench.run(
                self.pgbench_path,
                mode=mode,
                workload=workload.name,
                transactions=self.size(workload.name),
                params=self.params,
                script_dir=self.work_dir,
            )
        except Exception as exc:
            self.results.record_error(workload.name, spec.name, round_index, str(exc))
            return
        self.results.record(workload.name, spec.name, round_index, tps)

    def _measure_memory(self, workload: Workload, spec: DriverSpec, round_index: int) -> None:
        """Peak RSS growth of one fetch in a fresh worker (no warm-up: nothing else raised
        the high-water mark)."""
        try:
            worker = WorkerProcess(
                spec,
                connect_kwargs(spec, self.params),
                self.copy_data,
                self.sys_path(spec),
                self.environment,
                pin_cpu=self.options.pin_cpu,
            )
        except WorkerError as exc:
            self.results.record_error(workload.name, spec.name, round_index, str(exc))
            return
        try:
            answer = worker.request("memory", self.size(workload.name), REQUEST_TIMEOUT)
            self.results.record(workload.name, spec.name, round_index, answer["peak_bytes"] / 1e6)
        except (WorkerError, RuntimeError) as exc:
            self.results.record_error(workload.name, spec.name, round_index, str(exc))
        finally:
            worker.stop()

    def _worker(self, spec: DriverSpec) -> WorkerProcess | None:
        """The driver's worker, restarted (a few times at most) if it died."""
        worker = self.workers.get(spec.name)
        if worker is not None and worker.alive:
            return worker
        restarts = self.restarts.get(spec.name, 0)
        if restarts >= MAX_WORKER_RESTARTS:
            return None
        self.restarts[spec.name] = restarts + 1
        self.workers.pop(spec.name, None)
        self.say(f"{spec.name}: restarting its worker")
        return self._start_worker(spec)

    def _measure_in_worker(self, workload: Workload, spec: DriverSpec, round_index: int) -> None:
        worker = self._worker(spec)
        if worker is None:
            self.results.record_error(workload.name, spec.name, round_index, "no worker")
            return
        size = self.size(workload.name)
        try:
            answer = worker.request(workload.name, size, REQUEST_TIMEOUT)
        except (WorkerError, RuntimeError) as exc:
            self.results.record_error(workload.name, spec.name, round_index, str(exc))
            return
        seconds = float(answer["seconds"])
        if self.options.clock == CPU_CLOCK and workload.name != "connect":
            seconds = float(answer["cpu_seconds"])
        if workload.name == "fetch" and answer["count"] != size:
            message = f"fetched {answer['count']} rows, expected {size}"
            self.results.record_error(workload.name, spec.name, round_index, message)
            return
        if workload.unit == "ms":
            value = seconds / answer["count"] * 1000
        elif workload.unit == "MB/s":
            value = answer["bytes"] / 1e6 / seconds
        else:
            value = answer["count"] / seconds
        self.results.record(workload.name, spec.name, round_index, value)


def _first_line(path: Path) -> str:
    with path.open() as file:
        return file.readline().strip()


def _pgbench_version(path: Path) -> str:
    import subprocess

    try:
        completed = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError as exc:
        return f"? ({exc})"
    return completed.stdout.strip()


def run(options: Options) -> RunResults:
    """Run the benchmarks described by ``options``."""
    return Runner(options).run()
