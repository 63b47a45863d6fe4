"""purepg's own SCRAM-SHA-256 client (RFC 5802, RFC 7677) and SASLprep (RFC 4013).

The RFC test vector pins the arithmetic, the hostile-message cases pin the checks, and real
servers pin the password normalisation: a password PostgreSQL stored must authenticate.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import purepg
import pytest
from purepg.protocol.saslprep import SaslprepError, saslprep
from purepg.protocol.scram import MAX_ITERATIONS, ScramClient, ScramError, password_bytes

# RFC 7677 section 3: user "user", password "pencil".
RFC_NONCE = "rOprNGfwEbeRWgbNEkqO"
RFC_CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
RFC_SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
RFC_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
RFC_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

SALT = b"s=W22ZaJ0SNY7soEsUEjb6gQ=="


def rfc_client() -> ScramClient:
    return ScramClient("user", "pencil", nonce=RFC_NONCE)


def server_first(nonce: str = RFC_NONCE + "server", salt: bytes = SALT, i: str = "4096") -> bytes:
    return b"r=" + nonce.encode() + b"," + salt + b",i=" + i.encode()


# -- RFC 7677 test vector ----------------------------------------------------------------------


def test_rfc7677_client_first_message():
    assert rfc_client().client_first() == RFC_CLIENT_FIRST


def test_rfc7677_client_final_message_carries_the_rfc_proof():
    client = rfc_client()
    client.client_first()
    assert client.client_final(RFC_SERVER_FIRST) == RFC_CLIENT_FINAL


def test_rfc7677_server_signature_is_accepted_and_completes_the_exchange():
    client = rfc_client()
    client.client_final(RFC_SERVER_FIRST)
    client.verify_server_final(RFC_SERVER_FINAL)
    assert client.done


def test_a_server_signature_off_by_one_bit_is_rejected():
    client = rfc_client()
    client.client_final(RFC_SERVER_FIRST)
    signature = bytearray(base64.b64decode(RFC_SERVER_FINAL[2:]))
    signature[0] ^= 1
    with pytest.raises(ScramError, match="could not prove it knows the password"):
        client.verify_server_final(b"v=" + base64.b64encode(bytes(signature)))
    assert not client.done


def test_each_exchange_gets_a_fresh_random_nonce():
    first = ScramClient("user", "pencil").client_first()
    second = ScramClient("user", "pencil").client_first()
    assert first.startswith(b"n,,n=user,r=")
    assert first != second


# -- GS2 header and user name --------------------------------------------------------------


def test_channel_binding_data_goes_into_the_gs2_header_and_the_final_message():
    cert_hash = hashlib.sha256(b"certificate").digest()
    client = ScramClient("user", "pencil", channel_binding=cert_hash, nonce=RFC_NONCE)
    assert client.client_first().startswith(b"p=tls-server-end-point,,n=user,")
    final = client.client_final(server_first())
    expected = base64.b64encode(b"p=tls-server-end-point,," + cert_hash)
    assert final.startswith(b"c=" + expected + b",r=")


def test_a_client_able_to_bind_without_plus_offered_says_y():
    client = ScramClient("user", "pencil", binding_supported=True, nonce=RFC_NONCE)
    assert client.client_first().startswith(b"y,,")
    assert client.client_final(server_first()).startswith(b"c=eSws,")  # base64("y,,")


def test_user_name_commas_and_equal_signs_are_escaped():
    client = ScramClient("a=b,c", "pencil", nonce=RFC_NONCE)
    assert client.client_first() == b"n,,n=a=3Db=2Cc,r=" + RFC_NONCE.encode()


def test_a_user_name_saslprep_refuses_is_sent_as_it_is():
    # PostgreSQL ignores this name (the startup packet names the user): no reason to fail.
    client = ScramClient("bell\u0007é", "pencil", nonce=RFC_NONCE)
    assert client.client_first().startswith("n,,n=bell\u0007é,".encode())


# -- hostile server-first and server-final messages ---------------------------------------------


def test_a_server_nonce_that_does_not_extend_ours_is_rejected():
    with pytest.raises(ScramError, match="nonce does not extend"):
        rfc_client().client_final(server_first(nonce="someoneelse" + RFC_NONCE))


def test_a_server_nonce_equal_to_ours_is_rejected():
    with pytest.raises(ScramError, match="nonce does not extend"):
        rfc_client().client_final(server_first(nonce=RFC_NONCE))


@pytest.mark.parametrize("count", ["0", "-1", "", "4k", "٤"])
def test_an_iteration_count_below_one_or_not_a_number_is_rejected(count):
    with pytest.raises(ScramError, match="invalid iteration count"):
        rfc_client().client_final(server_first(i=count))


def test_an_absurd_iteration_count_is_rejected_before_hashing():
    with pytest.raises(ScramError, match="beyond purepg's limit"):
        rfc_client().client_final(server_first(i=str(MAX_ITERATIONS + 1)))


def test_a_mandatory_extension_is_rejected_with_a_clear_error():
    message = b"m=future," + server_first()
    with pytest.raises(ScramError, match="requires a SCRAM extension purepg does not support"):
        rfc_client().client_final(message)


def test_extensions_after_the_iteration_count_are_rejected():
    with pytest.raises(ScramError, match="extensions purepg does not support"):
        rfc_client().client_final(server_first() + b",x=extra")


@pytest.mark.parametrize(
    "message",
    [b"", b"r=abc", b"s=W22ZaJ0SNY7soEsUEjb6gQ==,r=x,i=4096", b"garbage", b"r=x,,i=1"],
)
def test_a_malformed_server_first_message_is_rejected(message):
    with pytest.raises(ScramError, match="malformed server-first-message"):
        rfc_client().client_final(message)


def test_a_salt_that_is_not_base64_is_rejected():
    with pytest.raises(ScramError, match="salt is not valid base64"):
        rfc_client().client_final(server_first(salt=b"s=not*base64"))


def test_a_server_error_attribute_is_reported_with_the_servers_reason():
    client = rfc_client()
    client.client_final(RFC_SERVER_FIRST)
    with pytest.raises(ScramError, match="the server reported an error: 'invalid-proof'"):
        client.verify_server_final(b"e=invalid-proof")


def test_server_final_before_server_first_is_rejected():
    with pytest.raises(ScramError, match="unexpected server-final-message"):
        rfc_client().verify_server_final(RFC_SERVER_FINAL)


def test_a_second_server_first_message_is_rejected():
    client = rfc_client()
    client.client_final(RFC_SERVER_FIRST)
    with pytest.raises(ScramError, match="server-first-message twice"):
        client.client_final(RFC_SERVER_FIRST)


def test_a_server_final_message_with_extra_attributes_is_rejected():
    client = rfc_client()
    client.client_final(RFC_SERVER_FIRST)
    with pytest.raises(ScramError, match="malformed server-final-message"):
        client.verify_server_final(RFC_SERVER_FINAL + b",x=1")


# -- SASLprep (RFC 4013 section 3 examples) ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "prepared"),
    [
        ("I\u00adX", "IX"),  # SOFT HYPHEN mapped to nothing
        ("user", "user"),
        ("USER", "USER"),  # case preserved
        ("\u00aa", "a"),  # NFKC
        ("\u2168", "IX"),  # NFKC: ROMAN NUMERAL NINE
        ("no\u00a0break", "no break"),  # non-ASCII space mapped to SPACE
    ],
)
def test_saslprep_rfc4013_examples(text, prepared):
    assert saslprep(text) == prepared


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("\u0007", "U\\+0007 is prohibited \\(a control character\\)"),
        ("\u0627\u0031", "right-to-left"),  # bidirectional check
        ("\ue000", "private use"),
        ("\u00ad", "nothing is left"),
    ],
)
def test_saslprep_refuses_what_rfc4013_prohibits_and_names_it(text, problem):
    with pytest.raises(SaslprepError, match=problem):
        saslprep(text)


@pytest.mark.parametrize(
    ("password", "hashed"),
    [
        ("pencil", b"pencil"),
        ("I\u00adX", b"IX"),
        ("\u2168", b"IX"),
        ("no\u00a0break", b"no break"),
        ("\u0007", b"\x07"),  # prohibited: the raw bytes, as the server does
        ("p\u00e4ss\u0007", "p\u00e4ss\u0007".encode()),
        ("\u00ad", "\u00ad".encode()),  # empty after mapping: raw bytes too
        ("caf\udce9", b"caf\xe9"),  # undecodable bytes (surrogate escapes) sent as they were
    ],
)
def test_password_bytes_are_what_postgresql_hashes(password, hashed):
    assert password_bytes(password) == hashed


def test_an_ascii_password_does_not_import_stringprep():
    import subprocess
    import sys

    # Compared with the modules loaded before the call: PyPy preloads unicodedata at startup.
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from purepg.protocol.scram import password_bytes\n"
        "password_bytes('pencil\\x07')\n"
        "print(sorted({'stringprep', 'unicodedata'} & (set(sys.modules) - before)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# -- real servers: passwords PostgreSQL stored authenticate --------------------------------------

SCRAM_ROLE_MODE = "scram-sha-256"


def _literal(text: str) -> str:
    from purepg.sql import quote_literal

    return quote_literal(text)


@pytest.fixture
def set_password(pg_cluster) -> Iterator[object]:
    """Sets the scram-sha-256 role's password (stored as SCRAM); restores it afterwards."""
    params = pg_cluster.params(SCRAM_ROLE_MODE)
    admin = purepg.connect(**pg_cluster.admin_params())
    admin.autocommit = True
    cur = admin.cursor()

    def set_to(password: str) -> None:
        cur.execute("SET password_encryption = 'scram-sha-256'")
        cur.execute(f"ALTER ROLE {params['user']} PASSWORD {_literal(password)}")

    try:
        yield set_to
    finally:
        set_to(params["password"])
        admin.close()


