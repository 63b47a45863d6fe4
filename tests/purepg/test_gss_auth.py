"""GSSAPI authentication and encryption, bytes only: the exchange of tokens, the encrypted
packets, the keywords that shape them, and the errors, against a stand-in for the ``gssapi``
package (no Kerberos library needed).

Logins against a real KDC and server: tests/conformance/test_gss.py and test_gss_server.py.
"""

from __future__ import annotations

import enum
import sys
import types
from typing import ClassVar

import pytest
from purepg.conninfo import resolve
from purepg.errors import NotSupportedError, OperationalError, ProgrammingError
from purepg.protocol import auth as pgauth
from purepg.protocol import gss

from tests.purepg import protocol_backend as backend

FIRST_TOKEN = b"client-token"
SERVER_TOKEN = b"server-token"


class Flags(enum.IntFlag):
    delegate_to_peer = 1
    mutual_authentication = 2


class KerberosError(Exception):
    """Stands for ``gssapi.exceptions.GSSError``."""

    maj_code = 851968
    min_code = 7

    def get_all_statuses(self, code: int, is_major: bool) -> list[str]:
        return [f"Server nosuch/db.example.com@EXAMPLE.COM not found in Kerberos database ({code})"]


class StubContext:
    """A security context that sends one token and completes on the server's answer."""

    created: ClassVar[list[StubContext]] = []
    fail: ClassVar[bool] = False

    def __init__(self, name: tuple[str, str], usage: str, flags: Flags) -> None:
        self.name, self.usage, self.flags = name, usage, flags
        self.complete = False
        StubContext.created.append(self)

    def step(self, token: bytes | None) -> bytes:
        if StubContext.fail:
            raise KerberosError()
        if token is None:
            return FIRST_TOKEN
        assert token == SERVER_TOKEN
        self.complete = True
        return b""

    def get_wrap_size_limit(self, size: int, encrypted: bool) -> int:
        return size - 4

    def wrap(self, data: bytes, encrypt: bool) -> types.SimpleNamespace:
        return types.SimpleNamespace(message=b"<<" + data + b">>", encrypted=encrypt)

    def unwrap(self, data: bytes) -> types.SimpleNamespace:
        return types.SimpleNamespace(message=data[2:-2], encrypted=True)


class StubCredentials:
    """The default initiator credentials: a ticket is at hand unless ``present`` is False."""

    present = True

    def __init__(self, usage: str) -> None:
        if not StubCredentials.present:
            raise KerberosError()


@pytest.fixture
def gssapi_stub(monkeypatch):
    """``import gssapi`` finds the stand-in; yields the contexts it creates."""
    stub = types.SimpleNamespace(
        Name=lambda text, name_type: (text, name_type),
        NameType=types.SimpleNamespace(hostbased_service="hostbased"),
        RequirementFlag=Flags,
        SecurityContext=StubContext,
        Credentials=StubCredentials,
        exceptions=types.SimpleNamespace(GSSError=KerberosError),
    )
    monkeypatch.setitem(sys.modules, "gssapi", stub)
    monkeypatch.setattr(StubContext, "created", [])
    monkeypatch.setattr(StubContext, "fail", False)
    monkeypatch.setattr(StubCredentials, "present", True)
    return StubContext.created


def authenticator(**options) -> pgauth.Authenticator:
    return pgauth.Authenticator("alice", None, **{"host": "db.example.com", **options})


def sent_token(message: bytes | None) -> bytes:
    """The token of the GSSResponse ('p') the client sent."""
    assert message is not None
    kind, payload = backend.split_messages(message)[0]
    assert kind == b"p"
    return payload


def test_without_the_gss_extra_a_gss_request_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gssapi", None)  # import gssapi raises ImportError
    with pytest.raises(NotSupportedError, match=r'pip install "purepg\[gss\]"'):
        authenticator().respond(pgauth.AUTH_GSS, b"")


def test_a_gss_request_is_answered_with_the_first_token_for_krbsrvname_at_host(gssapi_stub):
    assert sent_token(authenticator().respond(pgauth.AUTH_GSS, b"")) == FIRST_TOKEN
    assert gssapi_stub[0].name == ("postgres@db.example.com", "hostbased")
    assert gssapi_stub[0].usage == "initiate"


def test_an_sspi_request_is_answered_with_gssapi_as_libpq_does_outside_windows(gssapi_stub):
    assert sent_token(authenticator().respond(pgauth.AUTH_SSPI, b"")) == FIRST_TOKEN


def test_krbsrvname_names_the_service_of_the_principal(gssapi_stub):
    authenticator(krbsrvname="pgsql").respond(pgauth.AUTH_GSS, b"")
    assert gssapi_stub[0].name[0] == "pgsql@db.example.com"


def test_mutual_authentication_is_asked_and_delegation_only_with_gssdelegation(gssapi_stub):
    authenticator().respond(pgauth.AUTH_GSS, b"")
    authenticator(gssdelegation=True).respond(pgauth.AUTH_GSS, b"")
    assert [context.flags for context in gssapi_stub] == [
        Flags.mutual_authentication,
        Flags.mutual_authentication | Flags.delegate_to_peer,
    ]


def test_the_servers_last_token_completes_the_login_with_nothing_more_to_send(gssapi_stub):
    client = authenticator(require_auth="gss")
    client.respond(pgauth.AUTH_GSS, b"")
    assert client.respond(pgauth.AUTH_GSS_CONTINUE, SERVER_TOKEN) is None
    client.finish()


def test_require_auth_gss_refuses_authentication_ok_before_the_context_completes(gssapi_stub):
    client = authenticator(require_auth="gss")
    client.respond(pgauth.AUTH_GSS, b"")
    with pytest.raises(OperationalError, match="did not complete GSSAPI authentication"):
        client.finish()


