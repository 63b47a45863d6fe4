"""purepg.tls: libpq's sslmode semantics, proved by real TLS handshakes over socket pairs."""

from __future__ import annotations

import datetime
import os
import socket
import ssl
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from purepg.conninfo import ConnectParams, resolve
from purepg.errors import OperationalError
from purepg.tls import make_ssl_context, server_hostname

SERVER_NAMES = ("db.example.com", "127.0.0.1")


@dataclass
class Pki:
    """A trusted CA with a server certificate, an unrelated CA, and a home directory."""

    home: Path
    ca: trustme.CA
    ca_file: Path
    other_ca_file: Path
    server_cert: trustme.LeafCert
    client_cert_file: Path = field(init=False)
    client_key_file: Path = field(init=False)

    def __post_init__(self) -> None:
        client = self.ca.issue_cert("alice")
        self.client_cert_file = self.home / "client.crt"
        self.client_key_file = self.home / "client.key"
        client.cert_chain_pems[0].write_to_path(str(self.client_cert_file))
        client.private_key_pem.write_to_path(str(self.client_key_file))
        os.chmod(self.client_key_file, 0o600)

    def install_default(self, name: str, source: Path, mode: int = 0o644) -> Path:
        directory = self.home / ".postgresql"
        directory.mkdir(exist_ok=True)
        target = directory / name
        target.write_bytes(source.read_bytes())
        os.chmod(target, mode)
        return target


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def pki(tmp_path, ca):
    ca_file = tmp_path / "ca.crt"
    ca.cert_pem.write_to_path(str(ca_file))
    other_ca_file = tmp_path / "other-ca.crt"
    trustme.CA().cert_pem.write_to_path(str(other_ca_file))
    home = tmp_path / "home"
    home.mkdir()
    return Pki(home, ca, ca_file, other_ca_file, ca.issue_cert(*SERVER_NAMES))


def params_for(pki: Pki, **params) -> ConnectParams:
    return resolve(None, {"host": "db.example.com", "user": "u", **params}, {"HOME": str(pki.home)})


@dataclass
class Handshake:
    """What each side saw."""

    client_error: Exception | None = None
    server_error: Exception | None = None
    client_cert: dict[str, Any] | None = None
    sni: str | None = None
    alpn: str | None = None
    version: str | None = None


