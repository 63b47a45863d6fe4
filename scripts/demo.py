"""The main job: a Lambda handler connecting to PostgreSQL, run the way Lambda runs it.

``hatch run demo:run``:

1. installs the build tools when run as root (`lambda-psycopg setup`), then builds (or reuses
   from the cache) the static psycopg2 zip with lambda-psycopg; when the build
   cannot run here (missing tools...), says why and continues with purepg only;
2. starts an embedded PostgreSQL (TLS, SCRAM) on 127.0.0.1;
3. assembles two deployment packages of the sample handler (``tests/e2e/sample_handler.py``):
   with the static psycopg2, and without it (pgfacade falls back to purepg);
4. runs each one unpacked, in a fresh isolated interpreter under the real Lambda runtime
   interface client (awslambdaric) against a local Lambda Runtime API, the system libpq hidden
   for the static build (root), and invokes it several times;
5. prints the backend chosen, the results, init (cold start) and warm invocation durations.

Every process it starts is stopped before it exits, also on Ctrl-C / SIGTERM.

Options: ``--pg MAJOR`` (default 18), ``--invocations N`` (default 5), ``--static-zip ZIP``
(use this psycopg2 zip, also ``$LAMBDA_PSYCOPG_ZIP``), ``--no-static`` (purepg only).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = ROOT / ".cache" / "artifacts"
HANDLER_FILE = ROOT / "tests" / "e2e" / "sample_handler.py"
HANDLER = "sample_handler.handler"
AUTH_MODE = "verify-full"
STATIC_ZIP_ENV = "LAMBDA_PSYCOPG_ZIP"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
ARCH = {"x86_64": "x86_64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())

# Wide enough for the tables when the output is a pipe or a CI log (rich would assume 80).
console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)


@dataclass
class Run:
    """One deployment package's execution environment and its invocations."""

    label: str
    package: Path
    size: int
    hidden: bool
    init_ms: float | None = None
    durations_ms: list[float] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def static_zip(explicit: Path | None) -> tuple[Path | None, str]:
    """The static psycopg2 zip for this Python and architecture, built (cached) if needed;
    ``(None, why)`` when there is none."""
    given = explicit or (
        Path(os.environ[STATIC_ZIP_ENV]) if os.environ.get(STATIC_ZIP_ENV) else None
    )
    if given is not None:
        if not given.is_file():
            return None, f"{given} does not exist"
        return given, f"given: {given}"
    if os.geteuid() == 0:  # the build tools come from apt, which only root can run
        console.rule("[bold]lambda-psycopg setup[/] (build tools)")
        subprocess.run([sys.executable, "-m", "lambda_psycopg", "setup"], cwd=ROOT, check=False)
    console.rule(f"[bold]lambda-psycopg build --python {PYTHON} --arch {ARCH}[/] (cached)")
    command = [sys.executable, "-m", "lambda_psycopg", "build", "--python", PYTHON]
    command += ["--arch", ARCH, "--out", str(ARTIFACTS_DIR)]
    completed = subprocess.run(command, cwd=ROOT, check=False)
    if completed.returncode != 0:
        return None, (
            f"the static build could not run here (exit {completed.returncode}, see above; "
            "`lambda-psycopg setup` installs missing tools)"
        )
    latest = json.loads((ARTIFACTS_DIR / "latest.json").read_text())
    for artifact in latest["artifacts"]:
        if artifact["python"] == PYTHON and artifact["arch"] == ARCH:
            return Path(artifact["zip"]), f"built or reused: {artifact['verification']} verified"
    return None, "the build reported no zip for this target"


def run_package(run: Run, function_args: dict[str, Any], invocations: int, work: Path) -> None:
    """Start the package's execution environment, invoke it ``invocations`` times, stop it."""
    from tests.e2e.function import FunctionFailedError, LambdaFunction

    function = LambdaFunction(
        run.package, HANDLER, work / run.label, hide_system_libraries=run.hidden, **function_args
    )
    with function:
        try:
            for number in range(1, invocations + 1):
                invocation = function.invoke({"invocation": number})
                if not invocation.succeeded:
                    run.error = json.dumps(invocation.body)[:500]
                    return
                run.results.append(invocation.body)
                run.durations_ms.append(invocation.duration_ms or 0.0)
        except FunctionFailedError as error:
            run.error = str(error)
        run.init_ms = function.init_duration_ms


