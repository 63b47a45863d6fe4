"""The cross compiler: ``zig cc`` from the ziglang wheel, targeting glibc 2.17."""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path

from lambda_psycopg.errors import BuildError
from lambda_psycopg.process import run
from lambda_psycopg.targets import Target
from lambda_psycopg.versions import ZIGLANG_VERSION

# A fixed timestamp for everything that embeds one (OpenSSL's buildinf.h, zip entries).
SOURCE_DATE_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip can hold
# Flags every C compile gets: position independent, no zig debug sanitizers, no build paths.
BASE_CFLAGS = ("-O2", "-fPIC", "-fno-sanitize=undefined")


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
            "CC": "zig-cc",
            "AR": "zig-ar",
            "RANLIB": "zig-ranlib",
            "ZIG_GLOBAL_CACHE_DIR": str(self.zig_cache),
            "ZIG_LOCAL_CACHE_DIR": str(self.zig_cache),
            "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH),
            "LC_ALL": "C",
            "TZ": "UTC",
        }

    def cc(self) -> list[str]:
        """The compiler command, for steps that compile files directly."""
        self.ensure()
        return [str(self.bin_dir / "zig-cc")]