def connect_as_scram_role(pg_cluster, password: str) -> str:
    params = {**pg_cluster.params(SCRAM_ROLE_MODE), "password": password}
    conn = purepg.connect(**params)
    try:
        cur = conn.cursor()
        cur.execute("SELECT current_user")
        row = cur.fetchone()
        assert row is not None
        return str(row[0])
    finally:
        conn.close()


PASSWORDS = {
    "umlauts": "p\u00e4ssw\u00f6rd",
    "no-break-space": "correct\u00a0horse",
    "prohibited-control-char": "p\u00e4ss\u0007w\u00f6rd",
    "soft-hyphen-only": "\u00ad",
    "roman-numeral": "\u2168-\u00aa",
    "unassigned-in-unicode-3.2": "smile\U0001f600\u00ad",
    "right-to-left": "\u05d0\u05d1\u05d2",
    "bidi-violation": "\u0627\u0031\u00e9",
}


@pytest.mark.parametrize("password", list(PASSWORDS.values()), ids=list(PASSWORDS))
def test_a_non_ascii_password_set_on_the_server_authenticates(pg_cluster, set_password, password):
    set_password(password)
    assert connect_as_scram_role(pg_cluster, password) == "scram_user"


EQUIVALENT_PASSWORDS = {
    "decomposed-umlaut": ("pa\u0308ssword", "p\u00e4ssword"),  # NFKC makes them one
    "no-break-space": ("correct\u00a0horse", "correct horse"),  # no-break space is a space
    "roman-numeral": ("\u2168", "IX"),
    "soft-hyphen": ("pass\u00adword", "password"),
}


@pytest.mark.parametrize("reverse", [False, True], ids=["stored-unprepared", "typed-unprepared"])
@pytest.mark.parametrize(
    ("unprepared", "prepared"), list(EQUIVALENT_PASSWORDS.values()), ids=list(EQUIVALENT_PASSWORDS)
)
def test_passwords_equal_after_saslprep_are_the_same_password(
    pg_cluster, set_password, unprepared, prepared, reverse
):
    stored, typed = (prepared, unprepared) if reverse else (unprepared, prepared)
    set_password(stored)
    assert connect_as_scram_role(pg_cluster, typed) == "scram_user"


def test_a_password_differing_only_in_a_prohibited_character_is_another_password(
    pg_cluster, set_password
):
    set_password("p\u00e4ss\u0007word")
    with pytest.raises(purepg.OperationalError, match="password authentication failed"):
        connect_as_scram_role(pg_cluster, "p\u00e4ssword")
