"""GSSAPI (Kerberos) authentication through the optional ``gssapi`` package (``purepg[gss]``).

Imported only when a server asks for GSSAPI: ``gssapi`` loads the system's Kerberos library,
which a cold start that never meets Kerberos should not pay for. Sans-IO on our side: the
tokens travel in the protocol's messages; the Kerberos library itself may talk to the KDC
(for a service ticket) while it computes the first token.
"""

from __future__ import annotations

import struct
from typing import Any

from purepg.errors import NotSupportedError, OperationalError

EXTRA = "purepg[gss]"
GSSENC_REQUEST = struct.pack("!ii", 8, 80877104)
"""GSSENCRequest: ask the server to encrypt the connection with GSSAPI (answer: G or N)."""
MAX_PACKET = 16384
"""The largest packet libpq and the server send (PQ_GSS_MAX_PACKET_SIZE, length word included)."""
MAX_RECEIVED_PACKET = 1 << 20
"""The largest packet accepted (a newer server may send more than 16 KiB)."""
_length = struct.Struct("!I")

# What libkrb5 says, and what the user can do about it.
_HINTS = (
    ("No Kerberos credentials", "no Kerberos ticket: run kinit, or set KRB5CCNAME to a cache"),
    ("not found in Kerberos database", "check krbsrvname and the host name"),
    ("Cannot contact any KDC", "the KDC of the realm cannot be reached"),
    ("Clock skew", "the clocks of this machine, the KDC and the server disagree"),
    ("expired", "the Kerberos ticket has expired: run kinit again"),
)


def _load_gssapi() -> Any:
    try:
        import gssapi
    except ImportError:
        raise NotSupportedError(
            "the server requested GSSAPI (Kerberos) authentication, which needs the optional "
            f'gssapi package: pip install "{EXTRA}"'
        ) from None
    return gssapi


def _describe(error: Any) -> str:
    """The Kerberos library's own message (its most specific part), plus a hint when it is a
    well-known problem."""
    parts = [*error.get_all_statuses(error.min_code, False)] if error.min_code else []
    parts = parts or [*error.get_all_statuses(error.maj_code, True)]
    text = " ".join("; ".join(str(part) for part in parts).split())
    for fragment, hint in _HINTS:
        if fragment.lower() in text.lower():
            return f"{text} ({hint})"
    return text


class GssClient:
    """The client side of one GSSAPI security context, as libpq sets it up: the target is
    ``krbsrvname@host`` (a host-based service), with mutual authentication, and credential
    delegation when ``delegate`` is true (``gssdelegation=1``)."""

    def __init__(self, service: str, host: str, *, delegate: bool = False) -> None:
        gssapi = _load_gssapi()
        if not host or host.startswith(("/", "@")):
            raise OperationalError(
                "GSSAPI authentication needs the server's host name (the service principal "
                f"is {service}/<host>): connect with host=<name>, not a socket or only hostaddr"
            )
        self._errors: tuple[type[BaseException], ...] = (gssapi.exceptions.GSSError,)
        flags = gssapi.RequirementFlag.mutual_authentication
        if delegate:
            flags |= gssapi.RequirementFlag.delegate_to_peer
        self.target = f"{service}@{host}"
        try:
            name = gssapi.Name(self.target, name_type=gssapi.NameType.hostbased_service)
            self._context = gssapi.SecurityContext(name=name, usage="initiate", flags=flags)
        except self._errors as exc:
            raise self._failure(exc) from None

    @property
    def complete(self) -> bool:
        """Whether the security context is established (mutual authentication done)."""
        return bool(self._context.complete)

    def step(self, token: bytes | None) -> bytes:
        """The token answering the server's ``token`` (None to start); may be empty."""
        if self.complete:
            raise OperationalError("the server continued GSSAPI authentication after it ended")
        try:
            answer = self._context.step(token)
        except self._errors as exc:
            raise self._failure(exc) from None
        return bytes(answer or b"")

    def _failure(self, exc: BaseException) -> OperationalError:
        return OperationalError(
            f"GSSAPI authentication with {self.target} failed: {_describe(exc)}"
        )


