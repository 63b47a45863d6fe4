"""Step openssl: a static, position-independent OpenSSL for one architecture."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from lambda_psycopg.cache import StepOutput
from lambda_psycopg.steps import StepContext
from lambda_psycopg.targets import Target
from lambda_psycopg.toolchain import Toolchain, code_version_with_toolchain

CODE = code_version_with_toolchain(__file__)
# Fixed install prefix: it is compiled into the library, so it must not depend on the cache dir.
PREFIX = "/opt/lambda-psycopg/openssl"
# Amazon Linux keeps its CA bundle here (cert.pem, certs/): ``sslrootcert=system`` then works.
OPENSSLDIR = "/etc/pki/tls"
CONFIGURE_OPTIONS = (
    "no-shared",
    "no-module",
    "no-engine",
    "no-legacy",
    "no-tests",
    "no-docs",
    "no-apps",
    "no-ui-console",
)
EXTRA_CFLAGS = ("-fPIC", "-fno-sanitize=undefined")


def install_prefix(output: StepOutput) -> Path:
    """Where the installed OpenSSL (include/, lib/) is inside the step's output."""
    return output.path / "install"


def build_openssl(ctx: StepContext, target: Target, sources: StepOutput) -> StepOutput:
    """Configure, build and install (headers + static libraries) OpenSSL for ``target``."""
    toolchain = Toolchain(target, ctx.cache.root)
    version = ctx.versions.openssl
    inputs = {
        "sources": sources.key,
        "sha256": sources.outputs["sha256"],
        "toolchain": toolchain.identity(),
        "configure": [target.openssl_target, *CONFIGURE_OPTIONS, *EXTRA_CFLAGS],
        "prefix": PREFIX,
        "openssldir": OPENSSLDIR,
        "code": CODE,
    }

    def build(out: Path, work: Path) -> dict[str, Any]:
        tree = toolchain.build_tree(sources.path / "src", work / f"openssl-{version}")
        configure = [
            "perl", "./Configure", target.openssl_target, *CONFIGURE_OPTIONS,
            f"--prefix={PREFIX}", "--libdir=lib", f"--openssldir={OPENSSLDIR}",
            *toolchain.configure_variables(), *EXTRA_CFLAGS,
        ]  # fmt: skip
        tree.run(configure, "OpenSSL Configure")
        tree.run(["make", f"-j{ctx.jobs}", "build_libs"], "OpenSSL make")
        dest = work / "dest"
        tree.run(["make", "install_dev", f"DESTDIR={dest}"], "OpenSSL install")
        installed = dest / PREFIX.lstrip("/")
        (out / "install").mkdir()
        shutil.copytree(installed / "include", out / "install" / "include")
        (out / "install" / "lib").mkdir()
        for library in ("libssl.a", "libcrypto.a"):
            shutil.copy2(installed / "lib" / library, out / "install" / "lib" / library)
        return {"version": version, "prefix": PREFIX, "openssldir": OPENSSLDIR}

    return ctx.run("openssl", f"OpenSSL {version} for {target.arch}", inputs, build)
