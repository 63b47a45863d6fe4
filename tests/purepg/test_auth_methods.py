"""Authentication exchanges (cleartext, md5, SCRAM, channel binding, require_auth), bytes only.

The server side of SCRAM is scramp's ScramServer (a test-only dependency: an independent
implementation), so a correct client completes and a forged server is caught. purepg's own
SCRAM client and SASLprep are tested in detail in test_scram.py.
"""

from __future__ import annotations

import hashlib
import ssl

import pytest
import trustme
from purepg.errors import NotSupportedError, OperationalError
from purepg.protocol import auth as pgauth
from scramp import ScramMechanism

from tests.purepg import protocol_backend as backend

PASSWORD = "pencil"


def sasl_payload(message: bytes | None) -> bytes:
    """The payload of the PasswordMessage-type ('p') message the client sent."""
    assert message is not None
    kind, payload = backend.split_messages(message)[0]
    assert kind == b"p"
    return payload


class FakeScramServer:
    """The server half of SCRAM-SHA-256(-PLUS) built on scramp."""

    def __init__(self, mechanism=pgauth.SCRAM, certificate_hash=None, password=PASSWORD):
        mech = ScramMechanism(mechanism)
        salt, stored_key, server_key, iterations = mech.make_auth_info(password)
        binding = ("tls-server-end-point", certificate_hash) if certificate_hash else None
        self.server = mech.make_server(
            lambda _user: (salt, stored_key, server_key, iterations), channel_binding=binding
        )

    def first(self, initial_response: bytes) -> bytes:
        mechanism_end = initial_response.index(b"\0")
        client_first = initial_response[mechanism_end + 5 :]
        self.server.set_client_first(client_first.decode())
        return self.server.get_server_first().encode()

    def final(self, response: bytes) -> bytes:
        self.server.set_client_final(sasl_payload(response).decode())
        return self.server.get_server_final().encode()


def mechanisms(*names: str) -> bytes:
    return b"".join(name.encode() + b"\0" for name in names) + b"\0"


def scram_exchange(authenticator, server, offered=(pgauth.SCRAM,), server_final=None):
    initial = authenticator.respond(pgauth.AUTH_SASL, mechanisms(*offered))
    response = authenticator.respond(pgauth.AUTH_SASL_CONTINUE, server.first(sasl_payload(initial)))
    final = server.final(response)
    authenticator.respond(pgauth.AUTH_SASL_FINAL, server_final or final)
    authenticator.finish()
    return initial


@pytest.fixture(scope="module")
def certificate_der():
    ca = trustme.CA()
    cert = ca.issue_cert("db.example")
    return ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())


def test_scram_sha_256_completes_against_a_genuine_server():
    authenticator = pgauth.Authenticator("alice", PASSWORD)
    scram_exchange(authenticator, FakeScramServer())
    assert authenticator.mechanism == pgauth.SCRAM


def test_forged_server_signature_is_rejected():
    authenticator = pgauth.Authenticator("alice", PASSWORD)
    forged = b"v=" + b"A" * 43 + b"="
    with pytest.raises(OperationalError, match="could not prove it knows the password"):
        scram_exchange(authenticator, FakeScramServer(), server_final=forged)


def test_server_that_does_not_know_the_password_is_rejected():
    authenticator = pgauth.Authenticator("alice", PASSWORD)
    impostor = FakeScramServer(password="guess")
    initial = authenticator.respond(pgauth.AUTH_SASL, mechanisms(pgauth.SCRAM))
    authenticator.respond(pgauth.AUTH_SASL_CONTINUE, impostor.first(sasl_payload(initial)))
    with pytest.raises(OperationalError, match="could not prove"):
        authenticator.respond(pgauth.AUTH_SASL_FINAL, b"v=" + b"B" * 43 + b"=")


def test_server_nonce_that_does_not_extend_the_client_nonce_is_rejected():
    authenticator = pgauth.Authenticator("alice", PASSWORD)
    authenticator.respond(pgauth.AUTH_SASL, mechanisms(pgauth.SCRAM))
    server_first = b"r=someothernonce,s=QSXCR+Q6sek8bf92,i=4096"
    with pytest.raises(OperationalError, match="nonce"):
        authenticator.respond(pgauth.AUTH_SASL_CONTINUE, server_first)


