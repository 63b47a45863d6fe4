"""Client authentication: cleartext, md5, SCRAM-SHA-256(-PLUS), GSSAPI, ``require_auth``.

Sans-IO: ``Authenticator.respond`` turns each Authentication request into the message to send;
``Authenticator.finish`` checks, on AuthenticationOk, that what happened is what the client
allowed (``require_auth``, ``channel_binding``, a completed SCRAM exchange).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from purepg.errors import NotSupportedError, OperationalError
from purepg.protocol import messages
from purepg.protocol.scram import ScramClient, ScramError

if TYPE_CHECKING:
    from purepg.protocol.gss import GssClient

AUTH_OK = 0
AUTH_KERBEROS_V5 = 2
AUTH_CLEARTEXT = 3
AUTH_MD5 = 5
AUTH_GSS = 7
AUTH_GSS_CONTINUE = 8
AUTH_SSPI = 9
AUTH_SASL = 10
AUTH_SASL_CONTINUE = 11
AUTH_SASL_FINAL = 12

SCRAM = "SCRAM-SHA-256"
SCRAM_PLUS = "SCRAM-SHA-256-PLUS"

# require_auth's name for each request.
_METHOD_NAMES = {
    AUTH_CLEARTEXT: "password",
    AUTH_MD5: "md5",
    AUTH_GSS: "gss",
    AUTH_GSS_CONTINUE: "gss",
    AUTH_SSPI: "sspi",
    AUTH_SASL: "scram-sha-256",
    AUTH_SASL_CONTINUE: "scram-sha-256",
    AUTH_SASL_FINAL: "scram-sha-256",
}
_ALL_METHODS = frozenset({"password", "md5", "gss", "sspi", "scram-sha-256", "none"})


def _parse_require_auth(value: str) -> frozenset[str]:
    """The methods ``require_auth`` allows (``"none"`` = no authentication at all)."""
    from purepg.conninfo import parse_require_auth

    negated, methods = parse_require_auth(value)
    return _ALL_METHODS - methods if negated else methods


def _hash_name_for_signature(oid: str) -> str | None:
    """RFC 5929 tls-server-end-point: the certificate's signature hash, MD5/SHA-1 -> SHA-256."""
    sha256_family = {
        "1.2.840.113549.1.1.4": "sha256",  # md5WithRSAEncryption
        "1.2.840.113549.1.1.5": "sha256",  # sha1WithRSAEncryption
        "1.2.840.113549.1.1.11": "sha256",
        "1.2.840.113549.1.1.12": "sha384",
        "1.2.840.113549.1.1.13": "sha512",
        "1.2.840.113549.1.1.14": "sha224",
        "1.2.840.10045.4.1": "sha256",  # ecdsa-with-SHA1
        "1.2.840.10045.4.3.1": "sha224",
        "1.2.840.10045.4.3.2": "sha256",
        "1.2.840.10045.4.3.3": "sha384",
        "1.2.840.10045.4.3.4": "sha512",
        "1.2.840.10040.4.3": "sha256",  # dsa-with-sha1
        "2.16.840.1.101.3.4.3.2": "sha256",  # dsa-with-sha256
    }
    return sha256_family.get(oid)


def _der_item(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER item at ``pos``."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated DER item")
    return tag, pos, pos + length


