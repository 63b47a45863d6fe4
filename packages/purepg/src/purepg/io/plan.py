"""Which server to try next, and whether a session suits ``target_session_attrs`` (no I/O).

Shared by the blocking and asyncio transports; queries that are needed (on PostgreSQL < 14,
which does not report ``in_hot_standby``) go through the ``query`` callback they pass in.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Callable

from purepg.errors import Error, InterfaceError, OperationalError

if TYPE_CHECKING:
    from purepg.conninfo import ConnectParams, HostAddress

# Errors that end connecting at once instead of trying the next address or sslmode.
FINAL_ERRORS = (InterfaceError,)


def resolvable(name: str) -> str | bytes:
    """``name`` as ``getaddrinfo`` should get it: an ASCII name as bytes, which skips Python's
    IDNA codec (importing it costs a cold start 1-2 ms); any other name as text."""
    return name.encode("ascii") if name.isascii() else name


def unresolvable(target: str, exc: OSError) -> OperationalError:
    """The error for a host name that name resolution failed on (libpq's wording)."""
    return OperationalError(f'could not translate host name "{target}" to address: {exc}')


def address_failure(host: HostAddress, address: Any, why: object) -> str:
    """One line of a failed connect: which address of ``host`` and why (libpq's wording)."""
    shown = f'"{host.host}" ({address[0]})' if host.host else str(address[0])
    return f"connection to server at {shown}, port {host.port} failed: {why}"


def no_address_worked(failures: list[str], target: str) -> OperationalError:
    """The error once every address of ``target`` failed: one line per address."""
    return OperationalError("\n".join(failures) or f"no address for {target}")


def shuffle(items: list[Any]) -> None:
    """Random order for ``load_balance_hosts=random``."""
    import random

    random.shuffle(items)


def tls_attempts(host: HostAddress, params: ConnectParams) -> list[str]:
    """ "tls" / "plain" in the order ``sslmode`` tries them on one server (libpq's fallbacks)."""
    sslmode = params.sslmode
    if host.is_unix_socket or sslmode == "disable":
        return ["plain"]
    if sslmode == "allow":
        return ["plain", "tls"]
    if sslmode == "prefer":
        return ["tls", "plain"]
    return ["tls"]


def host_attempts(params: ConnectParams) -> Iterator[tuple[HostAddress, str]]:
    """(server, required session kind) in the order libpq tries them.

    ``prefer-standby`` first looks for a standby among all servers, then accepts any.
    """
    hosts = list(params.hosts)
    if params.load_balance_hosts == "random":
        shuffle(hosts)
    wanted = params.target_session_attrs
    if wanted == "prefer-standby":
        for host in hosts:
            yield host, "standby"
        wanted = "any"
    for host in hosts:
        yield host, wanted


def session_facts(parameters: Mapping[str, str], query: Callable[[str], str]) -> dict[str, bool]:
    """Whether the session is read-only and whether the server is a hot standby.

    PostgreSQL 14+ reports ``default_transaction_read_only`` and ``in_hot_standby``; older
    servers are asked (``SHOW transaction_read_only``, ``pg_is_in_recovery()``).
    """
    if "in_hot_standby" in parameters:
        standby = parameters["in_hot_standby"] == "on"
    else:
        standby = query("SELECT pg_catalog.pg_is_in_recovery()") in ("t", "true", "on")
    if "default_transaction_read_only" in parameters:
        read_only = standby or parameters["default_transaction_read_only"] == "on"
    else:
        read_only = query("SHOW transaction_read_only") == "on"
    return {"read_only": read_only, "standby": standby}


def check_session(wanted: str, facts: Mapping[str, bool], host: HostAddress) -> Error | None:
    """None if the session fits ``wanted`` (a target_session_attrs value), else the refusal."""
    problem = None
    if wanted == "read-write" and facts["read_only"]:
        problem = "session is read-only"
    elif wanted == "read-only" and not facts["read_only"]:
        problem = "session is not read-only"
    elif wanted == "primary" and facts["standby"]:
        problem = "server is in hot standby mode"
    elif wanted == "standby" and not facts["standby"]:
        problem = "server is not in hot standby mode"
    if problem is None:
        return None
    return OperationalError(f"connection to server {host.display} failed: {problem}")


def combined_error(failures: list[Error]) -> Error:
    """One error for a failed connect: the first failure's class, every failure's message."""
    if not failures:
        return OperationalError("no host to connect to")
    first = failures[0]
    if len(failures) == 1:
        return first
    text = "\n".join(str(failure) for failure in failures)
    error = type(first)(text, fields=first.fields)
    return error


def deadline(timeout: float | None) -> float | None:
    """The ``time.monotonic()`` ``timeout`` seconds from now (None: no timeout)."""
    return None if timeout is None else time.monotonic() + timeout


def remaining(until: float | None) -> float | None:
    """Seconds left until ``until`` (a `deadline`), at least a tiny positive wait; None: no
    limit."""
    return None if until is None else max(until - time.monotonic(), 0.001)


def timed_out(host: HostAddress) -> OperationalError:
    """The error once ``connect_timeout`` ran out for ``host`` (libpq's wording)."""
    return OperationalError(f"connection to server {host.display} failed: timeout expired")
