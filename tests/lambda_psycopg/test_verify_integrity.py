"""`verify` checks a zip's integrity before anything else: both checksum sidecars, then the zip's
own structure and CRCs; a damaged file is named in a clear error, never a traceback."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lambda_psycopg.cli import main
from lambda_psycopg.steps.package import deterministic_zip, write_sidecars

NAME = "psycopg2-2.9.13-libpq-18.6-py3.11-x86_64.zip"


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    """A small zip with its ``.sha256`` and ``.md5`` sidecars, as a build writes them."""
    source = tmp_path / "src" / "__init__.py"
    source.parent.mkdir()
    source.write_text("".join(f"# line {n} of a module that compresses\n" for n in range(2000)))
    path = tmp_path / "dist" / NAME
    path.parent.mkdir()
    deterministic_zip([("psycopg2/__init__.py", source)], path)
    write_sidecars(path)
    return path


def verify(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run ``lambda-psycopg verify path``: exit status and everything printed."""
    status = main(["verify", str(path), "--cache-dir", str(path.parent.parent / "cache")])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def flip_first_data_byte(path: Path) -> None:
    """Change one byte of the first member's compressed data."""
    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
    data = bytearray(path.read_bytes())
    name_length = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    offset = info.header_offset + 30 + name_length + extra_length + 10
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    """Cut the end off (the central directory with it)."""
    path.write_bytes(path.read_bytes()[:-100])


DAMAGES = {"truncated": truncate, "flipped byte": flip_first_data_byte}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_zip_is_named_as_not_matching_its_sha256(
    artifact: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    DAMAGES[damage](artifact)
    status, output = verify(artifact, capsys)
    assert status == 1
    assert f"{artifact} is damaged or was replaced: its sha256 is" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_zip_with_matching_sidecars_fails_the_zip_check(
    artifact: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    DAMAGES[damage](artifact)
    write_sidecars(artifact)
    status, output = verify(artifact, capsys)
    assert status == 1
    assert f"{artifact} is damaged:" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("suffix", ["sha256", "md5"])
def test_a_missing_sidecar_is_named(
    artifact: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    artifact.with_name(f"{NAME}.{suffix}").unlink()
    status, output = verify(artifact, capsys)
    assert status == 1
    assert f"{artifact}.{suffix} is missing" in output


@pytest.mark.parametrize("suffix", ["sha256", "md5"])
def test_a_wrong_digest_in_a_sidecar_is_named(
    artifact: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    sidecar = artifact.with_name(f"{NAME}.{suffix}")
    digest, name = sidecar.read_text().split()
    sidecar.write_text(f"{'0' * len(digest)}  {name}\n")
    status, output = verify(artifact, capsys)
    assert status == 1
    assert f"its {suffix} is {digest}, {NAME}.{suffix} says {'0' * len(digest)}" in output


def test_a_sidecar_for_another_file_is_refused(
    artifact: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sidecar = artifact.with_name(f"{NAME}.sha256")
    digest = sidecar.read_text().split()[0]
    sidecar.write_text(f"{digest}  other.zip\n")
    status, output = verify(artifact, capsys)
    assert status == 1
    assert f"{sidecar} is not a `sha256sum` line for {NAME}" in output


def test_an_intact_zip_gets_past_the_integrity_checks(
    artifact: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, output = verify(artifact, capsys)
    assert status == 1  # the fake zip has no extension: the next check is the first to fail
    assert "expected one psycopg2/_psycopg*.so" in output
    assert "damaged" not in output and "sidecar" not in output
