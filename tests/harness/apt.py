"""Debian packages the tests need: installed on first use when we are root (a fresh CI machine).

As root a failed install is an error (the test command installs what it needs); as another
user, missing packages make ``ensure_packages`` raise ``PackagesUnavailableError`` so callers skip.
Installs are serialised across processes (pytest-xdist workers): apt-get fails, instead of
waiting, while another apt-get holds the dpkg lock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.harness.binaries import _install_lock

INSTALL_LOCK = Path(tempfile.gettempdir()) / "pg-harness-apt.lock"


class PackagesUnavailableError(RuntimeError):
    """Some packages are missing and we may not install them (not root, or no apt-get)."""


class PackagesInstallError(RuntimeError):
    """apt-get install failed although we are root."""


def missing(files: dict[str, str]) -> list[str]:
    """The packages of ``files`` (``{path or command: package}``) whose file is absent."""
    absent = []
    for name, package in files.items():
        found = Path(name).exists() if name.startswith("/") else shutil.which(name) is not None
        if not found and package not in absent:
            absent.append(package)
    return absent


def ensure_packages(files: dict[str, str]) -> list[str]:
    """Install the packages whose file of ``files`` is missing; the packages installed."""
    packages = missing(files)
    if not packages:
        return []
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PackagesUnavailableError(
            f"missing Debian packages {' '.join(packages)} (apt-get install -y as root)"
        )
    with _install_lock(INSTALL_LOCK):
        packages = missing(files)  # another process may have installed them meanwhile
        if packages:
            _install(packages)
    return packages


def _install(packages: list[str]) -> None:
    """``apt-get install`` as root, updating stale package lists once if it fails."""
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    result = subprocess.run(install, capture_output=True, text=True, env=environment, check=False)
    if result.returncode != 0:  # a fresh machine may have no (or stale) package lists
        subprocess.run(["apt-get", "update"], capture_output=True, env=environment, check=False)
        result = subprocess.run(
            install, capture_output=True, text=True, env=environment, check=False
        )
    if result.returncode != 0:
        raise PackagesInstallError(
            f"apt-get install {' '.join(packages)} failed: {result.stderr[-500:]}"
        )
