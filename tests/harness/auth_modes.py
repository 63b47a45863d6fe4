"""The authentication modes every driver is tested in: roles, pg_hba.conf lines, client params.

Each mode has its own role so that one pg_hba.conf serves them all at once. Client parameters
are libpq keywords (``dict[str, str]``) that any driver's ``connect(**params)`` accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.harness.certs import PKI

# libpq keyword arguments. Values are strings; typed as Any so they splat into any driver's
# typed connect() signature (psycopg2, purepg and pgfacade all take extra typed keywords).
Params = dict[str, Any]

ADMIN_ROLE = "postgres"


@dataclass(frozen=True)
class AuthMode:
    """How one mode authenticates: server side (role, hba) and client side (TLS, secrets)."""

    name: str
    role: str
    hba_method: str
    password: str | None = None
    stored_as: str = "scram-sha-256"
    """``password_encryption`` in force when the role's password is set (md5 or scram-sha-256)."""
    sslmode: str = "disable"
    hostssl: bool = False
    """The hba line only accepts TLS connections."""
    verify_server: bool = False
    """The client checks the server certificate against the test CA (``sslrootcert``)."""
    client_cert: bool = False
    channel_binding: bool = False


_MODES = (
    AuthMode("trust", role="trust_user", hba_method="trust"),
    AuthMode("password", role="password_user", hba_method="password", password="password-secret"),
    AuthMode("md5", role="md5_user", hba_method="md5", password="md5-secret", stored_as="md5"),
    AuthMode(
        "scram-sha-256", role="scram_user", hba_method="scram-sha-256", password="scram-secret"
    ),
    AuthMode(
        "scram-sha-256-plus",
        role="scram_plus_user",
        hba_method="scram-sha-256",
        password="scram-plus-secret",
        sslmode="require",
        hostssl=True,
        channel_binding=True,
    ),
    AuthMode(
        "cert",
        role="cert_user",
        hba_method="cert",
        sslmode="verify-full",
        hostssl=True,
        verify_server=True,
        client_cert=True,
    ),
    AuthMode(
        "verify-full",
        role="verify_full_user",
        hba_method="scram-sha-256",
        password="verify-full-secret",
        sslmode="verify-full",
        hostssl=True,
        verify_server=True,
    ),
)

MODES: dict[str, AuthMode] = {mode.name: mode for mode in _MODES}
AUTH_MODES: tuple[str, ...] = tuple(MODES)
"""The modes of every cluster (``auth_mode`` runs over them)."""

GSS = "gss"
GSS_MODE = AuthMode(GSS, role="gss_user", hba_method="gss")
"""Kerberos: only on the GSS cluster (``tests.harness.kerberos``), whose server has GSSAPI."""
MATRIX_MODES: tuple[str, ...] = (*AUTH_MODES, GSS)
"""The auth mode columns of the results matrix."""


def get_mode(name: str) -> AuthMode:
    """The mode called ``name``; an unknown name raises ``ValueError`` listing the known ones."""
    try:
        return MODES[name]
    except KeyError:
        raise ValueError(f"unknown auth mode {name!r}; known: {', '.join(AUTH_MODES)}") from None


def hba_lines() -> list[str]:
    """pg_hba.conf: the admin over the Unix socket with trust, then one line per mode's role."""
    lines = [f"local all {ADMIN_ROLE} trust"]
    for mode in _MODES:
        kind = "hostssl" if mode.hostssl else "host"
        options = " clientcert=verify-full" if mode.client_cert else ""
        lines.append(f"{kind} all {mode.role} 127.0.0.1/32 {mode.hba_method}{options}")
    return lines


def gss_hba_line(realm: str) -> str:
    """The ``gss`` mode's line: the principal ``gss_user@<realm>`` logs in as ``gss_user``."""
    role = GSS_MODE.role
    return f"host all {role} 127.0.0.1/32 gss include_realm=0 krb_realm={realm}"


def gss_client_params(*, host: str, port: int, dbname: str) -> Params:
    """libpq keywords of the ``gss`` mode: no password; ``host`` names the service principal."""
    return {
        "host": host,
        "port": str(port),
        "dbname": dbname,
        "user": GSS_MODE.role,
        "sslmode": "disable",
        "krbsrvname": "postgres",
    }


def role_statements() -> list[str]:
    """SQL (one statement per line) creating every mode's role with its password storage."""
    from purepg.sql import quote_identifier, quote_literal

    statements = []
    for mode in _MODES:
        statements.append(f"SET password_encryption = {quote_literal(mode.stored_as)}")
        password = "" if mode.password is None else f" PASSWORD {quote_literal(mode.password)}"
        statements.append(f"CREATE ROLE {quote_identifier(mode.role)} LOGIN{password}")
    statements.append("RESET password_encryption")
    return statements


def client_params(name: str, *, host: str, port: int, dbname: str, pki: PKI) -> Params:
    """libpq keywords that connect as mode ``name``'s role in that mode."""
    mode = get_mode(name)
    params = {
        "host": host,
        "port": str(port),
        "dbname": dbname,
        "user": mode.role,
        "sslmode": mode.sslmode,
    }
    if mode.password is not None:
        params["password"] = mode.password
    if mode.verify_server:
        params["sslrootcert"] = str(pki.ca_cert)
    if mode.client_cert:
        client = pki.client(mode.role)
        params["sslcert"] = str(client.cert)
        params["sslkey"] = str(client.key)
    if mode.channel_binding:
        params["channel_binding"] = "require"
    return params


# Negative cases: each takes a mode's params and returns a copy that must fail to connect.


def with_wrong_password(params: Params) -> Params:
    """The same params with a password the server does not accept."""
    return {**params, "password": params.get("password", "") + "-wrong"}


def with_untrusted_client_cert(params: Params, pki: PKI) -> Params:
    """A client certificate with the right CN but signed by the untrusted CA."""
    client = pki.untrusted_client(params["user"])
    return {**params, "sslcert": str(client.cert), "sslkey": str(client.key)}


def without_client_cert(params: Params) -> Params:
    """The same params without any client certificate."""
    return {key: value for key, value in params.items() if key not in ("sslcert", "sslkey")}


def with_unverifiable_server(params: Params, pki: PKI) -> Params:
    """verify-full against the untrusted CA: the server certificate must fail verification."""
    return {**params, "sslmode": "verify-full", "sslrootcert": str(pki.untrusted_ca_cert)}
