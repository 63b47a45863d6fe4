"""Debian packages installed by the tests: pytest-xdist workers never run apt-get at once."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from tests.harness import apt

# apt-get refuses to start while another apt-get holds the dpkg lock; this one does the same
# (the lock is a directory), holds it for a second and then "installs" the package (a file).
FAKE_APT_GET = """#!/bin/sh
[ "$1" = update ] && exit 0
mkdir "$FAKE_DPKG_LOCK" 2>/dev/null || { echo "Could not get lock $FAKE_DPKG_LOCK" >&2; exit 100; }
sleep 1
touch "$FAKE_INSTALLED"
rmdir "$FAKE_DPKG_LOCK"
"""


@pytest.fixture
def fake_apt_get(tmp_path, monkeypatch):
    """An apt-get first on PATH; the path whose existence means "installed"."""
    if os.geteuid() != 0:
        pytest.skip("ensure_packages only installs as root")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "apt-get"
    script.write_text(FAKE_APT_GET)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    installed = tmp_path / "installed"
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DPKG_LOCK", str(tmp_path / "dpkg-lock"))
    monkeypatch.setenv("FAKE_INSTALLED", str(installed))
    monkeypatch.setattr(apt, "INSTALL_LOCK", tmp_path / "install.lock", raising=False)
    return installed


def test_concurrent_installs_of_the_same_package_both_succeed(fake_apt_get):
    files = {str(fake_apt_get): "fake-package"}
    errors: list[BaseException] = []

    def install() -> None:
        try:
            apt.ensure_packages(files)
        except apt.PackagesInstallError as error:
            errors.append(error)

    workers = [threading.Thread(target=install) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert fake_apt_get.exists()
