"""`versions --check` against fake sources on 127.0.0.1: a Debian mirror's Sources.xz and PyPI's
JSON API. Exit 0 when every pin is current, 1 when a newer release exists, 2 when a source fails."""

from __future__ import annotations

import http.server
import json
import lzma
import threading
from collections.abc import Iterator

import pytest
from lambda_psycopg import versions
from lambda_psycopg.cli import main


class FakeSources:
    """What the fake server answers: path -> body (absent paths are 404)."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.url = ""

    def debian(self, suite: str, packages: dict[str, list[str]]) -> None:
        """``dists/<suite>/main/source/Sources.xz`` listing ``package: [debian versions]``."""
        stanzas = [
            f"Package: {package}\nBinary: {package}-bin\nVersion: {version}\nSection: misc\n"
            for package, found in packages.items()
            for version in found
        ]
        body = lzma.compress("\n".join(stanzas).encode())
        self.bodies[f"/debian/dists/{suite}/main/source/Sources.xz"] = body

    def pypi(self, project: str, version: str) -> None:
        """PyPI's JSON for ``project`` whose latest release is ``version``."""
        self.bodies[f"/pypi/{project}/json"] = json.dumps({"info": {"version": version}}).encode()

    def current(self) -> None:
        """Every source offers exactly the pinned versions (and an OpenSSL outside the LTS)."""
        major = versions.Versions().postgres_major
        self.debian("trixie", {
            f"postgresql-{major}": [f"{versions.POSTGRES_DEFAULT}-1~deb13u1"],
            "openssl": [f"{versions.OPENSSL_DEFAULT}-1~deb13u1"],
        })  # fmt: skip
        self.debian("sid", {
            f"postgresql-{major}": [f"{versions.POSTGRES_DEFAULT}-1"],
            "openssl": ["3.6.5-1"],
        })  # fmt: skip
        self.pypi("psycopg2", versions.PSYCOPG2_DEFAULT)


@pytest.fixture
def sources(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSources]:
    """A fake Debian mirror (under /debian) and PyPI on a loopback port (never via a proxy)."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    fake = FakeSources()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = fake.bodies.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


def check(fake: FakeSources, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``lambda-psycopg versions --check`` against the fake sources: exit, stdout, stderr."""
    argv = ["versions", "--check", "--debian-mirror", f"{fake.url}/debian", "--pypi-url", fake.url]
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_current_pins_exit_0_and_say_so(
    sources: FakeSources, capsys: pytest.CaptureFixture[str]
) -> None:
    sources.current()
    status, out, _ = check(sources, capsys)
    assert status == 0
    assert out.count(": current") == 3


def test_a_newer_postgresql_minor_exits_1_naming_the_pin_to_bump(
    sources: FakeSources, capsys: pytest.CaptureFixture[str]
) -> None:
    sources.current()
    major = versions.Versions().postgres_major
    sources.debian("sid", {f"postgresql-{major}": [f"{major}.99-1"], "openssl": ["3.6.5-1"]})
    status, out, _ = check(sources, capsys)
    assert status == 1
    assert f"bump POSTGRES_DEFAULT (and POSTGRES_SHA256) to {major}.99" in out


def test_a_newer_openssl_in_the_lts_series_exits_1(
    sources: FakeSources, capsys: pytest.CaptureFixture[str]
) -> None:
    sources.current()
    series = ".".join(versions.OPENSSL_DEFAULT.split(".")[:2])
    sources.debian("sid", {"openssl": [f"{series}.99-1"]})
    status, out, _ = check(sources, capsys)
    assert status == 1
    assert f"bump OPENSSL_DEFAULT (and OPENSSL_SHA256) to {series}.99" in out


def test_an_openssl_outside_the_lts_series_is_not_a_bump(
    sources: FakeSources, capsys: pytest.CaptureFixture[str]
) -> None:
    sources.current()
    sources.debian("sid", {"openssl": ["9.0.0-1"]})
    status, out, _ = check(sources, capsys)
    assert status == 0, out


def test_a_newer_psycopg2_on_pypi_exits_1(
    sources: FakeSources, capsys: pytest.CaptureFixture[str]
) -> None:
    sources.current()
    sources.pypi("psycopg2", "2.99.0")
    status, out, _ = check(sources, capsys)
    assert status == 1
    assert "bump PSYCOPG2_DEFAULT (and PSYCOPG2_SHA256) to 2.99.0" in out


def test_an_unreachable_source_exits_2_naming_it(
    sources: FakeSources, capsys: pytest.CaptureFixture[str]
) -> None:
    sources.current()
    del sources.bodies["/pypi/psycopg2/json"]
    status, _, err = check(sources, capsys)
    assert status == 2
    assert f"could not read {sources.url}/pypi/psycopg2/json: Not Found" in err
    assert "Traceback" not in err


def test_a_missing_debian_index_exits_2_naming_it(
    sources: FakeSources, capsys: pytest.CaptureFixture[str]
) -> None:
    sources.current()
    del sources.bodies["/debian/dists/sid/main/source/Sources.xz"]
    status, _, err = check(sources, capsys)
    assert status == 2
    assert f"could not read {sources.url}/debian/dists/sid/main/source/Sources.xz" in err