def start_encryption(
    mode: str, service: str, host: str, *, unix_socket: bool, delegate: bool = False
) -> GssEncryption | None:
    """What ``gssencmode`` asks for on this connection: a ``GssEncryption`` to set up with a
    GSSENCRequest, or None for a connection without it. As libpq, ``prefer`` tries only over
    TCP with a Kerberos ticket at hand (and here the ``gssapi`` package); ``require`` fails
    without them."""
    if mode == "disable":
        return None
    if unix_socket:
        if mode == "require":
            raise OperationalError(
                "GSSAPI encryption required, but it is not available over a Unix socket"
            )
        return None
    try:
        gssapi = _load_gssapi()
    except NotSupportedError:
        if mode == "require":
            raise
        return None
    if mode == "prefer":
        try:
            gssapi.Credentials(usage="initiate")
        except gssapi.exceptions.GSSError:
            return None  # no ticket: libpq does not try either
    encryption = GssEncryption(GssClient(service, host, delegate=delegate))
    if mode == "prefer":
        # The first token before the GSSENCRequest: a Kerberos failure (unknown service, no
        # KDC) then happens before the server is asked, and "prefer" goes on without, as
        # libpq does after a failed GSSAPI setup.
        try:
            encryption.start()
        except OperationalError:
            return None
    return encryption


class GssEncryption:
    """GSSAPI encryption of a whole connection, sans-IO: after the server answered ``G`` to
    GSSENCRequest, the security context is established with length-prefixed tokens, then every
    byte travels in packets of a 4-byte length and a ``gss_wrap``ped (encrypted) message."""

    def __init__(self, client: GssClient) -> None:
        self._client = client
        self._context: Any = client._context
        self._inbox = bytearray()
        self._chunk = 0
        self._first: bytes | None = None

    @property
    def established(self) -> bool:
        """Whether the handshake is over (data can be encrypted)."""
        return self._client.complete

    def start(self) -> bytes:
        """The first handshake packet to send (computed once)."""
        if self._first is None:
            self._first = _frame(self._client.step(None))
        return self._first

    def handshake(self, data: bytes) -> bytes:
        """Take the server's handshake bytes; the packets to send (may be empty)."""
        self._inbox += data
        answer = b""
        while not self.established:
            if self._inbox[:1] == b"E":
                raise OperationalError(
                    "the server refused GSSAPI encryption: " + _error_text(bytes(self._inbox))
                )
            packet = self._next_packet()
            if packet is None:
                break
            token = self._client.step(packet)
            if token:
                answer += _frame(token)
        return answer

    def encrypt(self, data: bytes) -> bytes:
        """``data`` as encrypted packets of at most ``MAX_PACKET`` bytes."""
        if not self._chunk:
            limit = self._context.get_wrap_size_limit(MAX_PACKET - 4, encrypted=True)
            self._chunk = max(int(limit), 1)
        packets = []
        for start in range(0, len(data), self._chunk):
            wrapped = self._context.wrap(data[start : start + self._chunk], True)
            if not wrapped.encrypted:
                raise OperationalError("GSSAPI did not encrypt a message (no confidentiality)")
            packets.append(_frame(wrapped.message))
        return b"".join(packets)

    def decrypt(self, data: bytes) -> bytes:
        """The plaintext of every complete packet received so far (``data`` added)."""
        self._inbox += data
        plain: list[bytes] = []
        while True:
            packet = self._next_packet()
            if packet is None:
                return b"".join(plain)
            unwrapped = self._context.unwrap(packet)
            if not unwrapped.encrypted:
                raise OperationalError("the server sent a GSSAPI message that is not encrypted")
            plain.append(bytes(unwrapped.message))

    def has_packet(self) -> bool:
        """Whether a whole packet waits to be decrypted."""
        if len(self._inbox) < 4:
            return False
        size: int = _length.unpack_from(self._inbox)[0]
        return len(self._inbox) >= 4 + size

    def _next_packet(self) -> bytes | None:
        if not self.has_packet():
            if len(self._inbox) >= 4 and _length.unpack_from(self._inbox)[0] > MAX_RECEIVED_PACKET:
                raise OperationalError("oversize GSSAPI packet from the server")
            return None
        size = _length.unpack_from(self._inbox)[0]
        packet = bytes(self._inbox[4 : 4 + size])
        del self._inbox[: 4 + size]
        return packet


def _frame(token: bytes) -> bytes:
    return _length.pack(len(token)) + token


def _error_text(data: bytes) -> str:
    """The message field of an ErrorResponse sent instead of a handshake packet."""
    for field in data[5:].split(b"\0"):
        if field[:1] == b"M":
            return field[1:].decode("utf-8", "replace")
    return "(no message)"
