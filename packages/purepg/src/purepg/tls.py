"""The client TLS context, with libpq's ``sslmode`` semantics.

Import this module only when a connection uses TLS: it imports ``ssl`` (OpenSSL, slow to
load), which ``import purepg`` must not. ``ssl`` is imported inside the functions so that even
importing this module stays cheap.

- ``disable``: no TLS (``None``). TLS never applies to Unix-domain sockets either (libpq).
- ``allow`` / ``prefer`` / ``require``: encryption without verification, except that, like
  libpq, when the root certificate file exists (``sslrootcert`` or ``~/.postgresql/root.crt``)
  the server's chain is verified against it (``require`` then behaves as ``verify-ca``).
- ``verify-ca``: the chain is verified; ``verify-full``: the chain and the host name (DNS or IP
  address subject alternative names, else the common name).
- ``sslrootcert=system``: the default trust store; ``conninfo`` has already forced
  ``verify-full``.
- Client certificate ``sslcert`` / ``sslkey`` (defaults ``~/.postgresql/postgresql.crt`` /
  ``.key``, used only when the certificate exists), ``sslpassword`` for an encrypted key,
  libpq's key file permission check; ``sslcrl`` / ``sslcrldir`` (default
  ``~/.postgresql/root.crl``); ``ssl_min_protocol_version`` / ``ssl_max_protocol_version``;
  ALPN ``postgresql`` (required by PostgreSQL 17+ for ``sslnegotiation=direct``).

``sslsni=0`` with ``verify-full`` is refused (``conninfo``): Python sends the host name it
verifies as SNI.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import TYPE_CHECKING

from purepg.conninfo import ConnectParams, HostAddress
from purepg.errors import OperationalError, ProgrammingError

if TYPE_CHECKING:
    import ssl

ALPN_PROTOCOL = "postgresql"
_FIX_ROOT_CERT = (
    "Either provide the file, use the system's trusted roots with sslrootcert=system, or "
    "change sslmode to disable server certificate verification."
)


def _default_file(params: ConnectParams, name: str) -> str | None:
    if params.home is None:
        return None
    return os.path.join(params.home, ".postgresql", name)


def _exists(path: str | None) -> bool:
    return path is not None and os.path.exists(path)


def mode_for_context(params: ConnectParams) -> ConnectParams:
    """``params`` for a connection given an explicit ``ssl_context``: whoever passes one
    wants TLS, so an sslmode nobody set (libpq's default ``prefer``) becomes ``require``,
    without the plain-text retry when the server answers 'N' or the handshake fails. An
    explicit ``allow``/``prefer`` is kept; ``disable`` contradicts the context: an error."""
    if params.sslmode == "disable":
        raise ProgrammingError(
            "ssl_context= was given but sslmode=disable: drop one of them (with a context, "
            "sslmode defaults to require)"
        )
    if params.sslmode in ("allow", "prefer") and "sslmode" not in params.values:
        return params._replace(sslmode="require")
    return params


def make_ssl_context(params: ConnectParams) -> ssl.SSLContext | None:
    """The ``SSLContext`` for ``params``, or ``None`` when ``sslmode=disable``.

    Raises ``OperationalError`` naming the file for missing or unusable certificate and key
    files.
    """
    if params.sslmode == "disable":
        return None
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    _set_protocol_versions(context, params)
    context.set_alpn_protocols([ALPN_PROTOCOL])

    if _load_trust(context, params):
        context.verify_mode = ssl.CERT_REQUIRED
        context.check_hostname = params.sslmode == "verify-full"
    if params.sslcertmode != "disable":
        _load_client_certificate(context, params)
    if params.sslcompression:  # libpq: ask for it (OpenSSL builds without it ignore this)
        context.options &= ~ssl.OP_NO_COMPRESSION
    keylog = params.values.get("sslkeylogfile")
    if keylog:
        context.keylog_filename = keylog
    return context


def _set_protocol_versions(context: ssl.SSLContext, params: ConnectParams) -> None:
    import ssl

    versions = {
        "TLSv1": ssl.TLSVersion.TLSv1,
        "TLSv1.1": ssl.TLSVersion.TLSv1_1,
        "TLSv1.2": ssl.TLSVersion.TLSv1_2,
        "TLSv1.3": ssl.TLSVersion.TLSv1_3,
    }
    context.minimum_version = (
        versions[params.ssl_min_protocol_version]
        if params.ssl_min_protocol_version
        else ssl.TLSVersion.MINIMUM_SUPPORTED
    )
    if params.ssl_max_protocol_version:
        context.maximum_version = versions[params.ssl_max_protocol_version]


def _load_trust(context: ssl.SSLContext, params: ConnectParams) -> bool:
    """Load the root certificates and CRLs; True when the server must be verified."""
    import ssl

    verify = params.sslmode in ("verify-ca", "verify-full")
    if params.sslrootcert == "system":
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
        return True
    root = params.sslrootcert or _default_file(params, "root.crt")
    if root is None:
        if verify:
            raise OperationalError(
                "could not get home directory to locate root certificate file\n" + _FIX_ROOT_CERT
            )
        return False
    if not os.path.exists(root):
        if verify:
            raise OperationalError(
                f'root certificate file "{root}" does not exist\n' + _FIX_ROOT_CERT
            )
        return False
    try:
        context.load_verify_locations(cafile=root)
    except (OSError, ssl.SSLError) as exc:
        raise OperationalError(f'could not read root certificate file "{root}": {exc}') from None
    crl = params.sslcrl or _default_file(params, "root.crl")
    crl_used = False
    if _exists(crl):
        try:
            context.load_verify_locations(cafile=crl)
        except (OSError, ssl.SSLError) as exc:
            raise OperationalError(
                f'could not load SSL certificate revocation list "{crl}": {exc}'
            ) from None
        crl_used = True
    if params.sslcrldir:
        context.load_verify_locations(capath=params.sslcrldir)
        crl_used = True
    if crl_used:
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN
    return True


def check_key_permissions(path: str) -> None:
    """libpq's rule: the key must be a regular file, not accessible to group or others (0600),
    except that a root-owned key may be group-readable (0640)."""
    try:
        status = os.stat(path)
    except OSError as exc:
        raise OperationalError(f'could not access private key file "{path}": {exc}') from None
    if not stat.S_ISREG(status.st_mode):
        raise OperationalError(f'private key file "{path}" is not a regular file')
    if sys.platform == "win32":
        return
    if status.st_uid == 0:
        forbidden = stat.S_IWGRP | stat.S_IXGRP | stat.S_IRWXO
    else:
        forbidden = stat.S_IRWXG | stat.S_IRWXO
    if status.st_mode & forbidden:
        raise OperationalError(
            f'private key file "{path}" has group or world access; file must have permissions '
            "u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) "
            "or less if owned by root"
        )


def _load_client_certificate(context: ssl.SSLContext, params: ConnectParams) -> None:
    import ssl

    certificate = params.sslcert or _default_file(params, "postgresql.crt")
    if certificate is None or not os.path.exists(certificate):
        return  # like libpq: no certificate file, no client certificate
    key = params.sslkey or _default_file(params, "postgresql.key")
    if key is None or not os.path.exists(key):
        raise OperationalError(f'certificate present, but not private key file "{key}"')
    check_key_permissions(key)
    password = params.sslpassword or ""
    try:
        # A callable, so that OpenSSL never prompts on a terminal for an encrypted key.
        context.load_cert_chain(certificate, key, password=lambda: password)
    except ssl.SSLError as exc:
        hint = (
            " (wrong or missing sslpassword?)"
            if "decrypt" in str(exc).lower() or ("bad password" in str(exc).lower())
            else ""
        )
        raise OperationalError(
            f'could not load client certificate "{certificate}" with private key "{key}": '
            f"{exc}{hint}"
        ) from None
    except OSError as exc:
        raise OperationalError(
            f'could not read client certificate "{certificate}" or key "{key}": {exc}'
        ) from None


def _is_ip_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def server_hostname(params: ConnectParams, host: HostAddress) -> str | None:
    """The ``server_hostname`` to give ``SSLContext.wrap_socket`` / ``wrap_bio`` for ``host``.

    It is the name Python checks with ``verify-full`` (an IP address is checked against IP
    address SANs) and sends as SNI when it is a name (never for IP addresses). ``None`` when
    neither applies: Unix sockets, ``sslsni=0`` without ``verify-full``, or only ``hostaddr``.
    """
    if host.is_unix_socket:
        return None
    name = host.host
    if params.sslmode == "verify-full":
        if not name:
            raise OperationalError(
                f"host name must be specified for a verified SSL connection (only hostaddr "
                f'"{host.hostaddr}" was given)'
            )
        return name
    if not name or not params.sslsni or _is_ip_address(name):
        return None
    return name


__all__ = [
    "ALPN_PROTOCOL",
    "check_key_permissions",
    "make_ssl_context",
    "mode_for_context",
    "server_hostname",
]
