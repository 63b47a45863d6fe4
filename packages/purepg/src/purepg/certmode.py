"""``sslcertmode=require`` (libpq 17+): the server must ask for a client certificate, and the
client must send one.

Python's ``ssl`` module tells neither, so the TLS handshake messages are watched through
``SSLContext._msg_callback`` (OpenSSL's message callback, in CPython since 3.8): a
CertificateRequest read from the server, a Certificate with at least one certificate written
by the client. Where that hook is missing, ``sslcertmode=require`` is refused rather than
silently not enforced. Imported only when ``sslcertmode=require``.
"""

from __future__ import annotations

import ssl
import weakref
from typing import Any

from purepg.errors import OperationalError

_requested: weakref.WeakSet[Any] = weakref.WeakSet()
"""TLS connections (``SSLSocket`` / ``SSLObject``) whose server sent a CertificateRequest."""
_sent: weakref.WeakSet[Any] = weakref.WeakSet()
"""TLS connections that sent a Certificate message holding a certificate."""


def watch(context: ssl.SSLContext) -> None:
    """Record, for connections made with ``context``, whether a certificate was requested
    and sent. Raises ``OperationalError`` when this Python cannot tell."""
    if not hasattr(context, "_msg_callback"):
        raise OperationalError(
            'sslcertmode value "require" is not supported by this Python\'s ssl module'
        )
    current = context._msg_callback
    if current is not None and current is not _note:
        raise OperationalError(
            'sslcertmode value "require" cannot be checked: the ssl_context given has its own '
            "message callback"
        )
    context._msg_callback = _note


_HANDSHAKE = 22
_CERTIFICATE = 11
_CERTIFICATE_REQUEST = 13
"""TLS record content type and handshake message types (``ssl._TLSContentType`` ...)."""


def _note(  # noqa: PLR0917 - the signature OpenSSL's message callback is called with
    conn: Any, direction: str, version: Any, content_type: int, msg_type: int, data: bytes
) -> None:
    if content_type != _HANDSHAKE:
        return
    if direction == "read" and msg_type == _CERTIFICATE_REQUEST:
        _requested.add(conn)
    elif direction == "write" and msg_type == _CERTIFICATE:
        # After the 4-byte handshake header: TLS 1.3 has a request context first; then the
        # 3-byte length of the certificate list (0: no certificate).
        start = 4
        if version == ssl.TLSVersion.TLSv1_3 and len(data) > start:
            start += 1 + data[start]
        if int.from_bytes(data[start : start + 3], "big") > 0:
            _sent.add(conn)


def check(connection: Any) -> None:
    """Refuse a connection (an ``SSLSocket`` / ``SSLObject``, None without TLS) whose
    server did not request a client certificate or got none (libpq's wording)."""
    if connection is None or connection not in _requested:
        raise OperationalError("server did not request an SSL certificate")
    if connection not in _sent:
        raise OperationalError("server accepted connection without a valid SSL certificate")
