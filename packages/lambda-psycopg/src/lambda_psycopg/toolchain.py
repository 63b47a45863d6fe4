"""The cross compiler: ``zig cc`` from the ziglang wheel, targeting glibc 2.17."""

from __future__ import annotations

import functools
import os
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path

from lambda_psycopg.cache import code_version
from lambda_psycopg.errors import BuildError
from lambda_psycopg.process import run, run_logged
from lambda_psycopg.targets import Target
from lambda_psycopg.versions import ZIGLANG_VERSION

# A fixed timestamp for everything that embeds one (OpenSSL's buildinf.h, zip entries).
SOURCE_DATE_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip can hold
# Flags every C compile gets: position independent, no zig debug sanitizers, no build paths.
BASE_CFLAGS = ("-O2", "-fPIC", "-fno-sanitize=undefined")
# The wrapper scripts, by the make / configure variable that names each tool.
WRAPPERS = {"CC": "zig-cc", "AR": "zig-ar", "RANLIB": "zig-ranlib"}


def code_version_with_toolchain(step_file: str) -> str:
    """The code version of a step that builds with this module's ``BuildTree``: a change to
    how sources are configured and built here rebuilds that step too."""
    return code_version(step_file, __file__)


@functools.lru_cache(maxsize=1)
def zig_executable() -> Path:
    """The ``zig`` binary shipped in the ziglang wheel."""
    try:
        import ziglang  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        raise BuildError(
            "the zig toolchain (Python package ziglang) is not installed",
            f"pip install ziglang=={ZIGLANG_VERSION}",
        ) from exc
    path = Path(ziglang.__file__).parent / "zig"
    if not path.is_file():
        raise BuildError(f"ziglang is installed but {path} is missing", "reinstall ziglang")
    return path


@functools.lru_cache(maxsize=1)
def zig_version() -> str:
    """``zig version`` output, e.g. ``0.15.2``."""
    return run([zig_executable(), "version"]).stdout.strip()


class Toolchain:
    """Wrapper scripts ``zig-cc``, ``zig-ar``, ``zig-ranlib`` for one target, and their env.

    The scripts have fixed names and are found through PATH, so no cache path ends up in the
    compiler string OpenSSL records.
    """

    def __init__(self, target: Target, cache_root: Path) -> None:
        self.target = target
        self.zig = zig_executable()
        self.bin_dir = cache_root / "toolchain" / f"{target.zig_triple}-zig{zig_version()}"
        self.zig_cache = cache_root / "zig-cache"

    def identity(self) -> dict[str, str]:
        """What identifies this toolchain in cache keys."""
        return {"zig": zig_version(), "target": self.target.zig_triple}

    def ensure(self) -> None:
        """Write the wrapper scripts (idempotent)."""
        self.bin_dir.mkdir(parents=True, exist_ok=True)
        self.zig_cache.mkdir(parents=True, exist_ok=True)
        scripts = {
            "zig-cc": f'exec "{self.zig}" cc -target {self.target.zig_triple} "$@"\n',
            "zig-ar": f'exec "{self.zig}" ar "$@"\n',
            "zig-ranlib": f'exec "{self.zig}" ranlib "$@"\n',
        }
        for name, body in scripts.items():
            path = self.bin_dir / name
            content = "#!/bin/sh\n" + body
            if not path.is_file() or path.read_text() != content:
                path.write_text(content)
                path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    def env(self) -> dict[str, str]:
        """Environment for configure / make: the wrappers first on PATH, a private zig cache."""
        self.ensure()
        return {
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            **WRAPPERS,
            "ZIG_GLOBAL_CACHE_DIR": str(self.zig_cache),
            "ZIG_LOCAL_CACHE_DIR": str(self.zig_cache),
            "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH),
            "LC_ALL": "C",
            "TZ": "UTC",
        }

    def cc(self) -> list[str]:
        """The compiler command, for steps that compile files directly."""
        self.ensure()
        return [str(self.bin_dir / WRAPPERS["CC"])]

    def configure_variables(self) -> list[str]:
        """``CC=zig-cc`` and the like, for a configure script's command line."""
        return [f"{variable}={name}" for variable, name in WRAPPERS.items()]

    def build_tree(self, sources: Path, tree: Path) -> BuildTree:
        """A copy of the unpacked ``sources`` at ``tree``, to configure and build in."""
        shutil.copytree(sources, tree, symlinks=True)
        return BuildTree(tree, self.env(), tree.parent / "build.log")


class BuildTree:
    """A writable source tree of a step: each command runs in it with the toolchain's
    environment and appends its output to one log, quoted when the command fails."""

    def __init__(self, path: Path, env: dict[str, str], log: Path) -> None:
        self.path = path
        self.env = env
        self.log = log

    def run(self, command: Sequence[str | Path], what: str, log: Path | None = None) -> None:
        """Run ``command`` in the tree (BuildError with the log's tail when it fails); ``log``
        replaces the tree's log, for commands that run in parallel."""
        run_logged(command, cwd=self.path, log=log or self.log, env=self.env, what=what)
