"""Python headers and interpreters from Debian's binary packages (any architecture), unpacked
into the cache: arm64 headers to compile against, and sysroots that run under qemu-user."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from lambda_psycopg.apt import PrivateApt
from lambda_psycopg.cache import StepOutput, code_version
from lambda_psycopg.errors import BuildError
from lambda_psycopg.process import run_logged
from lambda_psycopg.pythons import PythonHeaders, tree_sha256
from lambda_psycopg.steps import StepContext
from lambda_psycopg.targets import Target

CODE = code_version(__file__)
# Packages a minimal interpreter needs; the optional ones only add stdlib extension modules.
SYSROOT_REQUIRED = ("python{v}-minimal", "libpython{v}-minimal", "libpython{v}-stdlib", "libc6")
MERGED_USR = ("bin", "sbin", "lib", "lib64")
SYSROOT_OPTIONAL = ("zlib1g", "libexpat1", "libffi8", "libmpdec3", "libmpdec4", "libzstd1")


def _unpack_debs(
    ctx: StepContext, packages: list[tuple[str, str]], arch: str, root: Path, work: Path
) -> dict[str, dict[str, str]]:
    apt = PrivateApt(ctx.cache.dir("apt"))
    debs = apt.download_binaries(packages, arch, work / "debs")
    # Debian is /usr-merged: /lib etc. are symlinks into /usr, which the packages do not ship.
    for name in MERGED_USR:
        (root / "usr" / name).mkdir(parents=True, exist_ok=True)
        if not (root / name).exists():
            (root / name).symlink_to(f"usr/{name}")
    recorded = {}
    for package, version in packages:
        deb = debs[package]
        run_logged(
            ["dpkg-deb", "-x", deb, root], cwd=work, log=work / "unpack.log", what="dpkg-deb -x"
        )
        digest = hashlib.sha256(deb.read_bytes()).hexdigest()
        recorded[package] = {"version": version, "deb": deb.name, "sha256": digest}
    return recorded


def debian_headers(ctx: StepContext, target: Target) -> PythonHeaders | None:
    """``libpython3.X-dev`` for the target's architecture, unpacked; None if Debian lacks it."""
    package = f"libpython{target.python}-dev"
    apt = PrivateApt(ctx.cache.dir("apt"))
    versions = apt.binary_versions(package, target.debian_arch)
    if not versions:
        return None
    version = versions[0]
    inputs = {"package": package, "arch": target.debian_arch, "version": version, "code": CODE}

    def build(out: Path, work: Path) -> dict[str, Any]:
        return {
            "debs": _unpack_debs(ctx, [(package, version)], target.debian_arch, out / "root", work)
        }

    output = ctx.run("headers", f"Debian {package}:{target.debian_arch} {version}", inputs, build)
    include = output.path / "root" / "usr" / "include"
    python_dir = include / f"python{target.python}"
    if not (python_dir / "Python.h").is_file():
        raise BuildError(f"{package} has no Python.h under {python_dir}")
    return PythonHeaders(
        (python_dir, include),
        f"Debian {package}:{target.debian_arch} {version}",
        tree_sha256(python_dir) + tree_sha256(include / target.gnu_triplet),
    )


def debian_sysroot(
    ctx: StepContext, target: Target, extra: tuple[str, ...] = ()
) -> StepOutput | None:
    """A root filesystem with Debian's python3.X for the target's arch; None if unavailable.

    ``extra``: more optional packages (libraries of stdlib modules such as ``ssl``).
    """
    apt = PrivateApt(ctx.cache.dir("apt"))
    arch = target.debian_arch
    required = [template.format(v=target.python) for template in SYSROOT_REQUIRED]
    optional = [*SYSROOT_OPTIONAL, *extra]
    available = apt.binary_versions_of([*required, *optional], arch)
    if not all(available[name] for name in required):
        return None
    chosen = [(name, available[name][0]) for name in [*required, *optional] if available[name]]
    inputs = {"packages": chosen, "arch": arch, "code": CODE}

    def build(out: Path, work: Path) -> dict[str, Any]:
        return {"debs": _unpack_debs(ctx, chosen, arch, out / "root", work)}

    return ctx.run("sysroot", f"Debian python{target.python}:{arch} sysroot", inputs, build)
