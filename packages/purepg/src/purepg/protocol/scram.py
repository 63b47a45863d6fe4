"""The client side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677), sans-IO.

``ScramClient`` produces client-first-message, then client-final-message from the
server-first-message, then checks the server-final-message. Messages are bytes, exactly as they
travel: the AuthMessage both sides sign is built from the server's message as received.

PostgreSQL's rules (protocol chapter, "SASL Authentication"): the server ignores the user name
in client-first-message, and hashes the password SASLprep-normalised, or as raw bytes when
SASLprep refuses it (or it is not UTF-8); ``password_bytes`` reproduces that. Channel binding
is ``tls-server-end-point`` (RFC 5929) only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

# A hostile server could ask for any iteration count and keep the client hashing for hours;
# PostgreSQL's default is 4096, and real deployments stay far below this.
MAX_ITERATIONS = 10_000_000

_CLIENT_KEY = b"Client Key"
_SERVER_KEY = b"Server Key"
_CHANNEL_BINDING_TYPE = b"tls-server-end-point"


class ScramError(Exception):
    """The SCRAM exchange failed; the message says why, for the connection error."""


def password_bytes(password: str) -> bytes:
    """The bytes PostgreSQL hashes for ``password``.

    SASLprep'd UTF-8; the raw bytes when SASLprep refuses the password, as the server does. A
    string holding undecodable bytes (surrogate escapes, e.g. from the environment) is sent as
    those raw bytes. ASCII is unchanged either way, so it skips SASLprep (and its imports).
    """
    if password.isascii():
        return password.encode("ascii")
    try:
        utf8 = password.encode("utf-8")
    except UnicodeEncodeError:
        return _raw_bytes(password, "password")
    from purepg.protocol.saslprep import SaslprepError, saslprep

    try:
        return saslprep(password).encode("utf-8")
    except SaslprepError:
        return utf8


def _raw_bytes(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise ScramError(f"the {what} contains characters that cannot be encoded") from None


def _saslname(user: str) -> bytes:
    """The user name as client-first-message carries it: SASLprep'd, ``=`` and ``,`` escaped.

    PostgreSQL ignores it (the startup packet names the user), so a name SASLprep refuses is
    sent as it is rather than failing the connection.
    """
    if user.isascii():
        name = user.encode("ascii")
    else:
        from purepg.protocol.saslprep import SaslprepError, saslprep

        try:
            name = saslprep(user).encode("utf-8")
        except (SaslprepError, UnicodeEncodeError):
            name = _raw_bytes(user, "user name")
    return name.replace(b"=", b"=3D").replace(b",", b"=2C")


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _b64decode(value: bytes, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ScramError(f"the {what} is not valid base64: {_show(value)}") from None


def _show(value: bytes) -> str:
    return repr(value.decode("utf-8", "replace"))


def _attributes(message: bytes, what: str) -> list[tuple[bytes, bytes]]:
    """``[(name, value), ...]`` of a comma-separated ``a=value`` message."""
    pairs = []
    for item in message.split(b","):
        if len(item) < 2 or item[1:2] != b"=" or not item[:1].isalpha():
            raise ScramError(f"malformed {what}: {_show(message)}")
        pairs.append((item[:1], item[2:]))
    return pairs


class ScramClient:
    """One SCRAM-SHA-256 exchange from the client's side.

    ``channel_binding``: the tls-server-end-point data (certificate hash) when binding
    (SCRAM-SHA-256-PLUS, GS2 flag ``p``). Otherwise ``binding_supported`` says whether the
    client could have bound (TLS in use, binding not disabled): the GS2 flag ``y`` then lets a
    server that offers SCRAM-SHA-256-PLUS detect a downgrade; ``n`` without TLS. ``nonce`` is
    for tests (the RFC test vectors); by default 18 random bytes in base64.
    """

    def __init__(
        self,
        user: str,
        password: str,
        *,
        channel_binding: bytes | None = None,
        binding_supported: bool = False,
        nonce: str | None = None,
    ) -> None:
        self._password = password
        self._channel_binding = channel_binding
        if channel_binding is not None:
            self._gs2_header = b"p=" + _CHANNEL_BINDING_TYPE + b",,"
        elif binding_supported:
            self._gs2_header = b"y,,"
        else:
            self._gs2_header = b"n,,"
        if nonce is None:
            self._nonce = base64.b64encode(os.urandom(18))
        else:
            self._nonce = nonce.encode("ascii")
        self._client_first_bare = b"n=" + _saslname(user) + b",r=" + self._nonce
        self._server_signature: bytes | None = None
        self.done = False

    def client_first(self) -> bytes:
        """client-first-message: the GS2 header, the user name and our nonce."""
        return self._gs2_header + self._client_first_bare

    def client_final(self, server_first: bytes) -> bytes:
        """client-final-message (with the proof) answering ``server_first``."""
        if self._server_signature is not None:
            raise ScramError("the server sent server-first-message twice")
        nonce, salt, iterations = self._parse_server_first(server_first)
        binding_input = self._gs2_header + (self._channel_binding or b"")
        without_proof = b"c=" + base64.b64encode(binding_input) + b",r=" + nonce
        auth_message = self._client_first_bare + b"," + server_first + b"," + without_proof

        salted = hashlib.pbkdf2_hmac("sha256", password_bytes(self._password), salt, iterations)
        client_key = _hmac(salted, _CLIENT_KEY)
        stored_key = hashlib.sha256(client_key).digest()
        client_signature = _hmac(stored_key, auth_message)
        proof = bytes(key ^ sig for key, sig in zip(client_key, client_signature))
        self._server_signature = _hmac(_hmac(salted, _SERVER_KEY), auth_message)
        return without_proof + b",p=" + base64.b64encode(proof)

    def verify_server_final(self, server_final: bytes) -> None:
        """Check server-final-message: the server proves it knows the password, or failed."""
        if self._server_signature is None or self.done:
            raise ScramError("unexpected server-final-message")
        attributes = _attributes(server_final, "server-final-message")
        name, value = attributes[0]
        if name == b"e":
            raise ScramError(f"the server reported an error: {_show(value)}")
        if name != b"v" or len(attributes) != 1:
            raise ScramError(f"malformed server-final-message: {_show(server_final)}")
        signature = _b64decode(value, "server signature")
        if not hmac.compare_digest(signature, self._server_signature):
            raise ScramError(
                "the server could not prove it knows the password (wrong server signature)"
            )
        self.done = True

    def _parse_server_first(self, message: bytes) -> tuple[bytes, bytes, int]:
        """(nonce, salt, iteration count) of server-first-message, checked."""
        attributes = _attributes(message, "server-first-message")
        names = [name for name, _ in attributes]
        if names[0] == b"m":
            raise ScramError(
                "the server requires a SCRAM extension purepg does not support: "
                + _show(attributes[0][1])
            )
        if names[:3] != [b"r", b"s", b"i"]:
            raise ScramError(
                "malformed server-first-message (expected r=, s=, i=): " + _show(message)
            )
        if len(attributes) > 3:
            raise ScramError(
                "the server-first-message carries extensions purepg does not support: "
                + _show(message)
            )
        nonce, salt_text, iterations_text = (value for _, value in attributes)
        if not nonce.startswith(self._nonce) or len(nonce) == len(self._nonce):
            raise ScramError("the server's nonce does not extend the client's nonce")
        salt = _b64decode(salt_text, "salt")
        if not salt:
            raise ScramError("the server sent an empty salt")
        if not iterations_text.isdigit():
            raise ScramError(f"invalid iteration count: {_show(iterations_text)}")
        iterations = int(iterations_text)
        if iterations < 1:
            raise ScramError(f"invalid iteration count: {iterations}")
        if iterations > MAX_ITERATIONS:
            raise ScramError(
                f"the iteration count {iterations} is beyond purepg's limit of {MAX_ITERATIONS}"
            )
        return nonce, salt, iterations
