"""One driver's worker subprocess: imports the driver, connects, then runs measurements on
request (JSON lines on stdin, answers as JSON lines on a private copy of stdout; anything the
driver prints goes to stderr).

    python -m benchmarks.worker --driver NAME --kwargs JSON --copy-data PATH [--sys-path DIR]
        [--pin-cpu N]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import traceback
from typing import IO, Any, Callable

from benchmarks.workloads import WORKLOADS, WORKLOADS_BY_NAME

# Fairness check: every driver must talk plain TCP (sslmode=disable).
TLS_QUERY = "SELECT coalesce(bool_or(ssl), false) FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

# Every operation once, small, before anything is measured (caches, lazy imports, type lookups).
WARM_UP = (
    ("connect", 1),
    *((workload.name, 20) for workload in WORKLOADS if workload.request is not None),
    ("fetch", 0),
    ("executemany", 50),
    ("copy_in", 0),
    ("copy_out", 0),
)


def _current_rss() -> int:
    """Resident set size now, in bytes (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    """The process's peak resident set size so far, in bytes (``VmHWM``, Linux).

    Not ``ru_maxrss``: Linux carries it over from the parent through fork and exec, so a fresh
    worker would start with the runner's peak.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def _backend_on_cpu_seconds(pid: int) -> float:
    """Seconds process ``pid`` (the server backend, one thread) has run on a CPU so far
    (``/proc/PID/schedstat``, nanoseconds; Linux)."""
    with open(f"/proc/{pid}/schedstat") as schedstat:
        return int(schedstat.read().split()[0]) / 1e9


class Stopwatch:
    """Wall time and on-CPU time of the worker plus its server backend.

    On a shared machine wall time counts the waits for other processes' turns; the on-CPU
    time of the two processes doing the work does not (``--clock cpu``).
    """

    def __init__(self, backend_pid: int | None) -> None:
        self.backend_pid = backend_pid
        self._wall = 0.0
        self._cpu = 0.0

    def _cpu_now(self) -> float:
        client = time.process_time()
        if self.backend_pid is None:
            return client
        return client + _backend_on_cpu_seconds(self.backend_pid)

    def start(self) -> None:
        """Start timing."""
        self._cpu = self._cpu_now()
        self._wall = time.perf_counter()

    def stop(self) -> dict[str, float]:
        """``seconds`` (wall) and ``cpu_seconds`` since ``start()``."""
        wall = time.perf_counter() - self._wall
        return {"seconds": wall, "cpu_seconds": self._cpu_now() - self._cpu}


class Worker:
    """Runs one request at a time against a driver adapter."""

    def __init__(self, adapter: Any, copy_data_path: str, backend_pid: int | None = None) -> None:
        self.adapter = adapter
        self.copy_data_path = copy_data_path
        self._copy_data: bytes | None = None
        self.stopwatch = Stopwatch(backend_pid)

    def _timed_count(self, operation: Callable[[int], object], size: int) -> dict[str, Any]:
        """``operation(size)`` timed, and ``size`` as the count of operations."""
        self.stopwatch.start()
        operation(size)
        return {**self.stopwatch.stop(), "count": size}

    def copy_data(self) -> bytes:
        """The COPY FROM data, read once."""
        if self._copy_data is None:
            with open(self.copy_data_path, "rb") as source:
                self._copy_data = source.read()
        return self._copy_data

    def run(self, op: str, size: int) -> dict[str, Any]:
        """Run ``op`` once; returns the seconds it took and what it moved."""
        adapter = self.adapter
        gc.collect()
        if op == "connect":
            return self._timed_count(adapter.connect_close, size)
        workload = WORKLOADS_BY_NAME.get(op)
        if workload is not None and workload.request is not None:
            request = workload.request
            return self._timed_count(lambda count: adapter.requests(request, count), size)
        if op == "fetch":
            self.stopwatch.start()
            rows = adapter.fetch()
            timing = self.stopwatch.stop()
            count = len(rows)
            del rows
            return {**timing, "count": count}
        if op == "executemany":
            from benchmarks.adapters import insert_rows
            from benchmarks.workloads import INSERT_TABLE

            rows = insert_rows(size)
            adapter.truncate(INSERT_TABLE)
            return self._timed_count(lambda _: adapter.executemany(rows), size)
        if op == "copy_in":
            from benchmarks.workloads import COPY_IN_TABLE

            data = self.copy_data()
            adapter.truncate(COPY_IN_TABLE)
            self.stopwatch.start()
            adapter.copy_in(data)
            return {**self.stopwatch.stop(), "bytes": len(data)}
        if op == "copy_out":
            self.stopwatch.start()
            received = adapter.copy_out()
            return {**self.stopwatch.stop(), "bytes": received}
        if op == "memory":
            before = _current_rss()
            rows = adapter.fetch()
            peak = _peak_rss()
            count = len(rows)
            del rows
            return {"peak_bytes": max(peak - before, 0), "count": count}
        if op == "warmup":
            for warm_op, warm_size in WARM_UP:
                self.run(warm_op, warm_size)
            return {}
        raise ValueError(f"unknown operation {op!r}")


def _answer(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _error_text(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def main(argv: list[str] | None = None) -> int:
    """Serve requests until ``quit`` or end of input."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--driver", required=True)
    parser.add_argument("--kwargs", required=True, help="connect() keyword arguments, JSON")
    parser.add_argument("--copy-data", required=True)
    parser.add_argument("--sys-path", default=None, help="put this directory first on sys.path")
    parser.add_argument(
        "--pin-cpu", type=int, default=None, help="pin this process and its backend to CPU N"
    )
    args = parser.parse_args(argv)

    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    if args.sys_path:
        sys.path.insert(0, args.sys_path)

    from benchmarks.adapters import make_adapter
    from benchmarks.drivers import DRIVERS_BY_NAME
    from benchmarks.pinning import pin

    spec = DRIVERS_BY_NAME[args.driver]
    try:
        adapter = make_adapter(spec, json.loads(args.kwargs))
        module_file = adapter.module_file()
        if spec.psycopg2_module:
            import psycopg2

            module_file = str(psycopg2.__file__)
            from_static = bool(args.sys_path) and module_file.startswith(args.sys_path)
            if spec.static_psycopg2 and not from_static:
                raise RuntimeError(f"psycopg2 came from {module_file}, not the static build")
            if not spec.static_psycopg2 and args.sys_path:
                raise RuntimeError("a psycopg2-binary driver must not use the static build")
        if adapter.scalar(TLS_QUERY):
            raise RuntimeError("the connection uses TLS; every driver must run without it")
        backend_pid = int(adapter.scalar("SELECT pg_backend_pid()"))
        if args.pin_cpu is not None:
            pin(0, args.pin_cpu, "the worker")
            pin(backend_pid, args.pin_cpu, "the worker's server backend")
    except Exception as exc:
        _answer(channel, {"ready": False, "error": _error_text(exc)})
        return 1
    _answer(channel, {"ready": True, "version": adapter.version(), "module_file": module_file})

    worker = Worker(adapter, args.copy_data, backend_pid)
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "quit":
            break
        try:
            result = worker.run(request["op"], int(request.get("size", 0)))
            _answer(channel, {"ok": True, **result})
        except Exception as exc:
            _answer(channel, {"ok": False, "error": _error_text(exc)})
    try:
        adapter.close()
    except Exception as exc:
        print(f"closing the connection failed: {_error_text(exc)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
