"""``python -m benchmarks``: run the driver benchmarks and write results.md, results.json and
chart.png."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks import chart, pinning, report
from benchmarks.drivers import DRIVERS_BY_NAME
from benchmarks.results import from_json
from benchmarks.runner import CLOCKS, WALL_CLOCK, Options, Runner
from benchmarks.workloads import WORKLOADS_BY_NAME


def _names(values: list[str] | None) -> list[str] | None:
    """``--drivers a,b --drivers c`` → ``[a, b, c]``."""
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure purepg, pgfacade and other PostgreSQL drivers side by side.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 2 rounds (CI smoke)")
    parser.add_argument(
        "--drivers",
        action="append",
        metavar="NAMES",
        help=f"comma-separated subset of: {', '.join(DRIVERS_BY_NAME)}",
    )
    parser.add_argument(
        "--workloads",
        action="append",
        metavar="NAMES",
        help=f"comma-separated subset of: {', '.join(WORKLOADS_BY_NAME)}",
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 5, quick 2)")
    parser.add_argument(
        "--static-psycopg2",
        type=Path,
        default=None,
        metavar="DIR",
        help="an unpacked lambda-psycopg build (the directory holding psycopg2/)",
    )
    parser.add_argument(
        "--pin-cpu",
        type=int,
        default=None,
        metavar="N",
        help="pin every client and the server to CPU N (the drivers' own per-request cost)",
    )
    parser.add_argument(
        "--clock",
        choices=CLOCKS,
        default=WALL_CLOCK,
        help="wall: elapsed time (default); cpu: on-CPU time of each worker and its server "
        "backend, for a shared machine (connect and the fresh-interpreter workloads stay wall)",
    )
    parser.add_argument("--pg", type=int, default=15, help="PostgreSQL major version (15)")
    parser.add_argument(
        "--out", type=Path, default=Path("docs/benchmarks"), help="output directory"
    )
    parser.add_argument(
        "--render",
        type=Path,
        default=None,
        metavar="JSON",
        help="measure nothing: write the page and chart again from a results.json",
    )
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.pin_cpu is not None and pinning.cpu_problem(args.pin_cpu):
        parser.error(f"--pin-cpu {args.pin_cpu}: {pinning.cpu_problem(args.pin_cpu)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run, then write the outputs; 2 on bad arguments."""
    args = parse_arguments(argv)

    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    options = Options(
        quick=args.quick,
        drivers=_names(args.drivers),
        workloads=_names(args.workloads),
        rounds=args.rounds,
        static_psycopg2=args.static_psycopg2,
        pg_major=args.pg,
        pin_cpu=args.pin_cpu,
        clock=args.clock,
        progress=progress,
    )
    if args.render is not None:
        results = from_json(json.loads(args.render.read_text()))
    else:
        try:
            runner = Runner(options)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        try:
            results = runner.run()
        except pinning.PinningError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    markdown_path, json_path = report.write(results, args.out)
    chart_path = chart.draw(results, args.out / "chart.png")
    print(markdown_path.read_text())
    for path in (markdown_path, json_path, chart_path):
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
