"""Interpreters that can run a target's artifact for the live checks.

x86_64: a local CPython of that version, else Debian's interpreter in a sysroot started through
the sysroot's own loader. arm64: Debian's interpreter in a sysroot under qemu-aarch64-static.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from lambda_psycopg.debian_python import debian_sysroot
from lambda_psycopg.errors import BuildError
from lambda_psycopg.pythons import Interpreter, find_local_python
from lambda_psycopg.steps import StepContext
from lambda_psycopg.targets import Target

QEMU = "qemu-aarch64-static"


def _sysroot_interpreter(ctx: StepContext, target: Target) -> tuple[Interpreter | None, str]:
    try:
        sysroot = debian_sysroot(ctx, target)
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
