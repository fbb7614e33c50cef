"""`[web] trusted_proxies`: who the client is behind the TLS proxy, and whether it came
over TLS. X-Forwarded-For and X-Forwarded-Proto are believed only from the proxies
named; from anyone else they are ignored (a client could otherwise pick its address,
and with it a fresh sign-in limit, by sending the header itself)."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from i18n import _

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def parse_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    """Addresses or networks (`10.0.0.5`, `10.0.0.0/8`, `::1`); ValueError names a bad one."""
    found = []
    for entry in entries:
        try:
            found.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                _("{entry!r} is not an address or a network").format(entry=entry)
            ) from None
    return tuple(found)


def _trusted(address: str | None, networks: tuple[Network, ...]) -> bool:
    if address is None:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(
    peer: str | None, forwarded_for: str, networks: tuple[Network, ...]
) -> str | None:
    """The client's address: the peer's, or, from a trusted proxy, the last address of
    X-Forwarded-For that is not itself a trusted proxy (the nearest hop nobody trusted
    could have written)."""
    if not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",")]
    client = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage: the last good hop stands
        client = hop
        if not _trusted(hop, networks):
            break
    return client


def forwarded(networks: tuple[Network, ...]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware that rewrites a request from a trusted proxy to its client's address
    and scheme (so `request.remote` and `request.secure` tell the truth)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not networks or not _trusted(request.remote, networks):
            return await handler(request)
        forwarded_for = request.headers.get("X-Forwarded-For", "")
        remote = client_address(request.remote, forwarded_for, networks) or "?"
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
        scheme = proto if proto in ("http", "https") else request.scheme
        return await handler(request.clone(remote=remote, scheme=scheme))

    return middleware
