"""Profile one driver on one workload with cProfile and print the top functions.

    python -m benchmarks.profile select_param [--driver purepg] [--size N] [--top 25]

Runs in this process (the driver is imported here), against a PostgreSQL it starts itself.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
from pathlib import Path

from benchmarks.drivers import DRIVERS_BY_NAME, connect_kwargs
from benchmarks.runner import AUTH_MODE, admin_execute
from benchmarks.worker import Worker
from benchmarks.workloads import WORKLOADS, WORKLOADS_BY_NAME, setup_statements, write_copy_data

PROFILABLE = (
    "connect",
    *(workload.name for workload in WORKLOADS if workload.request is not None),
    "fetch",
    "executemany",
    "copy_in",
    "copy_out",
)


def main(argv: list[str] | None = None) -> int:
    """Profile, print the top functions by own time and by cumulative time."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    parser.add_argument("workload", choices=PROFILABLE)
    parser.add_argument("--driver", default="purepg", choices=sorted(DRIVERS_BY_NAME))
    parser.add_argument("--size", type=int, default=None, help="default: the full size")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--pg", type=int, default=15)
    parser.add_argument("--save", type=Path, default=None, help="write the pstats file here")
    args = parser.parse_args(argv)

    from benchmarks.adapters import make_adapter
    from tests.harness.cluster import Cluster

    spec = DRIVERS_BY_NAME[args.driver]
    size = args.size or WORKLOADS_BY_NAME[args.workload].full_size
    with (
        tempfile.TemporaryDirectory(prefix="pg-bench-profile-") as work_dir,
        Cluster(args.pg) as cluster,
    ):
        fetch_rows = size if args.workload == "fetch" else 1000
        copy_rows = size if args.workload.startswith("copy") else 1000
        admin_execute(cluster.admin_params(), setup_statements(fetch_rows, copy_rows))
        copy_data = Path(work_dir) / "copy-in.tsv"
        write_copy_data(copy_data, copy_rows)
        adapter = make_adapter(spec, connect_kwargs(spec, cluster.params(AUTH_MODE)))
        worker = Worker(adapter, str(copy_data))
        worker.run("warmup", 0)
        profiler = cProfile.Profile()
        profiler.enable()
        result = worker.run(args.workload, size)
        profiler.disable()
        adapter.close()
    print(f"{args.driver} {args.workload} size={size}: {result}")
    for order in ("tottime", "cumulative"):
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.strip_dirs().sort_stats(order).print_stats(args.top)
        print(f"--- by {order}")
        print(stream.getvalue().split("\n\n", 1)[-1])
    if args.save is not None:
        profiler.dump_stats(str(args.save))
    return 0


if __name__ == "__main__":
    sys.exit(main())
