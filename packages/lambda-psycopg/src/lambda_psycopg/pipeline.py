"""The whole build of one target: every step in order, then artifacts, verification, manifest."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lambda_psycopg import __version__
from lambda_psycopg.cache import StepOutput
from lambda_psycopg.errors import BuildError
from lambda_psycopg.pythons import PythonHeaders, interpreter_for, python_headers
from lambda_psycopg.steps import (
    STEP_ORDER,
    StepContext,
    fetch,
    libpq,
    openssl,
    package,
    psycopg2,
    sources,
)
from lambda_psycopg.targets import ArtifactNames, Target, artifact_names, glibc_floor_text
from lambda_psycopg.toolchain import BASE_CFLAGS, Toolchain
from lambda_psycopg.verify import VerifyReport, verify_zip
from lambda_psycopg.versions import python_tuple

LATEST = "latest.json"


@dataclass
class TargetResult:
    """What building one target produced."""

    target: Target
    names: ArtifactNames
    out_dir: Path
    report: VerifyReport
    manifest: dict[str, Any]

    @property
    def zip_path(self) -> Path:
        """The plain zip (``psycopg2/`` at its root)."""
        return self.out_dir / self.names.zip


@dataclass
class StepResults:
    """What one target's steps produced so far, filled in ``STEP_ORDER``."""

    target: Target
    psycopg2_version: str
    names: ArtifactNames
    # step name -> its outputs; fetch and sources: (postgres, openssl, psycopg2)
    outputs: dict[str, tuple[StepOutput, ...]] = field(default_factory=dict)
    headers: PythonHeaders | None = None

    def output(self, step: str, index: int = 0) -> StepOutput:
        """The (``index``-th) output of ``step``, which must have run."""
        return self.outputs[step][index]

    def describe(self, step: str) -> str:
        """Where ``step``'s outputs are, for ``lambda-psycopg step``."""
        return ", ".join(str(output.path) for output in self.outputs[step])


def _fetch(ctx: StepContext, results: StepResults) -> tuple[StepOutput, ...]:
    return (
        fetch.fetch_debian_source(ctx, "postgres"),
        fetch.fetch_debian_source(ctx, "openssl"),
        fetch.fetch_psycopg2(ctx, results.psycopg2_version),
    )


def _sources(ctx: StepContext, results: StepResults) -> tuple[StepOutput, ...]:
    return (
        sources.prepare_debian_source(ctx, "postgres", results.output("fetch", 0)),
        sources.prepare_debian_source(ctx, "openssl", results.output("fetch", 1)),
        sources.prepare_psycopg2(ctx, results.psycopg2_version, results.output("fetch", 2)),
    )


def _openssl(ctx: StepContext, results: StepResults) -> tuple[StepOutput, ...]:
    return (openssl.build_openssl(ctx, results.target, results.output("sources", 1)),)


def _libpq(ctx: StepContext, results: StepResults) -> tuple[StepOutput, ...]:
    pg_src, ssl_out = results.output("sources", 0), results.output("openssl")
    return (libpq.build_libpq(ctx, results.target, pg_src, ssl_out),)


def _psycopg2(ctx: StepContext, results: StepResults) -> tuple[StepOutput, ...]:
    results.headers = python_headers(ctx, results.target)
    built = psycopg2.build_psycopg2(
        ctx,
        results.target,
        version=results.psycopg2_version,
        sources=results.output("sources", 2),
        libpq=results.output("libpq"),
        openssl=results.output("openssl"),
        headers=results.headers,
    )
    return (built,)


def _package(ctx: StepContext, results: StepResults) -> tuple[StepOutput, ...]:
    pg_src, ssl_src, py_src = results.outputs["sources"]
    licenses = {
        "psycopg2.txt": py_src.path / "src" / "LICENSE",
        "postgresql.txt": pg_src.path / "src" / "COPYRIGHT",
        "openssl.txt": ssl_src.path / "src" / "LICENSE.txt",
    }
    built = results.output("psycopg2")
    return (package.package_target(ctx, results.target, results.names, built, licenses),)


STEP_RUNNERS: dict[str, Callable[[StepContext, StepResults], tuple[StepOutput, ...]]] = {
    "fetch": _fetch,
    "sources": _sources,
    "openssl": _openssl,
    "libpq": _libpq,
    "psycopg2": _psycopg2,
    "package": _package,
}


def run_steps(ctx: StepContext, target: Target, last: str = STEP_ORDER[-1]) -> StepResults:
    """Run the steps for ``target`` in ``STEP_ORDER``, up to and including ``last``."""
    psycopg2_version = ctx.versions.psycopg2_for(target.python)
    names = artifact_names(target, psycopg2_version, ctx.versions.postgres)
    results = StepResults(target, psycopg2_version, names)
    for step in STEP_ORDER[: STEP_ORDER.index(last) + 1]:
        results.outputs[step] = STEP_RUNNERS[step](ctx, results)
    return results


