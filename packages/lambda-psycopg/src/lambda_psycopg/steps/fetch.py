"""Step fetch: download the source tarballs (Debian source packages and psycopg2's sdist)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lambda_psycopg.apt import PrivateApt, upstream_part
from lambda_psycopg.cache import StepOutput, code_version
from lambda_psycopg.errors import BuildError
from lambda_psycopg.process import failure, failure_detail, run
from lambda_psycopg.steps import StepContext
from lambda_psycopg.versions import OPENSSL_DEBIAN_PACKAGE, POSTGRES_DEBIAN_PACKAGE

CODE = code_version(__file__)


def debian_package(kind: str, version: str) -> str:
    """The Debian source package of ``kind`` ("postgres" or "openssl") at ``version``."""
    if kind == "postgres":
        return POSTGRES_DEBIAN_PACKAGE.format(major=version.split(".", maxsplit=1)[0])
    return OPENSSL_DEBIAN_PACKAGE


def choose_debian_version(available: list[str], upstream: str) -> str | None:
    """The Debian version packaging upstream release ``upstream`` (the last one listed)."""
    matching = [version for version in available if upstream_part(version) == upstream]
    return matching[-1] if matching else None


def fetch_debian_source(ctx: StepContext, kind: str) -> StepOutput:
    """Download the Debian source package carrying the pinned upstream release of ``kind``."""
    version = ctx.versions.postgres if kind == "postgres" else ctx.versions.openssl
    package = debian_package(kind, version)
    inputs = {"package": package, "upstream": version, "code": CODE}

    def build(out: Path, work: Path) -> dict[str, Any]:
        apt = PrivateApt(ctx.cache.dir("apt"))
        available = apt.source_versions(package)
        debian_version = choose_debian_version(available, version)
        if debian_version is None:
            offered = ", ".join(upstream_part(v) for v in available) or "none"
            raise BuildError(
                f"Debian does not offer {kind} {version} (source package {package})",
                f"versions on offer: {offered}; pass one of them with --{kind}",
            )
        apt.download_source(package, debian_version, out)
        dsc = next(out.glob("*.dsc"), None)
        if dsc is None:
            raise BuildError(f"apt-get source {package}={debian_version} produced no .dsc")
        return {"package": package, "debian_version": debian_version, "dsc": dsc.name}

    return ctx.run("fetch", f"{kind} {version} (Debian {package})", inputs, build)


def fetch_psycopg2(ctx: StepContext, version: str) -> StepOutput:
    """Download psycopg2's sdist from PyPI with pip."""
    inputs = {"package": "psycopg2", "version": version, "code": CODE}

    def build(out: Path, work: Path) -> dict[str, Any]:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:",
            "--no-deps", "--dest", str(out), f"psycopg2=={version}",
        ]  # fmt: skip
        what = f"downloading psycopg2 {version}"
        completed = run(command, what=what, check=False)
        if completed.returncode != 0:
            detail = failure_detail(completed)
            hint = "check the network connection to PyPI (or PIP_INDEX_URL)"
            if "No matching distribution" in detail:
                hint = f"psycopg2 {version} does not exist on PyPI: check --psycopg2"
            if "No module named pip" in detail:
                hint = "install pip into this Python"
            raise failure(completed, what, hint)
        sdist = out / f"psycopg2-{version}.tar.gz"
        if not sdist.is_file():
            raise BuildError(f"pip did not produce {sdist.name}")
        return {"sdist": sdist.name}

    return ctx.run("fetch", f"psycopg2 {version} (PyPI sdist)", inputs, build)