def test_authentication_ok_before_scram_completes_is_rejected():
    authenticator = pgauth.Authenticator("alice", PASSWORD)
    authenticator.respond(pgauth.AUTH_SASL, mechanisms(pgauth.SCRAM))
    with pytest.raises(OperationalError, match="before completing SCRAM"):
        authenticator.finish()


def test_scram_plus_is_chosen_with_tls_and_binds_to_the_certificate(certificate_der):
    cert_hash = hashlib.sha256(certificate_der).digest()
    authenticator = pgauth.Authenticator(
        "alice", PASSWORD, tls=True, server_certificate=certificate_der
    )
    server = FakeScramServer(pgauth.SCRAM_PLUS, certificate_hash=cert_hash)
    initial = scram_exchange(authenticator, server, offered=(pgauth.SCRAM, pgauth.SCRAM_PLUS))
    assert sasl_payload(initial).startswith(b"SCRAM-SHA-256-PLUS\0")


def test_certificate_hash_is_the_hash_of_the_signature_algorithm(certificate_der):
    # trustme signs with ECDSA-with-SHA256: RFC 5929 binds to SHA-256 of the certificate.
    assert pgauth.certificate_hash(certificate_der) == hashlib.sha256(certificate_der).digest()


def test_certificate_hash_of_garbage_is_a_clear_error():
    with pytest.raises(OperationalError, match="could not read the server certificate"):
        pgauth.certificate_hash(b"\x30\x82")


def test_channel_binding_disable_uses_plain_scram_even_when_plus_is_offered(certificate_der):
    authenticator = pgauth.Authenticator(
        "alice", PASSWORD, channel_binding="disable", tls=True, server_certificate=certificate_der
    )
    initial = authenticator.respond(pgauth.AUTH_SASL, mechanisms(pgauth.SCRAM, pgauth.SCRAM_PLUS))
    assert sasl_payload(initial).startswith(b"SCRAM-SHA-256\0")
    assert client_first(initial).startswith(b"n,,")


def client_first(initial: bytes | None) -> bytes:
    """The client-first-message inside a SASLInitialResponse (after mechanism and length)."""
    payload = sasl_payload(initial)
    return payload[payload.index(b"\0") + 5 :]


def test_scram_without_tls_says_the_client_cannot_bind():
    authenticator = pgauth.Authenticator("alice", PASSWORD)
    initial = authenticator.respond(pgauth.AUTH_SASL, mechanisms(pgauth.SCRAM))
    assert client_first(initial).startswith(b"n,,")


def test_scram_over_tls_without_plus_offered_says_the_client_could_bind(certificate_der):
    # GS2 flag "y": a server that does support SCRAM-SHA-256-PLUS then detects a downgrade.
    authenticator = pgauth.Authenticator(
        "alice", PASSWORD, tls=True, server_certificate=certificate_der
    )
    initial = scram_exchange(authenticator, FakeScramServer())
    assert client_first(initial).startswith(b"y,,")


def test_the_certificate_is_only_read_when_binding_to_it():
    authenticator = pgauth.Authenticator(
        "alice", PASSWORD, tls=True, server_certificate=b"not a certificate"
    )
    initial = authenticator.respond(pgauth.AUTH_SASL, mechanisms(pgauth.SCRAM))
    assert sasl_payload(initial).startswith(b"SCRAM-SHA-256\0")


@pytest.mark.parametrize("password", ["p\u00e4ssw\u00f6rd", "correct\u00a0horse", "\u2168"])
def test_non_ascii_passwords_complete_against_a_genuine_server(password):
    # scramp's server SASLprep's the password independently: a cross-check of ours.
    authenticator = pgauth.Authenticator("alice", password)
    scram_exchange(authenticator, FakeScramServer(password=password))
    assert authenticator.mechanism == pgauth.SCRAM


def test_a_server_error_in_server_final_is_reported_with_its_reason():
    authenticator = pgauth.Authenticator("alice", PASSWORD)
    server = FakeScramServer()
    initial = authenticator.respond(pgauth.AUTH_SASL, mechanisms(pgauth.SCRAM))
    authenticator.respond(pgauth.AUTH_SASL_CONTINUE, server.first(sasl_payload(initial)))
    with pytest.raises(OperationalError, match="server reported an error: 'invalid-proof'"):
        authenticator.respond(pgauth.AUTH_SASL_FINAL, b"e=invalid-proof")


