"""Where the Python headers (to compile) and interpreters (to verify) come from."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from lambda_psycopg.versions import python_tuple


@dataclass(frozen=True)
class LocalPython:
    """An installed CPython: its interpreter and its header directory."""

    version: str  # full version, e.g. "3.12.1"
    executable: Path
    include_dir: Path


def pyenv_root() -> Path:
    """``$PYENV_ROOT`` or ``~/.pyenv``."""
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


def find_local_python(python: str) -> LocalPython | None:
    """The newest local CPython ``python`` ("3.12") with headers: pyenv first, then PATH."""
    major, minor = python_tuple(python)
    versions_dir = pyenv_root() / "versions"
    candidates = []
    if versions_dir.is_dir():
        pattern = re.compile(rf"^{major}\.{minor}\.\d+$")
        candidates = sorted(
            (path for path in versions_dir.iterdir() if pattern.match(path.name)),
            key=lambda path: _version_key(path.name),
        )
    for prefix in reversed(candidates):
        executable = prefix / "bin" / f"python{python}"
        include = prefix / "include" / f"python{python}"
        if executable.is_file() and (include / "Python.h").is_file():
            return LocalPython(prefix.name, executable, include)
    on_path = shutil.which(f"python{python}")
    if on_path:
        prefix = Path(on_path).resolve().parent.parent
        include = prefix / "include" / f"python{python}"
        if (include / "Python.h").is_file():
            return LocalPython(python, Path(on_path), include)
    return None


@dataclass(frozen=True)
class PythonHeaders:
    """Include directories for compiling against one Python, where they came from, their hash."""

    include_dirs: tuple[Path, ...]
    origin: str
    sha256: str


def tree_sha256(directory: Path) -> str:
    """One sha256 over every file below ``directory`` (relative names and contents, sorted)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(directory)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def local_headers(local: LocalPython) -> PythonHeaders:
    """The headers of an installed CPython."""
    return PythonHeaders(
        (local.include_dir,), f"local CPython {local.version}", tree_sha256(local.include_dir)
    )


@dataclass(frozen=True)
class Interpreter:
    """How to start a Python of the target's version and architecture."""

    argv: tuple[str, ...]
    description: str
    # A foreign-architecture root filesystem whose libraries must be hidden too.
    sysroot: Path | None = None
