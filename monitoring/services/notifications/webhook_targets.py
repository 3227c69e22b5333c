"""Which addresses a notification webhook may call.

A webhook URL is typed by a superuser but called by the worker, from inside the network the
service runs in: unchecked, it would let anyone who can set one make the worker POST to the
database host, an internal admin page or the cloud's metadata endpoint. So a webhook calls
only http(s) URLs whose host resolves to public addresses only (unless
``WEBHOOK_ALLOW_PRIVATE_TARGETS`` lets it call the local network too), and never a cloud
metadata endpoint.

The check runs when the URL is saved (a clear 400 early) and again at every delivery, on
the addresses the delivery then connects to: a name may resolve to something else by then
(DNS rebinding), so a delivery resolves once, checks every address, and connects to one of
those addresses itself.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Answer anyone who asks for the instance's credentials: never a webhook target, whatever
# the settings. AWS (IPv4, IPv6, ECS tasks), Azure's wire server, Alibaba Cloud; Google
# Cloud and most others use 169.254.169.254 too.
CLOUD_METADATA = frozenset(ipaddress.ip_address(address) for address in (
    "169.254.169.254", "fd00:ec2::254", "169.254.170.2", "168.63.129.16", "100.100.100.200",
))
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv6 addresses standing for IPv4 ones

# The first that applies names the kind of a refused address. Python's ``is_global`` alone
# misses multicast, so each kind is asked for explicitly.
NON_PUBLIC_KINDS = (
    ("a loopback address", lambda address: address.is_loopback),
    ("an unspecified address", lambda address: address.is_unspecified),
    ("a link-local address", lambda address: address.is_link_local),
    ("a multicast address", lambda address: address.is_multicast),
    ("a unique-local address", lambda address: address.version == 6 and address in UNIQUE_LOCAL),
    ("a reserved address", lambda address: address.is_reserved),
    ("a private address", lambda address: address.is_private),
    ("a non-public address", lambda address: not address.is_global),
)
SCHEMES = {"http": 80, "https": 443}


class TargetRefused(ValueError):
    """The URL may not be called; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect, and what to name in the request."""

    scheme: str
    host: str  # as written in the URL: the Host header and the TLS server name
    port: int
    request_target: str  # path and query, as sent on the request line
    addresses: tuple[IPAddress, ...]  # every one checked, in the resolver's order

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (IPv4-mapped, 6to4, NAT64), if any."""
    if address.version == 4:
        return None
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """What kind of address this is if a webhook may not call it, else None."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        kind = refusal(embedded, allow_private=allow_private)
        return None if kind is None else f"{kind} ({embedded})"
    if address in CLOUD_METADATA:
        return "a cloud metadata address"
    if allow_private:
        return None
    return next((kind for kind, applies in NON_PUBLIC_KINDS if applies(address)), None)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an address literal resolves to itself).
    Raises ``OSError`` (``socket.gaierror``) when it does not resolve."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(sockaddr[0]) for *_, sockaddr in found))


def _parse(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise TargetRefused("only http and https URLs are called")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("a user name or password in the URL is not sent; put a token in its path or query")
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError as exc:  # not a number, or out of range
        raise TargetRefused("the port is not a valid port number") from exc
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/?%:@!$&'()*+,;=-._~")
    return parts.scheme, parts.hostname, port, path + (f"?{query}" if query else "")


def _check(host: str, addresses: list[IPAddress], *, allow_private: bool) -> None:
    for address in addresses:
        kind = refusal(address, allow_private=allow_private)
        if kind is None:
            continue
        literal = len(addresses) == 1 and host == str(address)
        subject = f"{address} is" if literal else f"{host} resolves to {address},"
        reason = "webhooks never call it" if "metadata" in kind else "webhooks may only call public addresses"
        raise TargetRefused(f"{subject} {kind}; {reason}")


def checked_target(url: str, *, allow_private: bool) -> Target:
    """Resolve the URL's host once and check every address: what a delivery connects to.
    Raises ``TargetRefused``, or ``OSError`` when the name does not resolve."""
    scheme, host, port, request_target = _parse(url)
    addresses = resolve(host, port)
    _check(host, addresses, allow_private=allow_private)
    return Target(scheme, host, port, request_target, tuple(addresses))


def check_saved_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL that could not be called now. A name that does not resolve (yet) is
    accepted: every delivery checks again anyway."""
    try:
        checked_target(url, allow_private=allow_private)
    except (OSError, UnicodeError):  # does not resolve; TargetRefused goes through
        pass
