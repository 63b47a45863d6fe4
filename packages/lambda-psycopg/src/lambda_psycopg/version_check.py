"""``versions --check``: is each pin the newest release its source offers?

PostgreSQL and OpenSSL are read from Debian's source indexes (``Sources.xz`` of the suites the
build fetches from), limited to the pinned PostgreSQL major and OpenSSL's pinned LTS series;
psycopg2 from PyPI's JSON API. Only the standard library: it runs wherever the tool does.
"""

from __future__ import annotations

import json
import lzma
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from lambda_psycopg import versions
from lambda_psycopg.apt import upstream_part
from lambda_psycopg.errors import BuildError

TIMEOUT_SECONDS = 60
RELEASE = re.compile(r"\d+(?:\.\d+)*")


@dataclass(frozen=True)
class PinStatus:
    """One pin against the newest release of its line at its source."""

    name: str
    constant: str
    pinned: str
    newest: str
    source: str

    @property
    def current(self) -> bool:
        """True when nothing newer exists."""
        return release_key(self.newest) <= release_key(self.pinned)

    def describe(self) -> str:
        """One line: pinned, newest, where from and what to do."""
        verdict = "current" if self.current else f"bump {self.constant} to {self.newest}"
        return f"{self.name}: pinned {self.pinned}, newest {self.newest} ({self.source}): {verdict}"


def release_key(version: str) -> tuple[int, ...]:
    """(3, 5, 7) for "3.5.7"."""
    return tuple(int(part) for part in version.split("."))


def fetch(url: str) -> bytes:
    """The body at ``url``; BuildError naming the URL when it cannot be read."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            body: bytes = response.read()
            return body
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise BuildError(
            f"could not read {url}: {reason}",
            "check the network (or a proxy via https_proxy); --debian-mirror and --pypi-url "
            "point at other sources",
        ) from None


def debian_source_versions(mirror: str, suites: tuple[str, ...], package: str) -> list[str]:
    """Upstream versions of source package ``package`` in the suites' ``Sources.xz``."""
    found = []
    for suite in suites:
        url = f"{mirror}/dists/{suite}/main/source/Sources.xz"
        try:
            text = lzma.decompress(fetch(url)).decode("utf-8", "replace")
        except lzma.LZMAError as error:
            raise BuildError(f"{url} is not an xz-compressed Sources index: {error}") from None
        for stanza in text.split("\n\n"):
            if re.search(rf"^Package: {re.escape(package)}$", stanza, flags=re.MULTILINE):
                version = re.search(r"^Version: (\S+)$", stanza, flags=re.MULTILINE)
                if version is not None:
                    found.append(upstream_part(version.group(1)))
    return found


def newest_in_series(candidates: list[str], series: str, what: str, source: str) -> str:
    """The highest release of ``candidates`` that is ``series`` or starts with ``series.``."""
    matching = [
        v
        for v in candidates
        if RELEASE.fullmatch(v) and (v == series or v.startswith(series + "."))
    ]
    if not matching:
        raise BuildError(f"{source} has no {what} {series}.x release")
    return max(matching, key=release_key)


def pypi_latest(pypi_url: str, project: str) -> str:
    """The version PyPI's JSON API names as ``project``'s latest release."""
    url = f"{pypi_url}/pypi/{project}/json"
    try:
        latest = str(json.loads(fetch(url))["info"]["version"])
    except (ValueError, KeyError, TypeError) as error:
        raise BuildError(f"{url} is not PyPI's JSON for {project}: {error!r}") from None
    if not RELEASE.fullmatch(latest):
        raise BuildError(f"{url} names {latest!r} as {project}'s latest release: not X.Y.Z")
    return latest


def check_pins(
    mirror: str = versions.DEBIAN_MIRROR, pypi_url: str = versions.PYPI_URL
) -> list[PinStatus]:
    """Every pin against its source (BuildError naming the source when one is unreachable)."""
    suites = versions.DEBIAN_SUITES
    debian = f"Debian {'/'.join(suites)} at {mirror}"
    major = versions.Versions().postgres_major
    postgres_package = versions.POSTGRES_DEBIAN_PACKAGE.format(major=major)
    postgres = debian_source_versions(mirror, suites, postgres_package)
    openssl_series = ".".join(versions.OPENSSL_DEFAULT.split(".")[:2])
    openssl = debian_source_versions(mirror, suites, versions.OPENSSL_DEBIAN_PACKAGE)
    return [
        PinStatus(
            "PostgreSQL (libpq)",
            "POSTGRES_DEFAULT (and POSTGRES_SHA256)",
            versions.POSTGRES_DEFAULT,
            newest_in_series(postgres, major, "PostgreSQL", f"{debian}, {postgres_package}"),
            f"{debian}, source package {postgres_package}",
        ),
        PinStatus(
            f"OpenSSL {openssl_series} LTS",
            "OPENSSL_DEFAULT (and OPENSSL_SHA256)",
            versions.OPENSSL_DEFAULT,
            newest_in_series(openssl, openssl_series, "OpenSSL", f"{debian}, openssl"),
            f"{debian}, source package {versions.OPENSSL_DEBIAN_PACKAGE}",
        ),
        PinStatus(
            "psycopg2",
            "PSYCOPG2_DEFAULT (and PSYCOPG2_SHA256)",
            versions.PSYCOPG2_DEFAULT,
            pypi_latest(pypi_url, "psycopg2"),
            f"PyPI at {pypi_url}",
        ),
    ]
