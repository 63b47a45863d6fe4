"""Live verification: the artifact imports with the system's libpq/OpenSSL hidden and connects
with scram-sha-256, sslmode=verify-full and channel_binding=require."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lambda_psycopg.cache import StepCache
from lambda_psycopg.isolation import (
    hidden_libraries_command,
    isolation_unavailable_reason,
    libraries_to_hide,
)
from lambda_psycopg.pipeline import build_target
from lambda_psycopg.pythons import interpreter_for
from lambda_psycopg.steps import StepContext
from lambda_psycopg.targets import Target
from lambda_psycopg.verify import verify_zip

needs_root = pytest.mark.skipif(
    isolation_unavailable_reason() is not None, reason=str(isolation_unavailable_reason())
)


def conninfo(params: dict[str, str]) -> str:
    """libpq keywords as a conninfo string."""

    def quote(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return " ".join(f"{key}={quote(str(value))}" for key, value in params.items())


def strict_dsn(cluster: Any) -> str:
    """The harness's channel-binding mode, with the server verified against the test CA."""
    params = cluster.params(
        "scram-sha-256-plus", sslmode="verify-full", sslrootcert=str(cluster.pki.ca_cert)
    )
    return conninfo(params)


@needs_root
def test_hiding_makes_the_system_libssl_unloadable(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    probe = [sys.executable, "-c", "import ctypes; ctypes.CDLL('libssl.so.3')"]
    hide = libraries_to_hide()
    assert subprocess.run(probe, check=False).returncode == 0
    hidden = subprocess.run(
        hidden_libraries_command(probe, empty, hide), capture_output=True, check=False
    )
    assert hidden.returncode != 0


@needs_root
def test_the_artifact_imports_and_connects_with_system_libraries_hidden(
    built_zip: Path, step_cache: StepCache, pg_cluster: Any
) -> None:
    ctx = StepContext(step_cache)
    report = verify_zip(
        built_zip,
        dsn=strict_dsn(pg_cluster),
        interpreter_for=lambda target: interpreter_for(ctx, target),
    )
    assert [c for c in report.checks if not c.passed] == []
    assert report.level == "import+connect"
    names = {check.name for check in report.checks}
    assert "system libpq/libssl/libcrypto hidden" in names
    assert "no other libpq/OpenSSL loaded" in names


@needs_root
def test_a_wrong_password_fails_the_connect_check(
    built_zip: Path, step_cache: StepCache, pg_cluster: Any
) -> None:
    ctx = StepContext(step_cache)
    dsn = strict_dsn(pg_cluster) + " password='wrong'"
    report = verify_zip(
        built_zip, dsn=dsn, interpreter_for=lambda target: interpreter_for(ctx, target)
    )
    assert not report.passed
    failed = [c for c in report.checks if not c.passed]
    assert "password authentication failed" in failed[0].detail


def test_without_a_dsn_only_import_is_checked(built_zip: Path, step_cache: StepCache) -> None:
    ctx = StepContext(step_cache)
    report = verify_zip(built_zip, dsn=None, interpreter_for=lambda t: interpreter_for(ctx, t))
    assert report.passed
    assert report.level == "import"
    assert any("no DSN" in note for note in report.notes)


def run_verify(*args: str) -> subprocess.CompletedProcess[str]:
    """``lambda-psycopg verify ARGS`` in a subprocess, without a DSN."""
    env = {k: v for k, v in os.environ.items() if k != "LAMBDA_PSYCOPG_TEST_DSN"}
    return subprocess.run(
        [sys.executable, "-m", "lambda_psycopg", "verify", *args],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip


def test_the_verify_command_reports_each_check(built_zip: Path) -> None:
    completed = run_verify(str(built_zip))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"{built_zip.name}: PASSED" in completed.stdout
    assert "[ok] glibc symbol versions" in completed.stdout


def test_the_verify_command_fails_below_the_required_level(built_zip: Path) -> None:
    completed = run_verify("--require-level", "import+connect", str(built_zip))
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert f"{built_zip.name}: FAILED (level: import)" in completed.stdout
    assert "level import is below the required import+connect" in completed.stdout


def test_a_build_writes_both_sidecars_that_verify_checks(built_zip: Path) -> None:
    for suffix in ("sha256", "md5"):
        sidecar = built_zip.with_name(f"{built_zip.name}.{suffix}")
        assert sidecar.read_text().endswith(f"  {built_zip.name}\n")


@needs_root
@pytest.mark.skipif(
    os.environ.get("LAMBDA_PSYCOPG_TEST_ARM64") != "1",
    reason="builds arm64 (minutes when cold): set LAMBDA_PSYCOPG_TEST_ARM64=1",
)
def test_the_arm64_artifact_imports_and_connects_under_qemu(
    step_cache: StepCache, pg_cluster: Any, tmp_path: Path
) -> None:
    ctx = StepContext(step_cache)
    target = Target("3.11", "arm64")
    interpreter, why_not = interpreter_for(ctx, target)
    if interpreter is None:
        pytest.skip(why_not)
    result = build_target(ctx, target, tmp_path)
    report = verify_zip(
        result.zip_path,
        dsn=strict_dsn(pg_cluster),
        interpreter_for=lambda t: interpreter_for(ctx, t),
    )
    assert [c for c in report.checks if not c.passed] == []
    assert report.level == "import+connect"
    assert any("aarch64" in c.detail for c in report.checks if c.name.startswith("import"))
