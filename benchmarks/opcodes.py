"""Bytecodes and Python calls per request, by file and by function: a cost figure that the
machine's load does not change (elapsed and CPU time do).

    python -m benchmarks.opcodes [select1 select_param ...] [--driver purepg] [--requests 50]

Runs the request workloads exactly as the suite does (``adapters.requests``) in this process,
against a PostgreSQL it starts itself, with ``sys.settrace`` counting every opcode event.
Only Python code is counted: a C driver shows its thin Python wrapper.
"""

from __future__ import annotations

import argparse
import collections
import functools
import sys
from types import FrameType
from typing import Any, Callable

from benchmarks.drivers import DRIVERS_BY_NAME, connect_kwargs
from benchmarks.runner import AUTH_MODE
from benchmarks.workloads import WORKLOADS, WORKLOADS_BY_NAME

REQUEST_WORKLOADS = tuple(workload.name for workload in WORKLOADS if workload.request)
WARM_UP_REQUESTS = 20

Key = tuple[str, str]
Tracer = Callable[[FrameType, str, Any], Any]


def where(filename: str) -> str:
    """A code object's file, short: the path inside its package, or the module's name."""
    for marker in ("/site-packages/", "/src/"):
        if marker in filename:
            return filename.rsplit(marker, 1)[1]
    return filename.rsplit("/", 1)[-1]


def count(run: Callable[[], object]) -> tuple[collections.Counter[Key], collections.Counter[Key]]:
    """Opcodes and calls per (file, function) while ``run()`` runs."""
    opcodes: collections.Counter[Key] = collections.Counter()
    calls: collections.Counter[Key] = collections.Counter()

    def tracer(frame: FrameType, event: str, arg: Any) -> Tracer:
        key = (where(frame.f_code.co_filename), frame.f_code.co_name)
        if event == "call":
            frame.f_trace_opcodes = True
            calls[key] += 1
        elif event == "opcode":
            opcodes[key] += 1
        return tracer

    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(None)
    return opcodes, calls


def report(name: str, requests: int, opcodes: collections.Counter[Key], calls: Any) -> str:
    """Per request: the totals, each file, and the top functions."""
    per_file: collections.Counter[str] = collections.Counter()
    for (file, _), value in opcodes.items():
        per_file[file] += value
    total, total_calls = sum(opcodes.values()) / requests, sum(calls.values()) / requests
    lines = [f"{name}: {total:.0f} bytecodes, {total_calls:.0f} calls per request"]
    lines += [f"  {value / requests:7.0f}  {file}" for file, value in per_file.most_common()]
    lines.append("  top functions (bytecodes, calls per request):")
    for (file, function), value in opcodes.most_common(20):
        calls_each = calls[(file, function)] / requests
        lines.append(f"  {value / requests:7.0f} {calls_each:5.1f}  {file}:{function}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Count, print one block per workload."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.opcodes", description=__doc__)
    parser.add_argument(
        "workloads", nargs="*", help=f"default: all of {', '.join(REQUEST_WORKLOADS)}"
    )
    parser.add_argument("--driver", default="purepg", choices=sorted(DRIVERS_BY_NAME))
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--pg", type=int, default=15)
    args = parser.parse_args(argv)
    unknown = [name for name in args.workloads if name not in REQUEST_WORKLOADS]
    if unknown:
        parser.error(f"not a request workload: {', '.join(unknown)}")

    from benchmarks.adapters import make_adapter
    from tests.harness.cluster import Cluster

    spec = DRIVERS_BY_NAME[args.driver]
    with Cluster(args.pg) as cluster:
        adapter = make_adapter(spec, connect_kwargs(spec, cluster.params(AUTH_MODE)))
        try:
            for name in args.workloads or REQUEST_WORKLOADS:
                request = WORKLOADS_BY_NAME[name].request
                adapter.requests(request, WARM_UP_REQUESTS)
                run = functools.partial(adapter.requests, request, args.requests)
                opcodes, calls = count(run)
                print(report(f"{args.driver} {name}", args.requests, opcodes, calls), flush=True)
        finally:
            adapter.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
