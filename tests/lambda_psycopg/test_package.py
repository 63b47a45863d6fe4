"""Packaging: deterministic zips with the right layout and checksum sidecars."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lambda_psycopg.steps.package import (
    deterministic_zip,
    package_files,
    sha256_of,
    write_sidecars,
)


def _package_dir(root: Path) -> Path:
    package = root / "psycopg2"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("# psycopg2\n")
    (package / "extras.py").write_text("# extras\n")
    (package / "_psycopg.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    return package


def test_the_same_files_give_the_same_zip_bytes(tmp_path: Path) -> None:
    package = _package_dir(tmp_path / "src")
    files = package_files(package, {})
    deterministic_zip(files, tmp_path / "a.zip")
    for path in package.iterdir():  # new modification times must not matter
        path.touch()
    deterministic_zip(list(reversed(files)), tmp_path / "b.zip")
    assert sha256_of(tmp_path / "a.zip") == sha256_of(tmp_path / "b.zip")


def test_zip_entries_are_sorted_with_a_fixed_timestamp(tmp_path: Path) -> None:
    package = _package_dir(tmp_path / "src")
    deterministic_zip(package_files(package, {}), tmp_path / "a.zip")
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_package_is_at_the_zip_root_with_its_licences(tmp_path: Path) -> None:
    package = _package_dir(tmp_path / "src")
    licence = tmp_path / "COPYRIGHT"
    licence.write_text("PostgreSQL licence")
    files = package_files(package, {"postgresql.txt": licence})
    names = [name for name, _path in files]
    assert "psycopg2/__init__.py" in names
    assert "psycopg2/LICENSES/postgresql.txt" in names
    assert all(name.startswith("psycopg2/") for name in names)


def test_the_extension_is_executable_in_the_zip(tmp_path: Path) -> None:
    package = _package_dir(tmp_path / "src")
    deterministic_zip(package_files(package, {}), tmp_path / "a.zip")
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        modes = {info.filename: info.external_attr >> 16 & 0o777 for info in archive.infolist()}
    assert modes["psycopg2/_psycopg.cpython-311-x86_64-linux-gnu.so"] == 0o755
    assert modes["psycopg2/__init__.py"] == 0o644


def test_sidecars_are_in_sha256sum_and_md5sum_format(tmp_path: Path) -> None:
    artifact = tmp_path / "a.zip"
    artifact.write_bytes(b"zip")
    sha256, md5 = write_sidecars(artifact)
    assert sha256.read_text() == f"{sha256_of(artifact)}  a.zip\n"
    assert md5.read_text() == f"{hashlib.md5(b'zip').hexdigest()}  a.zip\n"


@pytest.mark.parametrize("tool", ["sha256sum", "md5sum"])
def test_sidecars_pass_the_coreutils_check_from_their_directory(tmp_path: Path, tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    artifact = tmp_path / "a.zip"
    artifact.write_bytes(b"zip")
    write_sidecars(artifact)
    suffix = tool.removesuffix("sum")
    checked = subprocess.run(
        [tool, "-c", f"a.zip.{suffix}"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == "a.zip: OK\n"
