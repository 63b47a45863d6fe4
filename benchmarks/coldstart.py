"""Import time and cold start (import + first connect + close), each sample in a fresh
interpreter, measured from inside it so interpreter start-up is not counted.

The sample script imports nothing before the clock starts (``time`` is built in), so modules the
driver needs (json, decimal, asyncio...) count against it. Bytecode: every interpreter shares one
``PYTHONPYCACHEPREFIX`` and one warm-up run fills it first, so every driver is measured with
compiled bytecode on disk, as a deployment package ships it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.drivers import DriverSpec

SAMPLE_TIMEOUT = 120.0


def sample_script(spec: DriverSpec, kwargs: dict[str, Any], sys_path: str | None) -> str:
    """Python source printing ``<import seconds> <import+connect seconds>``."""
    lines = []
    if sys_path:
        lines.append(f"import sys; sys.path.insert(0, {sys_path!r})")
    lines += [
        "import time",
        "_t0 = time.perf_counter()",
        spec.import_code,
        "_t1 = time.perf_counter()",
        f"K = {kwargs!r}",
        spec.connect_code,
        "_t2 = time.perf_counter()",
        "print(_t1 - _t0, _t2 - _t0)",
    ]
    return "\n".join(lines) + "\n"


def interpreter_environment(pycache_prefix: Path) -> dict[str, str]:
    """The environment of every sample: shared bytecode cache, bytecode writing on."""
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(pycache_prefix)
    return environment


def measure(
    spec: DriverSpec, kwargs: dict[str, Any], sys_path: str | None, pycache_prefix: Path
) -> tuple[float, float]:
    """One sample: (import ms, import + connect + close ms). Raises ``RuntimeError``."""
    completed = subprocess.run(
        [sys.executable, "-c", sample_script(spec, kwargs, sys_path)],
        capture_output=True,
        text=True,
        env=interpreter_environment(pycache_prefix),
        timeout=SAMPLE_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines() or ["(no output)"]
        raise RuntimeError(f"exit {completed.returncode}: {lines[-1]}")
    import_seconds, total_seconds = (float(value) for value in completed.stdout.split()[-2:])
    return import_seconds * 1000, total_seconds * 1000