def server_context(pki: Pki, *, require_client_cert: bool = False, max_tls=None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    pki.server_cert.configure_cert(context)
    pki.ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    context.set_alpn_protocols(["postgresql"])
    if max_tls is not None:
        context.maximum_version = max_tls
    return context


def handshake(client: ssl.SSLContext, server: ssl.SSLContext, hostname: str | None) -> Handshake:
    """Run a real TLS handshake between the two contexts over a socket pair."""
    result = Handshake()

    def record_sni(_sock, name, _context):
        result.sni = name

    server.sni_callback = record_sni
    client_sock, server_sock = socket.socketpair()
    client_sock.settimeout(10)
    server_sock.settimeout(10)

    def serve():
        try:
            with server.wrap_socket(server_sock, server_side=True) as tls:
                result.client_cert = tls.getpeercert()
                result.alpn = tls.selected_alpn_protocol()
                tls.recv(1)
        except Exception as exc:
            result.server_error = exc

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client.wrap_socket(client_sock, server_hostname=hostname) as tls:
            result.version = tls.version()
            tls.sendall(b"x")
    except Exception as exc:
        result.client_error = exc
    finally:
        client_sock.close()
        thread.join(10)
        server_sock.close()
    return result


def connect(pki: Pki, host: str = "db.example.com", server=None, **params) -> Handshake:
    resolved = params_for(pki, host=host, **params)
    context = make_ssl_context(resolved)
    assert context is not None
    return handshake(
        context, server or server_context(pki), server_hostname(resolved, resolved.hosts[0])
    )


def assert_verification_failed(result: Handshake) -> None:
    assert isinstance(result.client_error, ssl.SSLCertVerificationError), result.client_error


def assert_connected(result: Handshake) -> None:
    assert result.client_error is None
    assert result.server_error is None


# --- sslmode ---------------------------------------------------------------------------------


def test_sslmode_disable_gives_no_context(pki):
    assert make_ssl_context(params_for(pki, sslmode="disable")) is None


@pytest.mark.parametrize("sslmode", ["allow", "prefer", "require"])
def test_weak_modes_encrypt_without_verifying_when_there_is_no_root_cert(pki, sslmode):
    resolved = params_for(pki, sslmode=sslmode)
    context = make_ssl_context(resolved)
    assert context is not None
    assert context.verify_mode == ssl.CERT_NONE
    untrusted = trustme.CA().issue_cert("db.example.com")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    untrusted.configure_cert(server)
    assert_connected(handshake(context, server, server_hostname(resolved, resolved.hosts[0])))


def test_require_with_default_root_cert_of_another_ca_verifies_and_fails(pki):
    pki.install_default("root.crt", pki.other_ca_file)
    assert_verification_failed(connect(pki, sslmode="require"))


def test_require_with_default_root_cert_of_the_right_ca_passes(pki):
    pki.install_default("root.crt", pki.ca_file)
    assert_connected(connect(pki, sslmode="require"))


def test_require_with_explicit_root_cert_behaves_like_verify_ca(pki):
    assert_verification_failed(connect(pki, sslmode="require", sslrootcert=str(pki.other_ca_file)))


def test_verify_ca_accepts_the_right_ca_whatever_the_host_name(pki):
    assert_connected(
        connect(pki, host="wrong.example.com", sslmode="verify-ca", sslrootcert=str(pki.ca_file))
    )


def test_verify_ca_rejects_another_ca(pki):
    assert_verification_failed(
        connect(pki, sslmode="verify-ca", sslrootcert=str(pki.other_ca_file))
    )


def test_verify_full_accepts_the_right_ca_and_host_name(pki):
    assert_connected(connect(pki, sslmode="verify-full", sslrootcert=str(pki.ca_file)))


def test_verify_full_rejects_a_wrong_host_name(pki):
    result = connect(
        pki, host="wrong.example.com", sslmode="verify-full", sslrootcert=str(pki.ca_file)
    )
    assert_verification_failed(result)
    assert "wrong.example.com" in str(result.client_error)


def test_verify_full_accepts_an_ip_address_in_the_certificate(pki):
    assert_connected(
        connect(pki, host="127.0.0.1", sslmode="verify-full", sslrootcert=str(pki.ca_file))
    )


def test_verify_full_rejects_an_ip_address_not_in_the_certificate(pki):
    assert_verification_failed(
        connect(pki, host="127.0.0.2", sslmode="verify-full", sslrootcert=str(pki.ca_file))
    )


def test_verify_full_rejects_another_ca(pki):
    assert_verification_failed(
        connect(pki, sslmode="verify-full", sslrootcert=str(pki.other_ca_file))
    )


def test_verify_full_uses_the_default_root_cert(pki):
    pki.install_default("root.crt", pki.ca_file)
    assert_connected(connect(pki, sslmode="verify-full"))


@pytest.mark.parametrize("sslmode", ["verify-ca", "verify-full"])
def test_missing_root_cert_names_the_path_and_the_fixes(pki, sslmode):
    with pytest.raises(OperationalError) as info:
        make_ssl_context(params_for(pki, sslmode=sslmode))
    message = str(info.value)
    assert str(pki.home / ".postgresql" / "root.crt") in message
    assert "sslrootcert=system" in message


def test_sslrootcert_system_uses_the_default_trust_store(pki):
    context = make_ssl_context(params_for(pki, sslrootcert="system"))
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert_verification_failed(connect(pki, sslrootcert="system"))  # trustme's CA is not in it


def test_sslrootcert_system_trusts_what_ssl_cert_file_names(pki, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
    assert_connected(connect(pki, sslrootcert="system"))


def write_crl(pki: Pki, revoked: trustme.LeafCert | None) -> Path:
    """A certificate revocation list signed by the CA, revoking ``revoked`` when given."""
    ca_cert = x509.load_pem_x509_certificate(pki.ca.cert_pem.bytes())
    ca_key = serialization.load_pem_private_key(pki.ca.private_key_pem.bytes(), password=None)
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - datetime.timedelta(days=1))
        .next_update(now + datetime.timedelta(days=1))
    )
    if revoked is not None:
        serial = x509.load_pem_x509_certificate(revoked.cert_chain_pems[0].bytes()).serial_number
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    crl = builder.sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    path = pki.home / "root.crl"
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return path


