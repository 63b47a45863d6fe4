"""How to connect, shared by the blocking and asyncio transports (no I/O): which server and
which encryption to try next, the TLS context of an attempt, what the server's answers to
SSLRequest mean, whether a session suits ``target_session_attrs``, and libpq's wording of
every failure. The transports only open sockets and move bytes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from purepg.errors import Error, InterfaceError, OperationalError

if TYPE_CHECKING:
    import socket
    import ssl

    from purepg.conninfo import ConnectParams, HostAddress
    from purepg.protocol.machine import Machine

# Errors that end connecting at once instead of trying the next address or sslmode.
FINAL_ERRORS = (InterfaceError,)


def resolvable(name: str) -> str | bytes:
    """``name`` as ``getaddrinfo`` should get it: an ASCII name as bytes, which skips Python's
    IDNA codec (importing it costs a cold start 1-2 ms); any other name as text."""
    return name.encode("ascii") if name.isascii() else name


def unresolvable(target: str, exc: OSError) -> OperationalError:
    """The error for a host name that name resolution failed on (libpq's wording)."""
    return OperationalError(f'could not translate host name "{target}" to address: {exc}')


def addresses(host: HostAddress, params: ConnectParams) -> list[Any]:
    """The addresses to try for ``host`` (its ``hostaddr``, else its name resolved), in the
    order ``load_balance_hosts`` asks for; libpq's error when the name does not resolve.
    (Blocking: the asyncio transport runs it in the loop's executor, as asyncio's own
    ``getaddrinfo`` does.)"""
    import socket

    target = host.hostaddr or host.host
    try:
        infos = socket.getaddrinfo(resolvable(target), host.port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise unresolvable(target, exc) from None
    if params.load_balance_hosts == "random":
        shuffle(infos)
    return infos


def address_failure(host: HostAddress, address: Any, exc: BaseException) -> str:
    """One line of a failed connect: which address of ``host`` and why (libpq's wording)."""
    shown = f'"{host.host}" ({address[0]})' if host.host else str(address[0])
    return f"connection to server at {shown}, port {host.port} failed: {reason(exc)}"


def is_timeout(exc: BaseException) -> bool:
    """True for the timeouts of sockets and of asyncio (distinct classes before Python 3.11)."""
    return isinstance(exc, TimeoutError) or type(exc).__name__ in ("timeout", "TimeoutError")


def reason(exc: BaseException) -> object:
    """Why a socket operation failed, as libpq words it: "timeout expired", else the OS's
    message."""
    if is_timeout(exc):
        return "timeout expired"
    return getattr(exc, "strerror", None) or exc


def no_address_worked(failures: list[str], host: HostAddress) -> OperationalError:
    """The error once every address of ``host`` failed: one line per address."""
    target = host.hostaddr or host.host
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


def unix_socket_failure(host: HostAddress, exc: BaseException) -> OperationalError:
    """The error when connecting to the Unix socket of ``host`` failed (libpq's wording)."""
    path = host.socket_path.replace("\0", "@")
    return OperationalError(f'connection to server on socket "{path}" failed: {reason(exc)}')


def set_keepalives(sock: socket.socket, params: ConnectParams) -> None:
    """TCP options following the ``keepalives*`` and ``tcp_user_timeout`` keywords (libpq:
    ``tcp_user_timeout`` applies with or without keepalives); Nagle off, as libpq."""
    import socket

    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    options = [("tcp_user_timeout", "TCP_USER_TIMEOUT", params.tcp_user_timeout)]
    if params.keepalives:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        options += [
            ("keepalives_idle", "TCP_KEEPIDLE", params.keepalives_idle),
            ("keepalives_interval", "TCP_KEEPINTVL", params.keepalives_interval),
            ("keepalives_count", "TCP_KEEPCNT", params.keepalives_count),
        ]
    for keyword, name, value in options:
        if value is None:
            continue
        option = getattr(socket, name, None)
        if option is None:
            sock.close()
            raise OperationalError(f"{keyword} is not supported on this platform ({name})")
        try:
            sock.setsockopt(socket.IPPROTO_TCP, option, max(value, 0))
        except OSError as exc:
            sock.close()
            raise OperationalError(f"setsockopt({name}) failed: {exc.strerror or exc}") from None


def tls_context(params: ConnectParams, ssl_context: ssl.SSLContext | None) -> ssl.SSLContext:
    """The context of a TLS attempt: ``ssl_context``, or one built from the ``ssl*`` keywords;
    ALPN ``postgresql`` for ``sslnegotiation=direct``; watched for ``sslcertmode=require``."""
    context = ssl_context
    if context is None:
        from purepg import tls

        context = tls.make_ssl_context(params)
        if context is None:
            raise InterfaceError(f"no SSL context for sslmode={params.sslmode}")
    if params.sslnegotiation == "direct":
        context.set_alpn_protocols(["postgresql"])
    if params.sslcertmode == "require":
        from purepg import certmode

        certmode.watch(context)
    return context


def tls_agreed(host: HostAddress, params: ConnectParams, answer: bytes) -> bool:
    """The server's one-byte answer to SSLRequest: True for TLS ('S'); False for 'N' when
    ``sslmode`` lets the session go on in plain text; otherwise the error, raised."""
    if answer == b"S":
        return True
    if answer == b"E":
        raise OperationalError(
            f"server {host.display} answered the SSLRequest with an error: it does not support SSL"
        )
    if answer != b"N":
        raise OperationalError(
            f"server {host.display} sent an invalid response to the SSLRequest: {answer!r}"
        )
    if params.sslmode not in ("allow", "prefer"):
        raise OperationalError(
            f"connection to server {host.display} failed: server does not support SSL, but "
            "SSL was required"
        )
    return False


def attempt_failure(host: HostAddress, exc: BaseException) -> Error:
    """The error of one failed attempt on ``host`` (the next address or sslmode is tried);
    raised at once when it is final (a programming error)."""
    if isinstance(exc, Error):
        error: Error = exc
    elif is_timeout(exc):
        error = timed_out(host)
    else:
        error = OperationalError(f"connection to server {host.display} failed: {exc}")
    if isinstance(error, FINAL_ERRORS):
        raise error from None
    return error


def cancel_request(machine: Machine) -> bytes:
    """The CancelRequest packet of this session (its process id and secret key)."""
    from purepg.protocol import messages

    if machine.backend_pid is None or machine.backend_key is None:
        raise InterfaceError("the server sent no BackendKeyData: cannot cancel")
    return messages.cancel_request(machine.backend_pid, machine.backend_key)


def cancel_failed(exc: BaseException) -> OperationalError:
    """The error when the cancel request could not be delivered."""
    return OperationalError(f"could not send the cancel request: {exc}")


def tls_failure(host: HostAddress, exc: BaseException, until: float | None) -> OperationalError:
    """The error of a failed TLS handshake with ``host``: the certificate check, the
    ``connect_timeout`` (``until``) running out, or what the TLS layer said."""
    import ssl

    if isinstance(exc, ssl.SSLCertVerificationError):
        return OperationalError(
            f"connection to server {host.display} failed: SSL error: certificate verify "
            f"failed: {exc.verify_message or exc}"
        )
    if is_timeout(exc) or (until is not None and time.monotonic() >= until):
        return timed_out(host)
    return OperationalError(f"SSL connection to server {host.display} failed: {exc}")
