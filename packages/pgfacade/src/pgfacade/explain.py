"""Connection failures explained in the user's terms: what pgfacade decided on their behalf
and what to set instead. Imported only when a connection fails (not on the cold-start path)."""

from __future__ import annotations

from .settings import names_a_server, target_hosts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from purepg import errors

NO_HOST = "no host configured: set PGHOST, DATABASE_URL or secret_id (or pass host=)"


def no_host_configured(cause: BaseException | None = None) -> errors.OperationalError:
    """The error for a connection with nothing that names a server.

    In AWS Lambda (``cause`` None) nothing is tried: no server listens on a local socket there.
    Elsewhere libpq's default Unix socket was tried and failed with ``cause``."""
    from purepg import errors

    if cause is None:
        return errors.OperationalError(
            f"{NO_HOST}; in AWS Lambda there is no local server for libpq's default Unix socket"
        )
    return errors.OperationalError(f"{NO_HOST}; the default Unix socket failed: {cause}")


def is_certificate_failure(exc: BaseException) -> bool:
    """``exc`` is a failed server-certificate check or a missing root certificate file."""
    return "certificate" in str(exc).lower()


def why_it_failed(exc: Exception, params: Mapping[str, str], chose_tls: bool) -> Exception:
    """``exc``, or an error of the same class and fields that also says what pgfacade chose
    for the user (``sslmode=verify-full``) or what is missing (a host)."""
    from purepg import errors

    if not isinstance(exc, errors.OperationalError):
        return exc
    if not names_a_server(params) and exc.sqlstate is None:  # no server answered
        return no_host_configured(exc)
    if chose_tls and is_certificate_failure(exc):
        hosts = ",".join(target_hosts(params))
        message = (
            f"{exc}\npgfacade chose sslmode=verify-full because the host ({hosts}) is not "
            "local. Pass sslrootcert= the CA bundle that signed the server's certificate "
            "(AWS RDS: global-bundle.pem; sslrootcert=system: the system's trusted roots), "
            "or set sslmode yourself (argument, DSN or PGSSLMODE), e.g. sslmode=require to "
            "encrypt without verifying the server."
        )
        return type(exc)(message, fields=exc.fields)
    return exc
