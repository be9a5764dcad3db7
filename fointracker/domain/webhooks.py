"""Where a campaign's webhook may point. Pure module: the caller resolves the name.

A coordinator types the webhook's address and the reminder sweep POSTs to it from inside the
network, so an address on the machine itself or on the internal network would let anyone who
runs a campaign probe (and write to) internal services: server-side request forgery. Only
HTTP(S) to public internet addresses is allowed, and every address the name resolves to must be
one (IPv4 and IPv6, an IPv4 address inside an IPv6 one included), unless an admin allows the
host by name in configuration (`WEBHOOK_ALLOWED_HOSTS`), e.g. a chat server on the intranet.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

SCHEMES = {"http": 80, "https": 443}


class WebhookRefused(ValueError):
    """The address may not be used as a webhook; the message says why, as a sentence for the form."""


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str  # http or https
    host: str  # lower case; an IPv6 address without its brackets
    port: int
    path: str  # path and query, what the request line asks for

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"


def parse_webhook_url(url: str) -> WebhookTarget:
    """The parts of a webhook address, or WebhookRefused for one that is not plain HTTP(S)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebhookRefused(f"the webhook address cannot be read ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise WebhookRefused("the webhook address must start with https:// (or http://)")
    if not parts.hostname:
        raise WebhookRefused("the webhook address has no host name")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused("the webhook address may not carry a user name or password before the host")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(scheme, parts.hostname.lower().rstrip("."), port or SCHEMES[scheme], path)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (IPv4-mapped, 6to4, Teredo's client), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_problem(address: str) -> str | None:
    """Why a webhook may not be sent to this IP address (a sentence), or None for a public one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope ("fe80::1%eth0") is no help
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            problem = address_problem(str(embedded))
            if problem:
                return f"{address} carries {problem}"
            if ip.ipv4_mapped is not None:
                return None  # just another way to write a public IPv4 address
    for flag, what in (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address (this machine)"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private (internal network) address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(ip, flag):
            return f"{ip} is {what}"
    if not ip.is_global:
        return f"{ip} is not a public internet address"
    return None


def host_allowed(host: str, allowed_hosts: Iterable[str]) -> bool:
    """Whether an admin allowed this host by name (case-insensitive; an IPv6 address without brackets)."""
    wanted = host.lower().strip("[]").rstrip(".")
    return any(wanted == name.strip().lower().strip("[]").rstrip(".") for name in allowed_hosts if name.strip())


def check_addresses(target: WebhookTarget, addresses: Iterable[str], allowed_hosts: Iterable[str]) -> None:
    """WebhookRefused unless the host is allowed by name or every address it resolved to is public."""
    if host_allowed(target.host, allowed_hosts):
        return
    addresses = list(addresses)
    if not addresses:
        raise WebhookRefused(f"the webhook's host {target.host} has no address")
    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise WebhookRefused(
                f"the webhook's host {target.host} is not on the public internet: {problem} "
                "(an admin can allow an internal host in WEBHOOK_ALLOWED_HOSTS)"
            )


def allowed_hosts_setting(value) -> tuple[str, ...]:
    """WEBHOOK_ALLOWED_HOSTS as configured: a list, or one string of names separated by commas or spaces."""
    if not value:
        return ()
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return tuple(str(name).strip() for name in value if str(name).strip())
