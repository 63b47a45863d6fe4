"""Running a command with the system's libpq, libssl and libcrypto hidden.

``LD_LIBRARY_PATH`` cannot hide a library: the loader still finds it through ``ld.so.cache``
and the default directories. Instead the command runs in a private mount namespace
(``unshare --mount``, needs root) in which an empty file is bind-mounted over every copy of those
libraries, so any attempt to load them fails. The mounts vanish with the namespace.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from lambda_psycopg.process import run

HIDDEN_PATTERNS = ("libpq.so*", "libssl.so*", "libcrypto.so*")
LIBRARY_DIRS = (
    "/lib",
    "/lib64",
    "/usr/lib",
    "/usr/lib64",
    "/usr/local/lib",
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
)


def libraries_to_hide(roots: Iterable[Path] = (Path("/"),)) -> list[Path]:
    """Real paths of every libpq / libssl / libcrypto below the library dirs of ``roots``."""
    found: set[Path] = set()
    for root in roots:
        for directory in LIBRARY_DIRS:
            base = root / directory.lstrip("/")
            if not base.is_dir():
                continue
            for pattern in HIDDEN_PATTERNS:
                for path in base.glob(pattern):
                    real = path.resolve()
                    if real.is_file():
                        found.add(real)
    return sorted(found)


@functools.lru_cache(maxsize=1)
def isolation_unavailable_reason() -> str | None:
    """Why hiding cannot work here (probed once), or None if it can."""
    if os.geteuid() != 0:
        return "not root: a mount namespace needs root (run verify as root to hide system libs)"
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "unshare/mount not found (util-linux)"
    probe = run(["unshare", "--mount", "--propagation", "private", "true"], check=False)
    if probe.returncode != 0:
        return f"unshare --mount is not permitted here: {probe.stderr.strip()}"
    return None


def hidden_libraries_command(
    command: Sequence[str], empty_file: Path, hide: Sequence[Path]
) -> list[str]:
    """``command`` wrapped so it runs with an empty file bind-mounted over each of ``hide``."""
    mounts = [
        f"mount --bind {shlex.quote(str(empty_file))} {shlex.quote(str(path))}" for path in hide
    ]
    script = " && ".join([*mounts, 'exec "$@"'])
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *command]
