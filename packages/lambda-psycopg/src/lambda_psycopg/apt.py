"""A private apt configuration under the cache: Debian sources and foreign-arch packages
downloaded without touching the system's apt setup."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from lambda_psycopg.errors import BuildError
from lambda_psycopg.process import failure, failure_detail, run
from lambda_psycopg.versions import DEBIAN_MIRROR, DEBIAN_SUITES

KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
# Binary packages (Python headers and interpreters for foreign architectures) also come from
# bookworm, the only suite that still has Python 3.11.
BINARY_SUITES = ("bookworm", *DEBIAN_SUITES)
BINARY_ARCHES = ("amd64", "arm64")
INDEX_MAX_AGE_SECONDS = 24 * 3600
APT_MISSING_HINT = "Debian sources are fetched with apt: run on Debian/Ubuntu (apt-get, apt-cache)"
# What apt says when a pinned version has left the archive.
VERSION_GONE = ("Unable to find", "Can not find version")


class PrivateApt:
    """apt-get / apt-cache with their own sources list, index and cache under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sources_list = root / "sources.list"
        self.lists = root / "lists"
        self.cache = root / "cache"

    def options(self) -> list[str]:
        """The ``-o`` options that make apt use only our files."""
        return [
            "-o", f"Dir::Etc::SourceList={self.sources_list}",
            "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", f"Dir::State::Lists={self.lists}",
            "-o", f"Dir::Cache={self.cache}",
            "-o", "Debug::NoLocking=1",
            "-o", "APT::Sandbox::User=root" if os.geteuid() == 0 else "APT::Sandbox::User=",
            "-o", "APT::Architectures::=amd64",
            "-o", "APT::Architectures::=arm64",
        ]  # fmt: skip

    def _write_sources(self) -> None:
        signed = f"signed-by={KEYRING}"
        lines = [f"deb-src [{signed}] {DEBIAN_MIRROR} {suite} main" for suite in DEBIAN_SUITES]
        arches = ",".join(BINARY_ARCHES)
        lines += [
            f"deb [arch={arches} {signed}] {DEBIAN_MIRROR} {suite} main" for suite in BINARY_SUITES
        ]
        content = "\n".join(lines) + "\n"
        if not self.sources_list.is_file() or self.sources_list.read_text() != content:
            self.root.mkdir(parents=True, exist_ok=True)
            self.sources_list.write_text(content)
            stamp = self.lists / ".updated"
            if stamp.exists():
                stamp.unlink()

    def _apt(self, tool: str, *args: str, cwd: Path | None = None) -> str:
        argv = [tool, *self.options(), *args]
        what = f"`{tool} {' '.join(args)}`"
        completed = run(argv, what=what, missing_hint=APT_MISSING_HINT, cwd=cwd, check=False)
        if completed.returncode != 0:
            hint = "check the network connection to deb.debian.org (or a proxy via http_proxy)"
            if any(text in failure_detail(completed) for text in VERSION_GONE):
                hint = "that version is not in Debian's archive any more; pick one it offers"
            raise failure(completed, what, hint)
        return completed.stdout

    def update(self, force: bool = False) -> None:
        """Refresh the private index if it is missing or older than a day."""
        self._write_sources()
        stamp = self.lists / ".updated"
        fresh = stamp.is_file() and time.time() - stamp.stat().st_mtime < INDEX_MAX_AGE_SECONDS
        if fresh and not force:
            return
        (self.lists / "partial").mkdir(parents=True, exist_ok=True)
        (self.cache / "archives" / "partial").mkdir(parents=True, exist_ok=True)
        self._apt("apt-get", "-q", "update")
        stamp.touch()

    def source_versions(self, package: str) -> list[str]:
        """Every Debian version of source package ``package`` in the index."""
        self.update()
        try:
            output = self._apt("apt-cache", "showsrc", package)
        except BuildError:
            return []
        versions = re.findall(r"^Version: (\S+)$", output, flags=re.MULTILINE)
        return sorted(set(versions))

    def binary_versions(self, package: str, arch: str) -> list[str]:
        """Every version of binary package ``package:arch`` in the index."""
        return self.binary_versions_of([package], arch)[package]

    def binary_versions_of(self, packages: list[str], arch: str) -> dict[str, list[str]]:
        """Every version of each binary package ``name:arch``, absent ones with none, in one
        ``apt-cache`` call: each call reads the whole index (about 20 s on a loaded machine)."""
        self.update()
        found: dict[str, list[str]] = {package: [] for package in packages}
        try:
            output = self._apt("apt-cache", "madison", *(f"{p}:{arch}" for p in packages))
        except BuildError:
            return found
        for line in output.splitlines():
            fields = [field.strip() for field in line.split("|")]
            if len(fields) >= 2 and fields[0] in found:
                found[fields[0]].append(fields[1])
        return found

    def download_source(self, package: str, version: str, dest: Path) -> None:
        """``apt-get source --download-only package=version`` into ``dest``."""
        self.update()
        dest.mkdir(parents=True, exist_ok=True)
        self._apt("apt-get", "-q", "source", "--download-only", f"{package}={version}", cwd=dest)

    def download_binaries(
        self, packages: list[tuple[str, str]], arch: str, dest: Path
    ) -> dict[str, Path]:
        """``apt-get download pkg:arch=version ...`` into ``dest``; package -> .deb path."""
        self.update()
        dest.mkdir(parents=True, exist_ok=True)
        specs = [f"{package}:{arch}={version}" for package, version in packages]
        self._apt("apt-get", "-q", "download", *specs, cwd=dest)
        found = {}
        for package, _version in packages:
            matches = sorted(dest.glob(f"{package}_*_{arch}.deb"))
            if not matches:
                raise BuildError(f"apt-get download {package}:{arch} produced no .deb")
            found[package] = matches[-1]
        return found


def upstream_part(debian_version: str) -> str:
    """``3.5.7`` for ``3.5.7-1~deb13u2`` (no epoch, no Debian revision)."""
    without_epoch = debian_version.split(":", 1)[-1]
    return without_epoch.rsplit("-", 1)[0]