def _oid_text(raw: bytes) -> str:
    parts = [raw[0] // 40, raw[0] % 40]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(part) for part in parts)


def certificate_hash(der: bytes) -> bytes:
    """The tls-server-end-point channel binding data of a DER certificate (RFC 5929)."""
    try:
        _, cert_start, _ = _der_item(der, 0)  # Certificate SEQUENCE
        _, _, tbs_end = _der_item(der, cert_start)  # tbsCertificate
        _, alg_start, _ = _der_item(der, tbs_end)  # signatureAlgorithm SEQUENCE
        tag, oid_start, oid_end = _der_item(der, alg_start)
        if tag != 0x06:
            raise ValueError("no algorithm OID")
        oid = _oid_text(der[oid_start:oid_end])
    except (ValueError, IndexError) as exc:
        raise OperationalError(f"could not read the server certificate: {exc}") from None
    name = _hash_name_for_signature(oid)
    if name is None:
        raise NotSupportedError(
            f"channel binding is not defined for the server certificate's signature algorithm {oid}"
        )
    return hashlib.new(name, der).digest()


def md5_password(password: bytes, user: bytes, salt: bytes) -> bytes:
    """The md5 response: ``"md5" + md5(md5(password + user) + salt)`` in hex."""
    inner = hashlib.md5(password + user).hexdigest().encode("ascii")
    return b"md5" + hashlib.md5(inner + salt).hexdigest().encode("ascii")


class Authenticator:
    """Answers the server's Authentication requests for one connection attempt.

    ``server_certificate`` is the DER certificate of the TLS peer (None without TLS); it is
    what SCRAM-SHA-256-PLUS binds to. ``host``, ``krbsrvname`` and ``gssdelegation`` name
    the GSSAPI service principal (``krbsrvname/host``) and whether to delegate credentials;
    ``gss_encrypted``: the connection is GSSAPI-encrypted, which authenticates it already.
    """

    def __init__(
        self,
        user: str,
        password: str | None,
        *,
        require_auth: str | None = None,
        channel_binding: str = "prefer",
        tls: bool = False,
        server_certificate: bytes | None = None,
        host: str = "",
        krbsrvname: str = "postgres",
        gssdelegation: bool = False,
        gss_encrypted: bool = False,
    ) -> None:
        if channel_binding not in ("disable", "prefer", "require"):
            raise OperationalError(f'invalid channel_binding value: "{channel_binding}"')
        self.user = user
        self.password = password
        self.allowed = _parse_require_auth(require_auth) if require_auth else None
        self.require_auth = require_auth
        self.channel_binding = channel_binding
        self.tls = tls
        self.server_certificate = server_certificate
        self.method: str | None = None  # the require_auth name of the method used
        self.mechanism: str | None = None  # the SASL mechanism chosen
        self._scram: ScramClient | None = None
        self.host = host
        self.krbsrvname = krbsrvname
        self.gssdelegation = gssdelegation
        self._gss: GssClient | None = None
        self.gss_encrypted = gss_encrypted

    # -- checks -----------------------------------------------------------------------------

    def _refuse(self, why: str) -> OperationalError:
        return OperationalError(
            f'authentication method requirement "{self.require_auth}" failed: {why}'
        )

    def _check_allowed(self, code: int, description: str) -> None:
        method = _METHOD_NAMES[code]
        if self.allowed is not None and method not in self.allowed:
            raise self._refuse(f"server requested {description}")
        if self.channel_binding == "require" and method != "scram-sha-256":
            raise OperationalError(
                "channel binding required, but server requested "
                f"{description}, which does not support it"
            )
        self.method = method

    def _need_password(self) -> bytes:
        if self.password is None:
            raise OperationalError(
                "the server requested password authentication, but no password was given"
            )
        try:
            return self.password.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raise OperationalError(
                "the password contains characters that cannot be encoded"
            ) from None

    # -- protocol ---------------------------------------------------------------------------

    def respond(self, code: int, data: bytes) -> bytes | None:
        """The message answering Authentication request ``code`` (None: nothing to send)."""
        if code == AUTH_CLEARTEXT:
            self._check_allowed(code, "a cleartext password")
            return messages.password_message(self._need_password() + b"\0")
        if code == AUTH_MD5:
            self._check_allowed(code, "an md5 password")
            if len(data) != 4:
                raise OperationalError(
                    f"malformed AuthenticationMD5Password: {len(data)}-byte salt"
                )
            digest = md5_password(self._need_password(), self.user.encode("utf-8"), data)
            return messages.password_message(digest + b"\0")
        if code == AUTH_SASL:
            self._check_allowed(code, "SASL authentication")
            return self._sasl_start(messages.parse_sasl_mechanisms(data))
        if code == AUTH_SASL_CONTINUE:
            return self._sasl_continue(data)
        if code == AUTH_SASL_FINAL:
            self._sasl_final(data)
            return None
        if code in (AUTH_GSS, AUTH_SSPI):
            # As libpq outside Windows: SSPI speaks Kerberos through SPNEGO, GSSAPI answers it.
            name = "GSSAPI" if code == AUTH_GSS else "SSPI"
            self._check_allowed(code, f"{name} authentication")
            return self._gss_start()
        if code == AUTH_GSS_CONTINUE:
            return self._gss_continue(data)
        if code == AUTH_KERBEROS_V5:
            raise NotSupportedError(
                "the server requested Kerberos V5 authentication, which purepg does not support"
            )
        raise NotSupportedError(f"the server requested an unknown authentication method ({code})")

    def _sasl_start(self, mechanisms: list[str]) -> bytes:
        if self._scram is not None:
            raise OperationalError("the server restarted SASL authentication")
        can_bind = self.tls and self.channel_binding != "disable"
        certificate = self.server_certificate if can_bind else None
        if certificate and SCRAM_PLUS in mechanisms:
            chosen = SCRAM_PLUS
        elif self.channel_binding == "require":
            if not self.tls:
                raise OperationalError("channel binding required, but SSL not in use")
            raise OperationalError(
                "channel binding is required, but the server did not offer an authentication "
                f"method that supports channel binding (offered: {', '.join(mechanisms)})"
            )
        elif SCRAM in mechanisms:
            chosen = SCRAM
        else:
            raise NotSupportedError(
                "none of the server's SASL authentication mechanisms is supported: "
                + ", ".join(mechanisms)
            )
        if self.password is None:
            raise OperationalError(
                "the server requested SCRAM authentication, but no password was given"
            )
        binding = certificate_hash(certificate) if chosen == SCRAM_PLUS and certificate else None
        self._scram = ScramClient(
            self.user, self.password, channel_binding=binding, binding_supported=can_bind
        )
        self.mechanism = chosen
        return messages.sasl_initial_response(chosen, self._scram.client_first())

    def _sasl_continue(self, data: bytes) -> bytes:
        if self._scram is None or self._scram.done:
            raise OperationalError("unexpected AuthenticationSASLContinue from the server")
        try:
            final = self._scram.client_final(data)
        except ScramError as exc:
            raise OperationalError(f"SCRAM authentication failed: {exc}") from None
        return messages.sasl_response(final)

    def _sasl_final(self, data: bytes) -> None:
        if self._scram is None or self._scram.done:
            raise OperationalError("unexpected AuthenticationSASLFinal from the server")
        try:
            self._scram.verify_server_final(data)
        except ScramError as exc:
            raise OperationalError(f"SCRAM authentication failed: {exc}") from None

    def _gss_start(self) -> bytes:
        if self._gss is not None:
            raise OperationalError("the server restarted GSSAPI authentication")
        from purepg.protocol.gss import GssClient

        self._gss = GssClient(self.krbsrvname, self.host, delegate=self.gssdelegation)
        return messages.password_message(self._gss.step(None))

    def _gss_continue(self, data: bytes) -> bytes | None:
        if self._gss is None:
            raise OperationalError("unexpected AuthenticationGSSContinue from the server")
        token = self._gss.step(data)
        return messages.password_message(token) if token else None

    def finish(self) -> None:
        """On AuthenticationOk: refuse a server that skipped what the client requires."""
        if self._scram is not None and not self._scram.done:
            raise OperationalError(
                "the server sent AuthenticationOk before completing SCRAM authentication"
            )
        if self.method is None and self.gss_encrypted:
            # A gss line logs an encrypted connection in without a request: the GSSAPI
            # handshake of the encryption was the authentication (libpq counts it as gss).
            if self.allowed is not None and "gss" not in self.allowed:
                raise self._refuse("server authenticated the client with GSSAPI encryption")
            self.method = "gss"
        if self.method is None and self.allowed is not None and "none" not in self.allowed:
            raise self._refuse("server did not complete authentication")
        if self._gss is not None and not self._gss.complete and self.allowed is not None:
            raise self._refuse("server did not complete GSSAPI authentication")
        if self.channel_binding == "require" and self.mechanism != SCRAM_PLUS:
            raise OperationalError(
                "channel binding required, but server authenticated client without channel binding"
            )