def print_runs(runs: list[Run]) -> None:
    """The backend chosen, the results, and the durations per package."""
    backends = Table(title="What each deployment package ran")
    for column in ("package", "zip size", "backend", "driver module", "libpq", "TLS", "user"):
        backends.add_column(column)
    for run in runs:
        if not run.results:
            backends.add_row(run.label, f"{run.size / 1024:.0f} KiB", "[red]failed[/]", "", "")
            continue
        first = run.results[0]
        libpq = str(first["libpq_version"] or "- (pure Python)")
        module = first["driver_file"] + (" [dim](system libpq hidden)[/]" if run.hidden else "")
        backends.add_row(
            run.label,
            f"{run.size / 1024:.0f} KiB",
            f"[bold]{first['driver']}[/]",
            module,
            libpq,
            str(first["ssl"]),
            first["user"],
        )
    console.print(backends)

    timings = Table(title="Durations (ms) under the Lambda runtime interface client")
    for column in ("package", "init (cold start)", "1st invocation (connect)", "warm median"):
        timings.add_column(column, justify="right")
    timings.add_column("warm min-max", justify="right")
    timings.add_column("connections", justify="right")
    for run in runs:
        if not run.durations_ms:
            continue
        warm = run.durations_ms[1:] or run.durations_ms
        pids = {result["backend_pid"] for result in run.results}
        timings.add_row(
            run.label,
            f"{run.init_ms:.0f}" if run.init_ms is not None else "?",
            f"{run.durations_ms[0]:.1f}",
            f"{statistics.median(warm):.1f}",
            f"{min(warm):.1f}-{max(warm):.1f}",
            f"{len(pids)} for {len(run.results)} invocations",
        )
    console.print(timings)
    for run in runs:
        if run.error:
            console.print(f"[red]{run.label} failed:[/] {run.error}")
        elif run.results:
            last = run.results[-1]
            console.print(
                f"{run.label}: PostgreSQL {last['server_version']}, "
                f"{last['invocations_recorded']} invocations recorded, "
                f"last handler time {last['handler_ms']:.1f} ms, "
                f"{last['remaining_ms']} ms left of the deadline"
            )


def run_demo(major: int, invocations: int, explicit_zip: Path | None, use_static: bool) -> int:
    """Everything above, cleaning up whatever happens."""
    if importlib.util.find_spec("awslambdaric") is None:
        console.print(
            "[red]awslambdaric is not installed[/]: the demo runs handlers under the real "
            "Lambda runtime interface client (add `awslambdaric` to the hatch environment)"
        )
        return 1
    from lambda_psycopg.bundle import assemble
    from lambda_psycopg.isolation import isolation_unavailable_reason

    from tests.e2e.function import libpq_environment, make_runtime_dir
    from tests.harness.cluster import Cluster

    zip_path: Path | None = None
    if use_static:
        zip_path, why = static_zip(explicit_zip)
        if zip_path is None:
            console.print(f"[yellow]No static psycopg2:[/] {why}. Continuing with purepg only.")
        else:
            console.print(f"Static psycopg2: {zip_path.name} ({why})")
    hide_reason = isolation_unavailable_reason()

    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pgfacade-demo-")))
        with console.status(f"Starting an embedded PostgreSQL {major} (binaries are cached)..."):
            started = time.monotonic()
            cluster = stack.enter_context(Cluster(major))
        console.print(
            f"PostgreSQL {cluster.version} on {cluster.host}:{cluster.port} "
            f"in {time.monotonic() - started:.1f}s"
        )
        with console.status("Assembling the deployment packages..."):
            runtime_dir = make_runtime_dir(work / "runtime")
            packages: list[tuple[str, Path | None]] = [("purepg", None)]
            if zip_path is not None:
                packages.insert(0, ("static psycopg2", zip_path))
            runs = []
            for label, static in packages:
                out = work / f"{label.replace(' ', '-')}.zip"
                bundle = assemble(
                    out, handler=HANDLER_FILE, python=PYTHON, arch=ARCH, psycopg2_zip=static
                )
                hidden = static is not None and hide_reason is None
                runs.append(Run(label.replace(" ", "-"), bundle.path, bundle.size, hidden))
        if zip_path is not None and hide_reason is not None:
            console.print(f"[yellow]System libpq not hidden:[/] {hide_reason}")
        function_args = {
            "runtime_dir": runtime_dir,
            "environment": libpq_environment(cluster.params(AUTH_MODE)),
        }
        for run in runs:
            with console.status(f"Invoking {run.label} {invocations} times under awslambdaric..."):
                run_package(run, function_args, invocations, work)
        print_runs(runs)
    console.print("Every process stopped. Demo finished.")
    return 0 if all(run.error is None for run in runs) else 1


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """Turn SIGTERM into KeyboardInterrupt, so every context manager cleans up."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pg", type=int, default=18, help="PostgreSQL major version (13-18)")
    parser.add_argument("--invocations", type=int, default=5, help="invocations per package")
    parser.add_argument("--static-zip", type=Path, help=f"static psycopg2 zip (${STATIC_ZIP_ENV})")
    parser.add_argument("--no-static", action="store_true", help="purepg only, no build")
    args = parser.parse_args(argv)
    if args.invocations < 1:
        parser.error("--invocations must be at least 1")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return run_demo(args.pg, args.invocations, args.static_zip, not args.no_static)
    except KeyboardInterrupt:
        console.print("[yellow]Interrupted[/]: every process started was stopped.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
