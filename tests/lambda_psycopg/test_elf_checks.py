"""Static ELF checks, on the built artifact and on an extension that must fail them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lambda_psycopg.elfcheck import read_elf_facts, static_checks
from lambda_psycopg.pipeline import TargetResult
from lambda_psycopg.targets import Target


@pytest.fixture(scope="module")
def built_extension(built_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(built_zip) as archive:
        archive.extractall(out)
    (extension,) = (out / "psycopg2").glob("_psycopg*.so")
    return extension


def test_the_built_extension_passes_every_static_check(built_extension: Path) -> None:
    checks = static_checks(built_extension, Target("3.11", "x86_64"))
    assert [c for c in checks if not c.passed] == []


def test_the_built_extension_needs_only_the_c_library(built_extension: Path) -> None:
    needed = set(read_elf_facts(built_extension).needed)
    assert needed <= {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2",
                      "ld-linux-x86-64.so.2"}  # fmt: skip
    assert not any("ssl" in name or "crypto" in name or "pq" in name for name in needed)


def test_the_built_extension_needs_no_glibc_newer_than_217(built_extension: Path) -> None:
    assert max(read_elf_facts(built_extension).glibc_versions) <= (2, 17)


def test_the_built_extension_exports_only_its_init_function(built_extension: Path) -> None:
    assert read_elf_facts(built_extension).exported == ("PyInit__psycopg",)


def test_the_build_is_checked_against_the_wrong_architecture(built_extension: Path) -> None:
    renamed = built_extension.with_name("_psycopg.cpython-311-aarch64-linux-gnu.so")
    renamed.write_bytes(built_extension.read_bytes())
    checks = {c.name: c for c in static_checks(renamed, Target("3.11", "arm64"))}
    assert not checks["architecture"].passed
    assert "EM_X86_64" in checks["architecture"].detail


def test_a_dynamically_linked_psycopg2_fails_the_checks() -> None:
    psycopg2 = pytest.importorskip("psycopg2")
    extension = Path(psycopg2._psycopg.__file__)
    if "psycopg2_binary" not in str(list(extension.parent.parent.glob("psycopg2_binary*"))):
        pytest.skip("psycopg2-binary is not installed")
    checks = {c.name: c for c in static_checks(extension, Target("3.11", "x86_64"))}
    assert not checks["needed libraries"].passed
    assert "libpq" in checks["needed libraries"].detail


def test_the_manifest_records_the_static_results(built_artifact: TargetResult) -> None:
    verification = built_artifact.manifest["verification"]
    names = {check["name"] for check in verification["checks"]}
    assert {"architecture", "needed libraries", "glibc symbol versions",
            "exported symbols"} <= names  # fmt: skip
    assert verification["passed"] is True
