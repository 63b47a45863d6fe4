"""Step libpq: PostgreSQL's client library, static, linked against our OpenSSL."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from lambda_psycopg.cache import StepOutput
from lambda_psycopg.errors import BuildError
from lambda_psycopg.steps import StepContext
from lambda_psycopg.steps.openssl import install_prefix as openssl_prefix
from lambda_psycopg.targets import Target
from lambda_psycopg.toolchain import BASE_CFLAGS, Toolchain, code_version_with_toolchain

CODE = code_version_with_toolchain(__file__)
PREFIX = "/opt/lambda-psycopg/libpq"
CONFIGURE_OPTIONS = (
    "--with-ssl=openssl",
    "--without-readline",
    "--without-zlib",
    "--without-icu",
    "--without-gssapi",
    "--without-ldap",
    "--without-zstd",
    "--without-lz4",
    "--disable-nls",
)
# The static libraries psycopg2 links, in link order, and where make leaves them.
LIBRARIES = {
    "libpq.a": "src/interfaces/libpq",
    "libpgcommon_shlib.a": "src/common",
    "libpgport_shlib.a": "src/port",
}
MAKE_TARGETS = (
    ("src/interfaces/libpq", "all-static-lib"),
    ("src/common", "libpgcommon_shlib.a"),
    ("src/port", "libpgport_shlib.a"),
)


def include_dir(output: StepOutput) -> Path:
    """Headers (libpq-fe.h, pg_config.h, libpq/libpq-fs.h, ...) in the step's output."""
    return output.path / "include"


def library_paths(output: StepOutput) -> list[Path]:
    """The static libraries, in link order."""
    return [output.path / "lib" / name for name in LIBRARIES]


def pg_version_num(pg_config_h: str) -> int:
    """``PG_VERSION_NUM`` from a pg_config.h."""
    match = re.search(r"#define PG_VERSION_NUM (\d+)", pg_config_h)
    if match is None:
        raise BuildError("pg_config.h has no PG_VERSION_NUM")
    return int(match.group(1))


def build_libpq(
    ctx: StepContext, target: Target, sources: StepOutput, openssl: StepOutput
) -> StepOutput:
    """Configure PostgreSQL for ``target`` and build only libpq and its two helper libraries."""
    toolchain = Toolchain(target, ctx.cache.root)
    version = ctx.versions.postgres
    inputs = {
        "sources": sources.key,
        "sha256": sources.outputs["sha256"],
        "openssl": openssl.key,
        "toolchain": toolchain.identity(),
        "configure": list(CONFIGURE_OPTIONS),
        "cflags": list(BASE_CFLAGS),
        "prefix": PREFIX,
        "code": CODE,
    }

    def build(out: Path, work: Path) -> dict[str, Any]:
        tree = toolchain.build_tree(sources.path / "src", work / f"postgresql-{version}")
        ssl = openssl_prefix(openssl)
        configure = [
            "./configure", f"--host={target.gnu_triplet}", f"--prefix={PREFIX}",
            *CONFIGURE_OPTIONS,
            *toolchain.configure_variables(),
            f"CFLAGS={' '.join(BASE_CFLAGS)}",
            f"CPPFLAGS=-I{ssl / 'include'}", f"LDFLAGS=-L{ssl / 'lib'}",
            "LIBS=-lpthread -ldl",
        ]  # fmt: skip
        tree.run(configure, "PostgreSQL configure")
        for directory, make_target in MAKE_TARGETS:
            tree.run(["make", f"-j{ctx.jobs}", "-C", directory, make_target], f"make {make_target}")
        shutil.copytree(tree.path / "src" / "include", out / "include", symlinks=True)
        for header in ("libpq-fe.h", "libpq-events.h"):
            libpq_dir = tree.path / "src" / "interfaces" / "libpq"
            shutil.copy2(libpq_dir / header, out / "include" / header)
        (out / "lib").mkdir()
        for name, directory in LIBRARIES.items():
            shutil.copy2(tree.path / directory / name, out / "lib" / name)
        version_num = pg_version_num((out / "include" / "pg_config.h").read_text())
        return {"version": version, "version_num": version_num, "prefix": PREFIX}

    return ctx.run("libpq", f"libpq {version} for {target.arch}", inputs, build)
