"""``--pin-cpu N``: run clients and server on one CPU, so no round trip pays a cross-CPU wake-up.

The runner pins itself before it starts PostgreSQL; affinity is inherited through fork and
exec, so the postmaster, every backend it forks (pgbench's included), every worker, pgbench and
every cold-start interpreter run on CPU N. Each worker also pins itself and its own backend
explicitly, and fails naming the reason when it cannot.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator


class PinningError(RuntimeError):
    """A process could not be pinned to the CPU asked for."""


def allowed_cpus() -> set[int]:
    """The CPUs this process may run on."""
    return os.sched_getaffinity(0)


def cpu_problem(cpu: int) -> str:
    """Why ``cpu`` cannot be pinned to ("" when it can)."""
    allowed = sorted(allowed_cpus())
    if cpu not in allowed:
        listed = ", ".join(str(number) for number in allowed)
        return f"CPU {cpu} is not one this process may run on (allowed: {listed})"
    return ""


def pin(pid: int, cpu: int, what: str) -> None:
    """Pin process ``pid`` (0: this one) to ``cpu``; ``what`` names it in the error."""
    try:
        os.sched_setaffinity(pid, {cpu})
    except OSError as exc:
        reason = exc.strerror or str(exc)
        hint = ""
        if pid and exc.errno == errno.EPERM:
            hint = " (pinning another user's process needs root or CAP_SYS_NICE)"
        raise PinningError(f"cannot pin {what} (pid {pid}) to CPU {cpu}: {reason}{hint}") from exc


def check_pinned(pid: int, cpu: int, what: str) -> None:
    """Raise ``PinningError`` unless process ``pid`` runs on ``cpu`` only."""
    try:
        affinity = os.sched_getaffinity(pid)
    except OSError as exc:
        raise PinningError(f"cannot read the CPU affinity of {what} (pid {pid}): {exc}") from exc
    if affinity != {cpu}:
        listed = ", ".join(str(number) for number in sorted(affinity))
        raise PinningError(f"{what} (pid {pid}) runs on CPUs {listed}, not on CPU {cpu} only")


@contextlib.contextmanager
def pinned_here(cpu: int | None) -> Iterator[None]:
    """Pin this process (and so every child started in the block) to ``cpu``, then restore its
    affinity; ``None`` pins nothing."""
    if cpu is None:
        yield
        return
    before = allowed_cpus()
    pin(0, cpu, "the benchmark runner")
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)
