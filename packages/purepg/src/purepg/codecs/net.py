"""inet / cidr <-> ipaddress: addresses, interfaces (address with a prefix), networks."""

from __future__ import annotations

from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
    ip_interface,
    ip_network,
)
from typing import Union

from purepg.codecs import oids
from purepg.codecs.registry import Encoded
from purepg.errors import DataError

Address = Union[IPv4Address, IPv6Address]
Interface = Union[IPv4Interface, IPv6Interface]
Network = Union[IPv4Network, IPv6Network]

_AF_INET, _AF_INET6 = 2, 3  # PostgreSQL's own family codes in the binary format


def encode_inet(value: Address | Interface) -> Encoded:
    """Addresses and interfaces as inet."""
    return (oids.INET, 0, str(value).encode())


def encode_cidr(value: Network) -> Encoded:
    """Networks as cidr."""
    return (oids.CIDR, 0, str(value).encode())


def decode_inet_text(data: bytes) -> Interface:
    """inet text ('10.0.0.1' or '10.0.0.1/8'): always an interface, a host being a /32 or /128.

    One Python type per column type, as psycopg2's ``register_ipaddress`` does.
    """
    return ip_interface(data.decode())


def decode_cidr_text(data: bytes) -> Network:
    """cidr text: always 'network/prefix'."""
    return ip_network(data.decode())


def _split_binary(data: bytes) -> tuple[Address, int]:
    if len(data) < 4:
        raise DataError(f"truncated inet binary value: {bytes(data)!r}")
    family, bits, _is_cidr, size = data[0], data[1], data[2], data[3]
    raw = bytes(data[4 : 4 + size])
    if len(data) != 4 + size:
        raise DataError(f"truncated inet binary value: {bytes(data)!r}")
    if family == _AF_INET and size == 4:
        return IPv4Address(raw), bits
    if family == _AF_INET6 and size == 16:
        return IPv6Address(raw), bits
    raise DataError(f"invalid inet binary value (family {family}, {size} address bytes)")


def decode_inet_binary(data: bytes) -> Interface:
    """inet binary: family, prefix bits, is-cidr flag, address length, address."""
    address, bits = _split_binary(data)
    return ip_interface((address, bits))


def decode_cidr_binary(data: bytes) -> Network:
    """cidr binary: as inet, host bits zero."""
    address, bits = _split_binary(data)
    return ip_network((address, bits))