def test_gss_continue_without_a_gss_request_is_refused(gssapi_stub):
    with pytest.raises(OperationalError, match="unexpected AuthenticationGSSContinue"):
        authenticator().respond(pgauth.AUTH_GSS_CONTINUE, SERVER_TOKEN)


@pytest.mark.parametrize("host", ["", "/var/run/postgresql", "@abstract"])
def test_gss_needs_a_host_name_to_name_the_service(gssapi_stub, host):
    with pytest.raises(OperationalError, match="needs the server's host name"):
        authenticator(host=host).respond(pgauth.AUTH_GSS, b"")


def test_a_kerberos_failure_is_an_operational_error_naming_target_and_cause(gssapi_stub):
    StubContext.fail = True
    with pytest.raises(OperationalError) as caught:
        authenticator().respond(pgauth.AUTH_GSS, b"")
    message = str(caught.value)
    assert "postgres@db.example.com" in message
    assert "not found in Kerberos database (7) (check krbsrvname and the host name)" in message


def test_krbsrvname_defaults_to_postgres_and_reads_pgkrbsrvname():
    assert resolve(None, {}, {}).krbsrvname == "postgres"
    assert resolve(None, {}, {"PGKRBSRVNAME": "pgsql"}).krbsrvname == "pgsql"


@pytest.mark.parametrize(("value", "expected"), [("0", False), ("1", True)])
def test_gssdelegation_is_zero_or_one(value, expected):
    assert resolve(None, {"gssdelegation": value}, {}).gssdelegation is expected


def test_gssdelegation_garbage_is_named():
    with pytest.raises(ProgrammingError, match='invalid gssdelegation value: "yes please"'):
        resolve(None, {"gssdelegation": "yes please"}, {})


def test_gsslib_sspi_is_refused_saying_gssapi_answers_sspi_servers():
    with pytest.raises(ProgrammingError, match=r'gsslib value "sspi" invalid: purepg uses GSSAPI'):
        resolve(None, {"gsslib": "sspi"}, {})


def test_gsslib_gssapi_is_accepted_and_garbage_named():
    resolve(None, {"gsslib": "gssapi"}, {})
    with pytest.raises(ProgrammingError, match='invalid gsslib value: "kerberos"'):
        resolve(None, {"gsslib": "kerberos"}, {})


def test_gssencmode_require_without_the_gss_extra_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gssapi", None)
    with pytest.raises(NotSupportedError, match=r'pip install "purepg\[gss\]"'):
        gss.start_encryption("require", "postgres", "db.example.com", unix_socket=False)


def test_gssencmode_prefer_without_the_gss_extra_goes_without_encryption(monkeypatch):
    monkeypatch.setitem(sys.modules, "gssapi", None)
    assert gss.start_encryption("prefer", "postgres", "db", unix_socket=False) is None


def test_gssencmode_require_over_a_unix_socket_is_refused(gssapi_stub):
    with pytest.raises(OperationalError, match="not available over a Unix socket"):
        gss.start_encryption("require", "postgres", "/tmp", unix_socket=True)


def test_gssencmode_prefer_without_a_ticket_goes_without_encryption(gssapi_stub):
    StubCredentials.present = False
    assert gss.start_encryption("prefer", "postgres", "db", unix_socket=False) is None


def test_gssencmode_prefer_goes_without_encryption_when_kerberos_fails(gssapi_stub):
    StubContext.fail = True
    assert gss.start_encryption("prefer", "postgres", "db", unix_socket=False) is None


def test_gssencmode_require_reports_the_kerberos_failure_once_the_server_agrees(gssapi_stub):
    StubContext.fail = True
    encryption = gss.start_encryption("require", "postgres", "db", unix_socket=False)
    assert encryption is not None
    with pytest.raises(OperationalError, match="not found in Kerberos database"):
        encryption.start()


def established() -> gss.GssEncryption:
    encryption = gss.start_encryption("require", "postgres", "db", unix_socket=False)
    assert encryption is not None
    assert encryption.start() == frame(FIRST_TOKEN)
    assert encryption.handshake(frame(SERVER_TOKEN)) == b""
    assert encryption.established
    return encryption


def frame(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def test_the_encryption_handshake_sends_length_prefixed_tokens(gssapi_stub):
    established()


def test_an_error_instead_of_a_handshake_packet_is_reported_with_its_message(gssapi_stub):
    encryption = gss.start_encryption("require", "postgres", "db", unix_socket=False)
    assert encryption is not None
    encryption.start()
    error = b"E\0\0\0\x20SFATAL\0Mno pg_hba.conf entry\0\0"
    with pytest.raises(OperationalError, match=r"refused GSSAPI encryption: no pg_hba\.conf entry"):
        encryption.handshake(error)


def test_data_is_sent_in_encrypted_packets_no_larger_than_libpqs(gssapi_stub):
    packets = established().encrypt(b"x" * 40000)
    sizes = []
    while packets:
        size = int.from_bytes(packets[:4], "big")
        assert packets[4:6] == b"<<"  # wrapped by the stand-in
        sizes.append(4 + size)
        packets = packets[4 + size :]
    assert max(sizes) <= gss.MAX_PACKET
    assert len(sizes) == 3


def test_received_packets_are_decrypted_however_they_are_split(gssapi_stub):
    encryption = established()
    stream = frame(b"<<hello>>") + frame(b"<<world>>")
    received = b"".join(encryption.decrypt(stream[i : i + 3]) for i in range(0, len(stream), 3))
    assert received == b"helloworld"
    assert not encryption.has_packet()
