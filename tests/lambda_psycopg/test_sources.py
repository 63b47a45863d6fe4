"""Source verification: the .dsc checksums, the pinned upstream sha256, Debian versions."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from lambda_psycopg.errors import BuildError
from lambda_psycopg.steps.fetch import choose_debian_version, debian_package
from lambda_psycopg.steps.sources import check_sha256, dsc_checksums

ORIG_SHA256 = "a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8"
DEBIAN_SHA256 = "593a47654ead460a3b609503733f80bef552ff0802799d3b47784faacc50809f"
DSC = f"""\
Format: 3.0 (quilt)
Source: openssl
Version: 3.5.7-1~deb13u2
Checksums-Sha1:
 1111111111111111111111111111111111111111 53153930 openssl_3.5.7.orig.tar.gz
Checksums-Sha256:
 {ORIG_SHA256} 53153930 openssl_3.5.7.orig.tar.gz
 {DEBIAN_SHA256} 74836 openssl_3.5.7-1~deb13u2.debian.tar.xz
Files:
 6143c18ab91bdfcaa056a61861814cde 53153930 openssl_3.5.7.orig.tar.gz
"""


def test_dsc_sha256_checksums_are_read_per_file() -> None:
    assert dsc_checksums(DSC) == {
        "openssl_3.5.7.orig.tar.gz": (
            "a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8"
        ),
        "openssl_3.5.7-1~deb13u2.debian.tar.xz": (
            "593a47654ead460a3b609503733f80bef552ff0802799d3b47784faacc50809f"
        ),
    }


def test_a_dsc_without_sha256_checksums_is_an_error() -> None:
    with pytest.raises(BuildError, match="no Checksums-Sha256"):
        dsc_checksums("Format: 3.0 (quilt)\nSource: openssl\n")


def test_a_checksum_mismatch_names_the_file_and_both_digests(tmp_path: Path) -> None:
    tarball = tmp_path / "openssl_3.5.7.orig.tar.gz"
    tarball.write_bytes(b"tampered")
    actual = hashlib.sha256(b"tampered").hexdigest()
    with pytest.raises(BuildError) as raised:
        check_sha256(tarball, "0" * 64, "pinned in versions.py")
    message = str(raised.value)
    assert "checksum mismatch for openssl_3.5.7.orig.tar.gz" in message
    assert "0" * 64 in message and actual in message
    assert "pinned in versions.py" in message


def test_a_matching_checksum_is_accepted(tmp_path: Path) -> None:
    tarball = tmp_path / "file"
    tarball.write_bytes(b"release")
    digest = hashlib.sha256(b"release").hexdigest()
    assert check_sha256(tarball, digest, "pin") == digest


def test_the_debian_version_is_chosen_by_its_upstream_part() -> None:
    offered = ["3.5.6-1~deb13u2", "3.5.7-1~deb13u2", "3.6.3-1"]
    assert choose_debian_version(offered, "3.5.7") == "3.5.7-1~deb13u2"
    assert choose_debian_version(offered, "3.5.9") is None


def test_postgres_source_package_is_named_after_the_major() -> None:
    assert debian_package("postgres", "18.6") == "postgresql-18"
    assert debian_package("openssl", "3.5.7") == "openssl"