def test_sslcrl_revoking_the_server_certificate_fails_verification(pki):
    crl = write_crl(pki, revoked=pki.server_cert)
    result = connect(pki, sslmode="verify-ca", sslrootcert=str(pki.ca_file), sslcrl=str(crl))
    assert_verification_failed(result)
    assert "revoked" in str(result.client_error)


def test_sslcrl_not_revoking_the_server_certificate_passes(pki):
    crl = write_crl(pki, revoked=None)
    assert_connected(
        connect(pki, sslmode="verify-ca", sslrootcert=str(pki.ca_file), sslcrl=str(crl))
    )


def test_default_crl_in_home_is_used(pki):
    pki.install_default("root.crl", write_crl(pki, revoked=pki.server_cert))
    assert_verification_failed(connect(pki, sslmode="verify-ca", sslrootcert=str(pki.ca_file)))


# --- protocol versions and ALPN --------------------------------------------------------------


def test_minimum_tls_version_is_1_2_by_default(pki):
    context = make_ssl_context(params_for(pki, sslmode="require"))
    assert context is not None
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_ssl_min_protocol_version_refuses_older_servers(pki):
    server = server_context(pki, max_tls=ssl.TLSVersion.TLSv1_2)
    result = connect(pki, server=server, sslmode="require", ssl_min_protocol_version="TLSv1.3")
    assert isinstance(result.client_error, ssl.SSLError)


def test_ssl_max_protocol_version_caps_the_version(pki):
    result = connect(pki, sslmode="require", ssl_max_protocol_version="TLSv1.2")
    assert_connected(result)
    assert result.version == "TLSv1.2"


def test_alpn_postgresql_is_offered(pki):
    assert connect(pki, sslmode="require").alpn == "postgresql"


# --- SNI and server_hostname -----------------------------------------------------------------


def test_sni_carries_the_host_name(pki):
    assert connect(pki, sslmode="require").sni == "db.example.com"


def test_sni_is_not_sent_for_an_ip_address(pki):
    assert connect(pki, host="127.0.0.1", sslmode="require").sni is None


def test_sslsni_0_sends_no_sni(pki):
    assert connect(pki, sslmode="require", sslsni="0").sni is None


def test_unix_socket_has_no_server_hostname(pki):
    resolved = params_for(pki, host="/run/pg", sslmode="verify-full")
    assert server_hostname(resolved, resolved.hosts[0]) is None


def test_verify_full_with_only_hostaddr_is_an_error_like_libpq(pki):
    resolved = params_for(pki, host=None, hostaddr="127.0.0.1", sslmode="verify-full")
    with pytest.raises(OperationalError, match="host name must be specified"):
        server_hostname(resolved, resolved.hosts[0])


# --- client certificates ---------------------------------------------------------------------


def test_explicit_client_certificate_is_presented(pki):
    server = server_context(pki, require_client_cert=True)
    result = connect(
        pki,
        server=server,
        sslmode="require",
        sslcert=str(pki.client_cert_file),
        sslkey=str(pki.client_key_file),
    )
    assert_connected(result)
    assert result.client_cert is not None
    assert ("DNS", "alice") in result.client_cert["subjectAltName"]


