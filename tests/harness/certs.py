"""The test PKI: a trusted CA, a server certificate, client certificates and an untrusted CA."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import trustme

SERVER_IDENTITIES = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class ClientCert:
    """A client certificate and its key, as files (libpq's ``sslcert`` / ``sslkey``)."""

    common_name: str
    cert: Path
    key: Path


@dataclass(frozen=True)
class PKI:
    """Paths of every file of the test PKI."""

    directory: Path
    ca_cert: Path
    server_cert: Path
    server_key: Path
    untrusted_ca_cert: Path
    clients: dict[str, ClientCert] = field(default_factory=dict)
    untrusted_clients: dict[str, ClientCert] = field(default_factory=dict)

    def client(self, common_name: str) -> ClientCert:
        """The client certificate, signed by the trusted CA, for the role ``common_name``."""
        return self.clients[common_name]

    def untrusted_client(self, common_name: str) -> ClientCert:
        """A client certificate for ``common_name`` signed by the untrusted CA."""
        return self.untrusted_clients[common_name]


def create_pki(
    directory: Path,
    client_names: tuple[str, ...],
    server_owner: tuple[int, int] | None = None,
) -> PKI:
    """Write a fresh test PKI into ``directory``.

    ``client_names`` become the CNs of client certificates (one per role, from both CAs).
    ``server_owner`` is the ``(uid, gid)`` that must own the server key (the server refuses a
    key that others can read); by default the current user keeps it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    ca = trustme.CA(organization_name="pg-harness test CA")
    untrusted_ca = trustme.CA(organization_name="pg-harness untrusted CA")

    ca_cert = directory / "ca.crt"
    ca.cert_pem.write_to_path(str(ca_cert))
    untrusted_ca_cert = directory / "untrusted-ca.crt"
    untrusted_ca.cert_pem.write_to_path(str(untrusted_ca_cert))

    server = ca.issue_cert(*SERVER_IDENTITIES)
    server_cert = directory / "server.crt"
    _write(server_cert, b"".join(blob.bytes() for blob in server.cert_chain_pems), 0o644)
    server_key = directory / "server.key"
    _write(server_key, server.private_key_pem.bytes(), 0o600)
    if server_owner is not None:
        os.chown(server_key, *server_owner)

    pki = PKI(
        directory=directory,
        ca_cert=ca_cert,
        server_cert=server_cert,
        server_key=server_key,
        untrusted_ca_cert=untrusted_ca_cert,
    )
    for name in client_names:
        pki.clients[name] = _client_cert(ca, directory, f"client-{name}", name)
        pki.untrusted_clients[name] = _client_cert(
            untrusted_ca, directory, f"untrusted-client-{name}", name
        )
    return pki


def _client_cert(ca: trustme.CA, directory: Path, stem: str, common_name: str) -> ClientCert:
    leaf = ca.issue_cert(common_name=common_name)
    cert = directory / f"{stem}.crt"
    key = directory / f"{stem}.key"
    _write(cert, leaf.cert_chain_pems[0].bytes(), 0o644)
    # libpq refuses a client key that the group or others can read.
    _write(key, leaf.private_key_pem.bytes(), 0o600)
    return ClientCert(common_name=common_name, cert=cert, key=key)


def _write(path: Path, data: bytes, mode: int) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
    path.chmod(mode)
