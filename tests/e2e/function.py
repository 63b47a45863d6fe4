"""One Lambda execution environment, locally: an unpacked deployment package run by the real
runtime interface client (``python -m awslambdaric module.handler``) against `RuntimeApi`.

The interpreter is fresh and isolated like Lambda's: ``-s -S`` (no site-packages at all), a
scrubbed environment with Lambda's variables, ``sys.path`` = the task directory (the unpacked
zip, also the working directory), the runtime directory (awslambdaric and its dependencies plus
boto3, which Lambda's Python runtimes provide), and the standard library. Nothing else from the
build machine. Optionally the system's libpq / libssl / libcrypto are hidden
(``lambda_psycopg.isolation``: a private mount namespace, root only).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from lambda_psycopg.isolation import hidden_libraries_command, libraries_to_hide

from tests.e2e.runtime_api import Invocation, RuntimeApi

# What the Lambda Python runtimes bring besides the handler's package.
RUNTIME_DISTRIBUTIONS = ("awslambdaric", "boto3")
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class FunctionFailedError(RuntimeError):
    """The runtime process died, failed to initialise, or never answered."""


def _requirement_names(dist: importlib.metadata.Distribution) -> list[str]:
    names = []
    for requirement in dist.requires or []:
        if ";" in requirement and "extra" in requirement.split(";", 1)[1]:
            continue
        match = re.match(r"[A-Za-z0-9_.\-]+", requirement)
        if match:
            names.append(match.group(0))
    return names


def _top_level_entries(dist: importlib.metadata.Distribution) -> set[str]:
    entries = set()
    for file in dist.files or []:
        top = file.parts[0]
        if top in ("..", "__pycache__") or top.endswith((".pth", ".dist-info")):
            continue
        entries.add(top)
    return entries


def make_runtime_dir(dest: Path, distributions: tuple[str, ...] = RUNTIME_DISTRIBUTIONS) -> Path:
    """``dest`` holding symlinks to exactly ``distributions`` and their dependencies (as
    installed here), like Lambda's runtime directory. Raises ``PackageNotFoundError``."""
    dest.mkdir(parents=True, exist_ok=True)
    pending = list(distributions)
    done: set[str] = set()
    while pending:
        name = pending.pop().lower().replace("_", "-")
        if name in done:
            continue
        done.add(name)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            if name in distributions:
                raise
            continue  # an optional dependency that is not installed
        for entry in _top_level_entries(dist):
            link = dest / entry
            if not link.exists():
                link.symlink_to(Path(str(dist.locate_file(entry))))
        pending.extend(_requirement_names(dist))
    return dest


def base_interpreter() -> Path:
    """The interpreter behind the current virtualenv (a plain CPython)."""
    return Path(getattr(sys, "_base_executable", sys.executable)).resolve()


class LambdaFunction:
    """Unpack ``package`` and run ``handler`` in it under awslambdaric; invoke it."""

    def __init__(
        self,
        package: Path,
        handler: str,
        work_dir: Path,
        runtime_dir: Path,
        *,
        environment: dict[str, str] | None = None,
        hide_system_libraries: bool = False,
        python: Path | None = None,
        name: str = "pgfacade-e2e",
    ) -> None:
        self.package = package
        self.handler = handler
        self.work_dir = work_dir
        self.runtime_dir = runtime_dir
        self.environment = dict(environment or {})
        self.hide_system_libraries = hide_system_libraries
        self.python = python or base_interpreter()
        self.name = name
        self.task_dir = work_dir / "task"
        self.log_file = work_dir / "function.log"
        self.api = RuntimeApi()
        self.started_at: float | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Unpack the package, start the Runtime API and the runtime process."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(self.package) as archive:
            archive.extractall(self.task_dir)
        self.api.start()
        command = [str(self.python), "-s", "-S", "-m", "awslambdaric", self.handler]
        if self.hide_system_libraries:
            empty = self.work_dir / "empty"
            empty.write_bytes(b"")
            command = hidden_libraries_command(command, empty, libraries_to_hide())
        with self.log_file.open("ab") as log:
            self.started_at = time.monotonic()
            self._process = subprocess.Popen(
                command,
                cwd=self.task_dir,
                env=self._process_environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        """Stop the runtime process (its whole process group), then the Runtime API."""
        process = self._process
        self._process = None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.api.stop()

    def __enter__(self) -> LambdaFunction:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ invoking

    def invoke(self, event: Any, timeout_ms: int = 10_000) -> Invocation:
        """Send ``event`` with a deadline ``timeout_ms`` away and wait for the result (like
        Lambda, a runtime that does not answer by the deadline plus a grace period fails)."""
        invocation = self.api.submit(event, timeout_ms)
        limit = time.monotonic() + STARTUP_TIMEOUT + timeout_ms / 1000.0
        while not invocation.done.wait(0.05):
            if self.api.init_error_event.is_set():
                raise FunctionFailedError(f"init error: {self.api.init_error}\n{self.log_tail()}")
            if self._process is None or self._process.poll() is not None:
                raise FunctionFailedError(f"the runtime process exited\n{self.log_tail()}")
            if time.monotonic() > limit:
                raise FunctionFailedError(
                    f"no result for {invocation.request_id}\n{self.log_tail()}"
                )
        return invocation

    @property
    def init_duration_ms(self) -> float | None:
        """From starting the interpreter to its first ``/next`` (Lambda's Init Duration)."""
        if self.started_at is None or self.api.first_next_at is None:
            return None
        return (self.api.first_next_at - self.started_at) * 1000.0

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the runtime printed."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _process_environment(self) -> dict[str, str]:
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        environment = {
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "_HANDLER": self.handler,
            "LAMBDA_TASK_ROOT": str(self.task_dir),
            "LAMBDA_RUNTIME_DIR": str(self.runtime_dir),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{python}",
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "PYTHONPATH": f"{self.task_dir}:{self.runtime_dir}",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        environment.update(self.environment)
        return environment


# libpq keyword -> the environment variable libpq (and purepg) read it from.
_PG_VARIABLES = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "channel_binding": "PGCHANNELBINDING",
    "require_auth": "PGREQUIREAUTH",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
}


def libpq_environment(params: dict[str, str]) -> dict[str, str]:
    """PG* variables carrying ``params`` (how a function gets its settings)."""
    unknown = sorted(set(params) - set(_PG_VARIABLES))
    if unknown:
        raise ValueError(f"no PG* environment variable for {', '.join(unknown)}")
    return {_PG_VARIABLES[key]: value for key, value in params.items()}