def check_compatible(target: Target, psycopg2_version: str) -> None:
    """psycopg2 2.9.13 dropped Python 3.9: refuse the combination with a clear message."""
    parts = tuple(int(p) for p in psycopg2_version.split(".")[:3] if p.isdigit())
    if python_tuple(target.python) < (3, 10) and parts >= (2, 9, 13):
        raise BuildError(
            f"psycopg2 {psycopg2_version} does not support Python {target.python}",
            "psycopg2 2.9.12 is the last release for Python 3.9 (the default for 3.9)",
        )


def build_target(
    ctx: StepContext, target: Target, out_dir: Path, dsn: str | None = None
) -> TargetResult:
    """Run every step for ``target`` and leave the artifacts, verified, in ``out_dir``."""
    versions = ctx.versions
    check_compatible(target, versions.psycopg2_for(target.python))
    results = run_steps(ctx, target)
    names, psycopg2_version, headers = results.names, results.psycopg2_version, results.headers
    assert headers is not None  # the psycopg2 step found them
    pg_src, ssl_src, py_src = results.outputs["sources"]
    ssl_out, pq_out = results.output("openssl"), results.output("libpq")
    built, packaged = results.output("psycopg2"), results.output("package")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (names.zip, names.layer_zip):
        for file_name in (name, *(f"{name}.{suffix}" for suffix in package.SIDECARS)):
            shutil.copy2(packaged.path / file_name, out_dir / file_name)

    interpreter = interpreter_for(ctx, target)  # may prepare a sysroot: its own step
    ctx.reporter.started("verify", names.zip)
    verify_started = time.monotonic()
    report = verify_zip(
        out_dir / names.zip,
        dsn=dsn,
        interpreter_for=lambda _target: interpreter,
        expected_libpq=int(pq_out.outputs["version_num"]),
    )
    verify_seconds = time.monotonic() - verify_started
    if not report.passed:
        failures = [f"{c.name}: {c.detail}" for c in report.checks if not c.passed]
        ctx.reporter.failed("verify", names.zip, BuildError("verification failed"))
        raise BuildError(
            f"{names.zip} failed verification:\n    " + "\n    ".join(failures),
            "the artifact is kept in the cache but was not published to --out as verified",
        )
    ctx.reporter.finished("verify", f"{names.zip} ({report.level})", False, verify_seconds)

    toolchain = Toolchain(target, ctx.cache.root)
    manifest = {
        "tool": {"name": "lambda-psycopg", "version": __version__},
        "target": {
            "python": target.python,
            "arch": target.arch,
            "lambda_runtime": target.lambda_runtime,
            "glibc_floor": glibc_floor_text(),
            "extension": built.outputs["extension"],
            "extension_sha256": built.outputs["extension_sha256"],
        },
        "artifacts": {
            "zip": packaged.outputs["zip"],
            "layer_zip": packaged.outputs["layer_zip"],
        },
        "inputs": {
            "psycopg2": {"version": psycopg2_version, "source": "PyPI sdist", **py_src.outputs},
            "postgresql": {
                "version": versions.postgres,
                "libpq_version_num": pq_out.outputs["version_num"],
                "source": "Debian source package",
                **pg_src.outputs,
            },
            "openssl": {
                "version": versions.openssl,
                "source": "Debian source package",
                **ssl_src.outputs,
            },
            "python_headers": {"origin": headers.origin, "sha256": headers.sha256},
        },
        "toolchain": toolchain.identity(),
        "flags": {
            "openssl_configure": [*openssl.CONFIGURE_OPTIONS, *openssl.EXTRA_CFLAGS],
            "openssl_prefix": openssl.PREFIX,
            "openssldir": openssl.OPENSSLDIR,
            "libpq_configure": list(libpq.CONFIGURE_OPTIONS),
            "cflags": list(BASE_CFLAGS),
            "psycopg2_cflags": [*BASE_CFLAGS, *psycopg2.EXTRA_CFLAGS],
            "psycopg2_ldflags": [*psycopg2.LDFLAGS, *psycopg2.SYSTEM_LIBRARIES],
        },
        "cache_keys": {
            "openssl": ssl_out.key,
            "libpq": pq_out.key,
            "psycopg2": built.key,
            "package": packaged.key,
        },
        "verification": report.to_json(),
    }
    package.write_manifest(out_dir / names.manifest, manifest)
    return TargetResult(target, names, out_dir, report, manifest)


def write_latest(out_dir: Path, results: list[TargetResult]) -> Path:
    """``latest.json``: where this run's artifacts are (absolute paths), for scripts and CI."""
    entries = [
        {
            "python": result.target.python,
            "arch": result.target.arch,
            "zip": str((result.out_dir / result.names.zip).resolve()),
            "layer_zip": str((result.out_dir / result.names.layer_zip).resolve()),
            "manifest": str((result.out_dir / result.names.manifest).resolve()),
            "sha256": result.manifest["artifacts"]["zip"]["sha256"],
            "verification": result.report.level,
        }
        for result in results
    ]
    path = out_dir / LATEST
    path.write_text(json.dumps({"artifacts": entries}, indent=2) + "\n")
    return path
