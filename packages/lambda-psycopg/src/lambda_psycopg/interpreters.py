"""Interpreters that can run a target's artifact for the live checks.

x86_64: a local CPython of that version, else Debian's interpreter in a sysroot started through
the sysroot's own loader. arm64: Debian's interpreter in a sysroot under qemu-aarch64-static.
The same sysroot, with the libraries of a few more stdlib modules, also gives the test suite a
CPython this machine's distribution lacks (``debian_python_home``).
"""

from __future__ import annotations

import platform
import shutil
from pathlib import Path

from lambda_psycopg.debian_python import debian_sysroot
from lambda_psycopg.errors import BuildError
from lambda_psycopg.prereqs import apt_install
from lambda_psycopg.pythons import Interpreter, find_local_python
from lambda_psycopg.steps import StepContext
from lambda_psycopg.targets import Target

QEMU = "qemu-aarch64-static"
# Libraries of the stdlib modules a test suite needs beyond the minimal interpreter.
TEST_SUITE_LIBRARIES = (
    "libssl3t64", "libsqlite3-0", "libbz2-1.0", "liblzma5", "libuuid1", "libcrypt1", "libgcc-s1",
)  # fmt: skip
HOST_ARCHES = {"x86_64": "x86_64", "aarch64": "arm64"}
PYPY_PACKAGES = ("pypy3", "pypy3-venv")


def _sysroot_interpreter(
    ctx: StepContext, target: Target, extra: tuple[str, ...] = ()
) -> tuple[Interpreter | None, str]:
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
