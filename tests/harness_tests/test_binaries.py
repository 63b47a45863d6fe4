"""Server binaries: downloaded once, verified, installed atomically, reused."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest

from tests.harness import binaries
from tests.harness.binaries import (
    PACKAGE_VERSIONS,
    BinariesError,
    IntegrityError,
    check_contents,
    download_verified,
    ensure_binaries,
)
from tests.harness.plugin import selected_majors
from tests.harness_tests.inner_pytest import pytest_environment

WRONG_INTEGRITY = "sha512-" + base64.b64encode(bytes(64)).decode()


@pytest.fixture
def major(request) -> int:
    return selected_majors(request.config)[0]


def test_second_call_reuses_the_cache_without_npm(tmp_path, major, monkeypatch):
    installed = ensure_binaries(major, tmp_path)
    marker = installed / "marker"
    marker.write_text("first install")
    monkeypatch.setenv("PATH", str(tmp_path / "no-npm-here"))

    again = ensure_binaries(major, tmp_path)

    assert again == installed
    assert marker.read_text() == "first install"


def test_installed_binaries_have_hstore_tls_and_the_requested_major(major):
    installed = ensure_binaries(major)

    check_contents(installed, PACKAGE_VERSIONS[major])
    assert binaries.server_version(installed).split(".")[0] == str(major)


def test_library_symlinks_are_recreated(major):
    libpq = ensure_binaries(major) / "lib" / "libpq.so.5"

    assert libpq.is_symlink()
    assert libpq.resolve().is_file()


def test_tarball_with_wrong_integrity_is_refused(tmp_path, major):
    with pytest.raises(
        IntegrityError, match=f"integrity check failed .*expected {WRONG_INTEGRITY}"
    ):
        download_verified(PACKAGE_VERSIONS[major], tmp_path, integrity=WRONG_INTEGRITY)


def test_failed_install_leaves_nothing_in_the_cache(tmp_path, major, monkeypatch):
    monkeypatch.setattr(binaries, "registry_integrity", lambda version: WRONG_INTEGRITY)

    with pytest.raises(IntegrityError):
        ensure_binaries(major, tmp_path)

    assert [path.name for path in tmp_path.iterdir() if not path.name.endswith(".lock")] == []


def test_unknown_major_is_refused_with_the_supported_ones():
    with pytest.raises(BinariesError, match=r"PostgreSQL 12 is not available; supported .*13"):
        ensure_binaries(12)


def test_binaries_without_hstore_are_refused(tmp_path):
    (tmp_path / "bin").mkdir()
    for name in ("postgres", "initdb"):
        (tmp_path / "bin" / name).write_text("")

    with pytest.raises(BinariesError, match=r"lacks lib/postgresql/hstore\.so"):
        check_contents(tmp_path, "16.0.0")


def test_concurrent_first_calls_install_once(tmp_path, major):
    script = (
        "import sys; from pathlib import Path; from tests.harness.binaries import ensure_binaries;"
        f" print(ensure_binaries({major}, Path(sys.argv[1])))"
    )
    environment = pytest_environment()
    command = [sys.executable, "-c", script, str(tmp_path)]
    first = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)
    outputs = [process.communicate()[0].strip() for process in (first, second)]

    assert (first.returncode, second.returncode) == (0, 0)
    assert outputs[0] == outputs[1] == str(tmp_path / PACKAGE_VERSIONS[major])
    leftovers = [path.name for path in tmp_path.iterdir() if not path.name.endswith(".lock")]
    assert leftovers == [PACKAGE_VERSIONS[major]]
