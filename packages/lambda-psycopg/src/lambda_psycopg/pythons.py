"""The target's Python: the headers to compile against and the interpreters to run with.

Headers. x86_64: a local CPython of that version (pyenv or PATH), else Debian's
``libpython3.X-dev``. arm64: Debian's ``libpython3.X-dev:arm64`` (its pyconfig.h is arm64's),
else the local x86_64 headers: both are LP64 little-endian Linux, so the C API layout an
extension sees is the same; the manifest records which was used.

Interpreters (for the live checks). x86_64: a local CPython of that version, else Debian's
interpreter in a sysroot started through the sysroot's own loader. arm64: Debian's interpreter
in a sysroot under qemu-aarch64-static. The same sysroot, with the libraries of a few more stdlib
modules, also gives the test suite a CPython this machine's distribution lacks
(``debian_python_home``).

Debian's headers and sysroots are cached steps (``steps.debian_python``), imported on demand.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from lambda_psycopg.errors import BuildError
from lambda_psycopg.prereqs import apt_install
from lambda_psycopg.steps import StepContext
from lambda_psycopg.targets import Target
from lambda_psycopg.versions import python_tuple

QEMU = "qemu-aarch64-static"
# Libraries of the stdlib modules a test suite needs beyond the minimal interpreter.
TEST_SUITE_LIBRARIES = (
    "libssl3t64", "libsqlite3-0", "libbz2-1.0", "liblzma5", "libuuid1", "libcrypt1", "libgcc-s1",
)  # fmt: skip
HOST_ARCHES = {"x86_64": "x86_64", "aarch64": "arm64"}
PYPY_PACKAGES = ("pypy3", "pypy3-venv")


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


def python_headers(ctx: StepContext, target: Target) -> PythonHeaders:
    """Headers for ``target`` (see the module docstring for the order of preference)."""
    from lambda_psycopg.steps.debian_python import debian_headers

    local = find_local_python(target.python)
    if target.arch == "x86_64" and local is not None:
        return local_headers(local)
    from_debian = debian_headers(ctx, target)
    if from_debian is not None:
        return from_debian
    if local is not None:
        headers = local_headers(local)
        return PythonHeaders(
            headers.include_dirs, headers.origin + " (x86_64 pyconfig.h)", headers.sha256
        )
    raise BuildError(
        f"no Python {target.python} headers found (neither local nor in Debian)",
        f"install it with `pyenv install {target.python}` (or put python{target.python} "
        "with its headers on PATH)",
    )


def _sysroot_interpreter(
    ctx: StepContext, target: Target, extra: tuple[str, ...] = ()
) -> tuple[Interpreter | None, str]:
    from lambda_psycopg.steps.debian_python import debian_sysroot

    try:
        sysroot = debian_sysroot(ctx, target, extra)
    except BuildError as error:
        return None, f"could not prepare a Debian sysroot: {error.message}"
    if sysroot is None:
        return None, f"Debian has no python{target.python} for {target.debian_arch}"
    root = sysroot.path / "root"
    python = root / "usr" / "bin" / f"python{target.python}"
    if target.arch == "arm64":
        qemu = shutil.which(QEMU)
        if qemu is None:
            return None, f"{QEMU} not found (lambda-psycopg setup installs qemu-user-static)"
        argv: tuple[str, ...] = (qemu, "-L", str(root), str(python))
        return Interpreter(argv, f"Debian python{target.python} arm64 under qemu", root), ""
    libdirs = [root / "lib" / target.gnu_triplet, root / "usr" / "lib" / target.gnu_triplet]
    loader = _find(root, target.loader)
    if loader is None:
        return None, f"no {target.loader} in the sysroot"
    argv = (str(loader), "--library-path", ":".join(map(str, libdirs)), str(python))
    return Interpreter(argv, f"Debian python{target.python} x86_64 (sysroot)", root), ""


def _find(root: Path, name: str) -> Path | None:
    for candidate in sorted(root.rglob(name)):
        return candidate
    return None


def interpreter_for(ctx: StepContext, target: Target) -> tuple[Interpreter | None, str]:
    """An interpreter for ``target`` or None with the reason there is none."""
    if target.arch == "x86_64":
        local = find_local_python(target.python)
        if local is not None:
            return Interpreter((str(local.executable),), f"CPython {local.version} x86_64"), ""
    return _sysroot_interpreter(ctx, target)


def test_interpreter(ctx: StepContext, name: str, home: Path) -> Path:
    """An interpreter for running a test suite: ``pypy3`` (Debian's, installed with apt-get)
    or a CPython version this machine lacks (``debian_python_home``)."""
    if name == "pypy3":
        apt_install(list(PYPY_PACKAGES))  # at once when installed; pypy3-venv may be missing
        found = shutil.which("pypy3")
        if found is None:
            raise BuildError("pypy3 is not on PATH after installing it")
        return Path(found)
    return debian_python_home(ctx, name, home)


def debian_python_home(ctx: StepContext, python: str, home: Path) -> Path:
    """Debian's CPython ``python`` for this machine, runnable here; returns ``home/bin/pythonX.Y``.

    That file is a launcher: it starts the sysroot's interpreter through the sysroot's loader,
    passing its own path as argv[0]. CPython finds its stdlib next to that path (``home/lib`` links
    to the sysroot's), so ``sys.executable`` is the launcher, subprocesses and ``-m venv`` work.
    """
    arch = HOST_ARCHES.get(platform.machine())
    if arch != "x86_64":
        raise BuildError(f"a Debian test interpreter runs on x86_64 only, not {platform.machine()}")
    interpreter, why_not = _sysroot_interpreter(ctx, Target(python, arch), TEST_SUITE_LIBRARIES)
    if interpreter is None or interpreter.sysroot is None:
        raise BuildError(f"no Debian python{python}: {why_not}")
    *loader, program = interpreter.argv
    (home / "bin").mkdir(parents=True, exist_ok=True)
    stdlib = home / "lib" / f"python{python}"
    if not stdlib.is_symlink():
        stdlib.parent.mkdir(parents=True, exist_ok=True)
        stdlib.symlink_to(interpreter.sysroot / "usr" / "lib" / f"python{python}")
    launcher = home / "bin" / f"python{python}"
    words = " ".join(f"'{word}'" for word in loader)
    launcher.write_text(f'#!/bin/sh\nexec {words} --argv0 "$0" \'{program}\' "$@"\n')
    launcher.chmod(0o755)
    return launcher
