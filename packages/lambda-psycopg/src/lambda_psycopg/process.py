"""Running external commands with their output in a log file and a readable failure."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from lambda_psycopg.errors import BuildError

LOG_TAIL_LINES = 25


def run_logged(
    command: Sequence[str | Path],
    *,
    cwd: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    what: str = "",
) -> None:
    """Run ``command``, appending its output to ``log``; on failure raise with the log's tail."""
    argv = [str(part) for part in command]
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(argv)}\n")
        out.flush()
        try:
            completed = subprocess.run(
                argv, cwd=cwd, env=full_env, stdout=out, stderr=subprocess.STDOUT, check=False
            )
        except FileNotFoundError as exc:
            raise BuildError(
                f"{what or argv[0]}: command not found: {argv[0]}",
                "run `lambda-psycopg setup` to install the build prerequisites",
            ) from exc
    if completed.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        raise BuildError(
            f"{what or argv[0]} failed (exit {completed.returncode}); last lines of {log}:\n"
            + "\n".join("    " + line for line in tail),
            f"the full log is {log}",
        )


def capture(command: Sequence[str | Path], *, env: Mapping[str, str] | None = None) -> str:
    """Run a quick command and return its stdout; raise BuildError if it fails."""
    argv = [str(part) for part in command]
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    try:
        completed = subprocess.run(argv, env=full_env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BuildError(f"command not found: {argv[0]}") from exc
    if completed.returncode != 0:
        raise BuildError(f"`{' '.join(argv)}` failed: {completed.stderr.strip()[-2000:]}")
    return completed.stdout
