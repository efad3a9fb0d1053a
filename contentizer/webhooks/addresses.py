"""Which addresses webhooks may reach: public ones only, unless the operator says otherwise.

Loopback, private, link-local, multicast, reserved, unspecified and every other non-global
address is refused, IPv4 and IPv6 alike, including the IPv6 forms that carry an IPv4 address
(IPv4-mapped, 6to4, Teredo, NAT64), so a webhook URL cannot be used to probe the internal
network. An address keeps its meaning with a trailing dot (`127.0.0.1.`, as browsers and
resolvers read it). A host carrying `%` (an IPv6 zone id such as `[fe80::1%25eth0]`, which names a
network interface, or an escaped character) is refused whatever the operator allows: no delivery
could honour it. `WEBHOOK_ALLOW_PRIVATE` (an operator setting) lifts the rule, e.g. for
receivers on the same machine.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# In this order: a link-local or loopback address is "private" to Python too, but the more
# precise word tells the user more.
_KINDS = (("is_unspecified", "an unspecified"), ("is_loopback", "a loopback"), ("is_link_local", "a link-local"),
          ("is_multicast", "a multicast"), ("is_private", "a private"), ("is_reserved", "a reserved"))


class AddressRefused(Exception):
    """The host is, or resolves to, an address webhooks may not reach."""


class Unresolvable(Exception):
    """The host name does not resolve (now): worth another try later."""


def _embedded(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if mapped := address.ipv4_mapped or address.sixtofour:
        return mapped
    if address.teredo:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why `address` may not be reached (a sentence), or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and (inner := _embedded(address)) is not None:
        if reason := refusal(inner):
            return f"{address} carries {reason}"
    for test, kind in _KINDS:
        if getattr(address, test):
            return f"{address} is {kind} address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def unusable(host: str) -> str | None:
    """Why a host can never receive webhooks, whatever the operator allows (a sentence), or None."""
    if "%" in host:
        return (f"{host} carries '%' (an IPv6 zone id, which names a network interface, or an escaped "
                "character); name the receiver by its public address or host name")
    return None


def literal(host: str) -> IPAddress | None:
    """The address a host names without any DNS lookup (IPv6, or IPv4 in any form the resolver
    accepts, such as 2130706433 or 0x7f.1, also with the trailing dot of an absolute name), or
    None for a host name."""
    try:
        infos = socket.getaddrinfo(host.rstrip("."), None, proto=socket.IPPROTO_TCP, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return ipaddress.ip_address(infos[0][4][0].split("%")[0])


def is_local_name(host: str) -> bool:
    """Names that always mean this machine (RFC 6761), whatever a resolver says."""
    host = host.rstrip(".").lower()
    return host == "localhost" or host.endswith(".localhost")


Resolver = Callable[..., list]


def resolve(host: str, port: int, *, allow_private: bool, resolver: Resolver | None = None) -> list[IPAddress]:
    """Every address `host` resolves to; if any of them is refused, the host is refused (a name
    with one public and one private address must not reach the private one by chance). An
    address is taken as it is written, without asking a resolver."""
    if reason := unusable(host):
        raise AddressRefused(f"{reason}; webhooks only reach public addresses.")
    if (address := literal(host)) is not None:
        addresses = [address]
    else:
        addresses = _lookup(host, port, resolver or socket.getaddrinfo)
    if not allow_private:
        for address in addresses:
            if reason := refusal(address):
                raise AddressRefused(f"{host} resolves to {reason}; webhooks only reach public addresses.")
    return addresses


def _lookup(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"{host} does not resolve ({getattr(exc, 'strerror', None) or exc}).") from exc
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    if not addresses:
        raise Unresolvable(f"{host} does not resolve.")
    return addresses
