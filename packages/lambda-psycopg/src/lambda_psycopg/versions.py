"""Pinned versions of every input and the checksums they must match, in one place.

The upstream sha256 of each tarball is pinned here; the build also checks the Debian source
package's ``.dsc`` (itself authenticated by apt through the signed archive index).
"""

from __future__ import annotations

from dataclasses import dataclass

# PostgreSQL and OpenSSL come from Debian's source packages (trixie / sid), whose .orig tarball
# is the upstream release tarball.
POSTGRES_DEFAULT = "18.6"
OPENSSL_DEFAULT = "3.5.7"
# psycopg2 2.9.13 needs Python >= 3.10; 2.9.12 is the last release that supports 3.9.
PSYCOPG2_DEFAULT = "2.9.13"
PSYCOPG2_FOR_PY39 = "2.9.12"

# Upstream sha256 of each release tarball we know (the .orig tarball in Debian's source package).
POSTGRES_SHA256: dict[str, str] = {
    "18.6": "555610c24d53e4316da5b7d3fc25c279d96856d5e0e23ee308c328c5fa881d9f",
}
OPENSSL_SHA256: dict[str, str] = {
    "3.5.7": "a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8",
    # Not the default yet: Debian's signed index lists 3.5.9-1~deb13u1 with this sha256, but its
    # files were not downloadable when it was pinned (404); `--openssl 3.5.9` checks against it.
    "3.5.9": "603f5602e2eef00d77fbd429d34dcd5822bb301757a1bc9cdb24c670f1eb859a",
}
# sha256 of the sdist on PyPI.
PSYCOPG2_SHA256: dict[str, str] = {
    "2.9.13": "d36784fc2dae69523ba4b79c7d1d1b4d6e83e87836874f111262f4db940b16a6",
    "2.9.12": "1dedb1c7a1d8552c4a6044c6b1c41a52e6a8e2d144af83eccac758076b1b7c15",
}

# Debian source package names.
POSTGRES_DEBIAN_PACKAGE = "postgresql-{major}"
OPENSSL_DEBIAN_PACKAGE = "openssl"
DEBIAN_SUITES = ("trixie", "sid")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# Where ``versions --check`` asks for psycopg2's newest release (PyPI's JSON API).
PYPI_URL = "https://pypi.org"

# The toolchain: ziglang from PyPI (installed with this package).
ZIGLANG_VERSION = "0.15.2"


@dataclass(frozen=True)
class Versions:
    """The versions one build uses; psycopg2 may still differ per Python (see psycopg2_for)."""

    postgres: str = POSTGRES_DEFAULT
    openssl: str = OPENSSL_DEFAULT
    psycopg2: str | None = None  # None: the default for each Python version

    def psycopg2_for(self, python: str) -> str:
        """The psycopg2 version to build for ``python`` ("3.9", "3.12", ...)."""
        if self.psycopg2 is not None:
            return self.psycopg2
        if python_tuple(python) < (3, 10):
            return PSYCOPG2_FOR_PY39
        return PSYCOPG2_DEFAULT

    @property
    def postgres_major(self) -> str:
        """ "18" for "18.6"."""
        return self.postgres.split(".")[0]


def python_tuple(python: str) -> tuple[int, int]:
    """(3, 12) for "3.12"."""
    major, minor = python.split(".")[:2]
    return int(major), int(minor)


def pinned_sha256(kind: str, version: str) -> str | None:
    """The pinned upstream sha256 of ``kind`` ("postgres", "openssl", "psycopg2") or None."""
    table = {"postgres": POSTGRES_SHA256, "openssl": OPENSSL_SHA256, "psycopg2": PSYCOPG2_SHA256}
    return table[kind].get(version)