def test_default_client_certificate_in_home_is_presented(pki):
    pki.install_default("postgresql.crt", pki.client_cert_file)
    pki.install_default("postgresql.key", pki.client_key_file, mode=0o600)
    result = connect(pki, server=server_context(pki, require_client_cert=True), sslmode="require")
    assert_connected(result)
    assert result.client_cert


def test_no_client_certificate_without_the_file(pki):
    result = connect(pki, sslmode="require", sslcert=str(pki.home / "missing.crt"))
    assert_connected(result)
    assert not result.client_cert


def test_sslcertmode_disable_sends_no_certificate(pki):
    result = connect(
        pki,
        sslmode="require",
        sslcertmode="disable",
        sslcert=str(pki.client_cert_file),
        sslkey=str(pki.client_key_file),
    )
    assert_connected(result)
    assert not result.client_cert


def test_certificate_without_key_file_names_the_key_path(pki):
    missing = pki.home / "missing.key"
    with pytest.raises(OperationalError, match=f'not private key file "{missing}"'):
        make_ssl_context(
            params_for(
                pki, sslmode="require", sslcert=str(pki.client_cert_file), sslkey=str(missing)
            )
        )


@pytest.mark.skipif(sys.platform == "win32", reason="Unix permissions")
def test_world_readable_key_is_refused(pki):
    os.chmod(pki.client_key_file, 0o644)
    with pytest.raises(OperationalError, match="has group or world access"):
        make_ssl_context(
            params_for(
                pki,
                sslmode="require",
                sslcert=str(pki.client_cert_file),
                sslkey=str(pki.client_key_file),
            )
        )


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_root_owned_key_may_be_group_readable(pki):
    os.chmod(pki.client_key_file, 0o640)
    assert make_ssl_context(
        params_for(
            pki,
            sslmode="require",
            sslcert=str(pki.client_cert_file),
            sslkey=str(pki.client_key_file),
        )
    )


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_key_of_another_user_may_not_be_group_readable(pki):
    os.chmod(pki.client_key_file, 0o640)
    os.chown(pki.client_key_file, 65534, -1)
    with pytest.raises(OperationalError, match="has group or world access"):
        make_ssl_context(
            params_for(
                pki,
                sslmode="require",
                sslcert=str(pki.client_cert_file),
                sslkey=str(pki.client_key_file),
            )
        )


def write_encrypted_key(pki: Pki, password: bytes) -> Path:
    key = serialization.load_pem_private_key(pki.client_key_file.read_bytes(), password=None)
    path = pki.home / "encrypted.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        )
    )
    os.chmod(path, 0o600)
    return path


def test_encrypted_key_is_opened_with_sslpassword(pki):
    key = write_encrypted_key(pki, b"open sesame")
    result = connect(
        pki,
        server=server_context(pki, require_client_cert=True),
        sslmode="require",
        sslcert=str(pki.client_cert_file),
        sslkey=str(key),
        sslpassword="open sesame",
    )
    assert_connected(result)
    assert result.client_cert


@pytest.mark.parametrize("password", [None, "wrong"])
def test_encrypted_key_with_wrong_or_missing_sslpassword_is_an_error(pki, password):
    key = write_encrypted_key(pki, b"open sesame")
    params = params_for(
        pki,
        sslmode="require",
        sslcert=str(pki.client_cert_file),
        sslkey=str(key),
        sslpassword=password,
    )
    with pytest.raises(OperationalError, match=f'private key "{key}"'):
        make_ssl_context(params)


# --- import cost -----------------------------------------------------------------------------


def test_importing_purepg_does_not_import_ssl():
    code = (
        "import sys, purepg, purepg.conninfo, purepg.sql\n"
        "assert 'ssl' not in sys.modules, 'ssl was imported'\n"
        "import purepg.tls\n"
        "assert 'ssl' not in sys.modules, 'purepg.tls imported ssl at import time'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
