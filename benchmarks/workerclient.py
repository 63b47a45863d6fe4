"""The runner's side of a worker subprocess: start it, send requests, read answers with a
timeout, and stop it (always)."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.drivers import DriverSpec

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


class WorkerError(RuntimeError):
    """The worker failed to start, died, or did not answer in time."""


class WorkerProcess:
    """One driver's worker: imported and connected once, then serving requests."""

    def __init__(
        self,
        spec: DriverSpec,
        kwargs: dict[str, Any],
        copy_data: Path,
        sys_path: str | None,
        environment: dict[str, str],
        *,
        pin_cpu: int | None = None,
    ) -> None:
        """``pin_cpu``: the worker pins itself and its server backend to that CPU."""
        command = [
            sys.executable,
            "-m",
            "benchmarks.worker",
            "--driver",
            spec.name,
            "--kwargs",
            json.dumps(kwargs),
            "--copy-data",
            str(copy_data),
        ]
        if sys_path:
            command += ["--sys-path", sys_path]
        if pin_cpu is not None:
            command += ["--pin-cpu", str(pin_cpu)]
        self.spec = spec
        self._stderr_path = copy_data.parent / f"worker-{spec.name}-{os.getpid()}.log"
        self._stderr = self._stderr_path.open("ab")
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            cwd=REPO_ROOT,
            env=environment,
        )
        self.version = ""
        self.module_file = ""
        try:
            hello = self._read(START_TIMEOUT)
        except WorkerError:
            self.stop()
            raise
        if not hello.get("ready"):
            self.stop()
            raise WorkerError(str(hello.get("error", "the worker did not start")))
        self.version = str(hello.get("version", ""))
        self.module_file = str(hello.get("module_file", ""))

    @property
    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.poll() is None

    def request(self, op: str, size: int, timeout: float) -> dict[str, Any]:
        """Run ``op``; raises ``WorkerError`` (worker gone) or ``RuntimeError`` (op failed)."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps({"op": op, "size": size}) + "\n")
            self.process.stdin.flush()
        except OSError as exc:
            self.stop()
            raise WorkerError(f"the worker is gone: {exc}") from exc
        answer = self._read(timeout)
        if not answer.get("ok"):
            raise RuntimeError(str(answer.get("error", "failed")))
        return answer

    def _read(self, timeout: float) -> dict[str, Any]:
        stdout = self.process.stdout
        assert stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                self.stop()
                raise WorkerError(f"no answer within {timeout:.0f}s (worker stopped)")
        line = stdout.readline()
        if not line:
            self.stop()
            raise WorkerError(f"the worker exited: {self.stderr_tail()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stderr_tail(self) -> str:
        """The last line the worker wrote to stderr."""
        if not self._stderr.closed:
            self._stderr.flush()
        lines = self._stderr_path.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else "(no output)"

    def stop(self) -> None:
        """Ask the worker to quit; kill it if it does not."""
        if self.alive:
            with contextlib.suppress(OSError):
                assert self.process.stdin is not None
                self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.process.stdin.close()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):
                    stream.close()
        if not self._stderr.closed:
            self._stderr.close()
