"""The one way lambda-psycopg runs external commands: each command is logged, a command that
cannot start or times out raises ``BuildError``, and a failure is reported with the tail of its
output."""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from lambda_psycopg.errors import BuildError

LOG_TAIL_LINES = 25
DETAIL_CHARS = 1500
SETUP_HINT = "run `lambda-psycopg setup` to install the build prerequisites"
logger = logging.getLogger(__name__)


def with_environ(extra: Mapping[str, str] | None) -> dict[str, str]:
    """This process's environment updated with ``extra``."""
    return {**os.environ, **(extra or {})}


def _start(
    argv: list[str],
    *,
    what: str,
    missing_hint: str = SETUP_HINT,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float | None = None,
    output: IO[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``subprocess.run``, logged, its output captured (or written to ``output``)."""
    logger.debug("$ %s", shlex.join(argv))
    sink: IO[str] | int = output if output is not None else subprocess.PIPE
    try:
        return subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            input=stdin,
            stdout=sink,
            stderr=subprocess.STDOUT if output is not None else subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise BuildError(f"{what}: command not found: {argv[0]}", missing_hint) from exc
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"{what} did not finish within {timeout:g}s") from exc
    except OSError as exc:
        raise BuildError(f"{what}: cannot run {argv[0]}: {exc}") from exc


def run(
    command: Sequence[str | Path],
    *,
    what: str = "",
    hint: str = "",
    missing_hint: str = SETUP_HINT,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with its output captured as text.

    ``env`` replaces the environment (``with_environ`` extends it). A command that is missing,
    cannot start or outlives ``timeout`` raises ``BuildError``; so does a non-zero exit when
    ``check`` (else the caller inspects ``returncode``).
    """
    argv = [str(part) for part in command]
    label = what or f"`{shlex.join(argv)}`"
    completed = _start(
        argv, what=label, missing_hint=missing_hint, cwd=cwd, env=env, stdin=stdin, timeout=timeout
    )
    if check and completed.returncode != 0:
        raise failure(completed, label, hint)
    return completed


def failure_detail(completed: subprocess.CompletedProcess[str]) -> str:
    """The end of a failed command's error output (its standard output if that is empty)."""
    return (completed.stderr or completed.stdout or "").strip()[-DETAIL_CHARS:]


def failure(completed: subprocess.CompletedProcess[str], what: str, hint: str = "") -> BuildError:
    """The error for a command that exited non-zero."""
    return BuildError(
        f"{what} failed (exit {completed.returncode}):\n{failure_detail(completed)}", hint
    )


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
    label = what or argv[0]
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(argv)}\n")
        out.flush()
        completed = _start(argv, what=label, cwd=cwd, env=with_environ(env), output=out)
    if completed.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        raise BuildError(
            f"{label} failed (exit {completed.returncode}); last lines of {log}:\n"
            + "\n".join("    " + line for line in tail),
            f"the full log is {log}",
        )
