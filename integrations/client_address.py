"""The address of the client behind an HTTP request, through the proxies the operator trusts.

``X-Forwarded-For`` is whatever the sender wrote, so it is read only when the connection comes
from a trusted proxy, and then from the right: each trusted proxy appended the address it saw,
and the first address that is not a trusted proxy is the client's. Anything a client wrote
further left is ignored, so no one escapes a per-address limit by naming another address.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from aiohttp import web

Networks = Sequence[IPv4Network | IPv6Network]


def _trusted(address: str, proxies: Networks) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in proxies)


def client_address(request: web.Request, proxies: Networks) -> str | None:
    """The client's address: the peer's, or the one a trusted proxy says it saw."""
    address = request.remote
    if address is None or not _trusted(address, proxies):
        return address
    hops = ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")
    for hop in reversed([h.strip() for h in hops if h.strip()]):
        try:
            ip_address(hop)
        except ValueError:
            break  # a proxy wrote nothing readable here: the last trusted hop is all we know
        address = hop
        if not _trusted(hop, proxies):
            break
    return address