def test_a_hostile_iteration_count_is_a_connection_error():
    authenticator = pgauth.Authenticator("alice", PASSWORD)
    initial = authenticator.respond(pgauth.AUTH_SASL, mechanisms(pgauth.SCRAM))
    nonce = client_first(initial).split(b"r=")[1]
    server_first = b"r=" + nonce + b"xyz,s=QSXCR+Q6sek8bf92,i=0"
    with pytest.raises(OperationalError, match="SCRAM authentication failed: invalid iteration"):
        authenticator.respond(pgauth.AUTH_SASL_CONTINUE, server_first)


def test_channel_binding_require_without_tls_is_refused():
    authenticator = pgauth.Authenticator("alice", PASSWORD, channel_binding="require")
    with pytest.raises(OperationalError, match="SSL not in use"):
        authenticator.respond(pgauth.AUTH_SASL, mechanisms(pgauth.SCRAM))


def test_channel_binding_require_refuses_a_server_without_plus(certificate_der):
    authenticator = pgauth.Authenticator(
        "alice", PASSWORD, channel_binding="require", tls=True, server_certificate=certificate_der
    )
    with pytest.raises(OperationalError, match="did not offer"):
        authenticator.respond(pgauth.AUTH_SASL, mechanisms(pgauth.SCRAM))


def test_channel_binding_require_refuses_md5():
    authenticator = pgauth.Authenticator("alice", PASSWORD, channel_binding="require", tls=True)
    with pytest.raises(OperationalError, match="channel binding required"):
        authenticator.respond(pgauth.AUTH_MD5, b"salt")


def test_channel_binding_require_refuses_a_server_that_skips_authentication():
    authenticator = pgauth.Authenticator("alice", PASSWORD, channel_binding="require", tls=True)
    with pytest.raises(OperationalError, match="without channel binding"):
        authenticator.finish()


def test_md5_response_is_md5_of_md5_password_user_and_salt():
    authenticator = pgauth.Authenticator("alice", PASSWORD)
    message = authenticator.respond(pgauth.AUTH_MD5, b"\x01\x02\x03\x04")
    assert message is not None
    inner = hashlib.md5(b"pencilalice").hexdigest().encode()
    expected = b"md5" + hashlib.md5(inner + b"\x01\x02\x03\x04").hexdigest().encode()
    assert backend.split_messages(message) == [(b"p", expected + b"\0")]


def test_password_request_without_a_password_is_a_clear_error():
    with pytest.raises(OperationalError, match="no password was given"):
        pgauth.Authenticator("alice", None).respond(pgauth.AUTH_CLEARTEXT, b"")


@pytest.mark.parametrize(
    ("require_auth", "code", "data"),
    [
        ("scram-sha-256", pgauth.AUTH_CLEARTEXT, b""),
        ("md5", pgauth.AUTH_SASL, mechanisms(pgauth.SCRAM)),
        ("!password", pgauth.AUTH_CLEARTEXT, b""),
        ("none", pgauth.AUTH_MD5, b"salt"),
    ],
)
def test_require_auth_refuses_a_method_it_does_not_allow(require_auth, code, data):
    authenticator = pgauth.Authenticator("alice", PASSWORD, require_auth=require_auth)
    with pytest.raises(OperationalError, match="authentication method requirement"):
        authenticator.respond(code, data)


def test_require_auth_refuses_a_server_that_skips_authentication():
    authenticator = pgauth.Authenticator("alice", PASSWORD, require_auth="scram-sha-256")
    with pytest.raises(OperationalError, match="server did not complete authentication"):
        authenticator.finish()


def test_require_auth_none_accepts_trust():
    pgauth.Authenticator("alice", None, require_auth="none").finish()


def test_require_auth_list_allows_each_listed_method():
    authenticator = pgauth.Authenticator("alice", PASSWORD, require_auth="md5,password")
    authenticator.respond(pgauth.AUTH_CLEARTEXT, b"")
    authenticator.finish()


def test_kerberos_v5_requests_are_not_supported_and_named():
    # GSSAPI and SSPI requests: tests/purepg/test_gss_auth.py.
    with pytest.raises(NotSupportedError, match="Kerberos V5"):
        pgauth.Authenticator("alice", PASSWORD).respond(pgauth.AUTH_KERBEROS_V5, b"")


def test_unknown_sasl_mechanisms_are_named():
    with pytest.raises(NotSupportedError, match="OAUTHBEARER"):
        pgauth.Authenticator("alice", PASSWORD).respond(pgauth.AUTH_SASL, mechanisms("OAUTHBEARER"))
