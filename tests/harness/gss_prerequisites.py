"""What the ``gss`` column needs from Debian (stdlib only: ``scripts/test_all.py`` installs it
before hatch builds the ``gss`` environment, whose ``gssapi`` compiles against libkrb5-dev)."""

from __future__ import annotations

from pathlib import Path

DEBIAN_MAJOR = 15
DEBIAN_SERVER = Path(f"/usr/lib/postgresql/{DEBIAN_MAJOR}")
"""Debian's PostgreSQL server, built with GSSAPI (the npm server binaries are not)."""

RUNTIME_FILES = {
    "/usr/sbin/krb5kdc": "krb5-kdc",
    "/usr/sbin/kdb5_util": "krb5-kdc",
    "/usr/sbin/kadmin.local": "krb5-admin-server",
    "kinit": "krb5-user",
    str(DEBIAN_SERVER / "bin" / "postgres"): f"postgresql-{DEBIAN_MAJOR}",
}
"""The KDC, its tools, kinit and the server: each file and the Debian package providing it."""

BUILD_FILES = {"/usr/include/gssapi/gssapi.h": "libkrb5-dev", "krb5-config": "libkrb5-dev"}
"""What the ``gssapi`` package's sdist compiles against."""
