"""``requirepeer``: the user a Unix-socket server must run as, checked before startup."""

from __future__ import annotations

import platform
import socket
import struct
import sys

from purepg.errors import OperationalError

_PEER_CREDENTIALS = struct.Struct("3i")
"""Linux's ``struct ucred``: pid, uid, gid."""
_LINUX_SO_PEERCRED = 17
"""Its value in asm-generic/socket.h, for these machines (not mips, parisc, powerpc, sparc)."""
_GENERIC_ABI = frozenset({"x86_64", "i686", "aarch64", "armv7l", "riscv64", "s390x"})


def check_requirepeer(sock: socket.socket, requirepeer: str | None) -> None:
    """Refuse (and close ``sock``) a Unix-socket server whose process does not run as
    ``requirepeer`` (libpq's check and wording; over TCP, as in libpq, it does not apply)."""
    if not requirepeer or sock.family != socket.AF_UNIX:
        return
    try:
        _check_peer_user(sock, requirepeer)
    except OperationalError:
        sock.close()
        raise


def _peercred_option() -> int | None:
    """``SO_PEERCRED``; PyPy's socket module lacks the constant, so Linux's generic value."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None and sys.platform == "linux" and platform.machine() in _GENERIC_ABI:
        return _LINUX_SO_PEERCRED
    return option


def _check_peer_user(sock: socket.socket, requirepeer: str) -> None:
    option = _peercred_option()
    if option is None:
        raise OperationalError("requirepeer parameter is not supported on this platform")
    try:
        credentials = sock.getsockopt(socket.SOL_SOCKET, option, _PEER_CREDENTIALS.size)
    except OSError as exc:
        raise OperationalError(f"could not get peer credentials: {exc}") from None
    _, uid, _ = _PEER_CREDENTIALS.unpack(credentials)
    import pwd

    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        raise OperationalError(f"could not look up local user ID {uid}: no such user") from None
    if name != requirepeer:
        raise OperationalError(
            f'requirepeer specifies "{requirepeer}", but actual peer user name is "{name}"'
        )
