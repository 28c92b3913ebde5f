"""Which addresses are local, and the socket peer of a request, cheaply."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Final

from aiohttp import web

from hearth.http.keys import KEY_CONFIG
from hearth.http.view import client_ip

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

# Loopback, RFC 1918, CGNAT (RFC 6598), link-local and unique local (RFC 4193) networks.
LOCAL_NETWORKS: Final[tuple[IPNetwork, ...]] = tuple(
    ip_network(text)
    for text in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)

_CACHE_LIMIT: Final = 4096
_UNKNOWN_PEER: Final = IPv6Address("::")


def normalize(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it stands for."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_networks(values: Iterable[str | IPNetwork]) -> tuple[IPNetwork, ...]:
    """Networks from configuration values (validated by the schema; a bare address is a /32)."""
    return tuple(
        value if isinstance(value, IPv4Network | IPv6Network) else ip_network(value)
        for value in values
    )


class NetworkSet:
    """A fixed set of networks with a memo of recent answers: `address in networks` in O(1)."""

    __slots__ = ("_memo", "_v4", "_v6")

    def __init__(self, networks: Iterable[IPNetwork] = ()) -> None:
        unique = tuple(dict.fromkeys(networks))
        self._v4 = tuple(net for net in unique if isinstance(net, IPv4Network))
        self._v6 = tuple(net for net in unique if isinstance(net, IPv6Network))
        self._memo: dict[IPAddress, bool] = {}

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, IPv4Address | IPv6Address):
            return False
        found = self._memo.get(address)
        if found is None:
            networks: tuple[IPNetwork, ...] = (
                self._v4 if isinstance(address, IPv4Address) else self._v6
            )
            found = any(address in net for net in networks)
            # Bounded memory: a flood of distinct addresses only resets the memo.
            if len(self._memo) >= _CACHE_LIMIT:
                self._memo.clear()
            self._memo[address] = found
        return found

    def __bool__(self) -> bool:
        return bool(self._v4 or self._v6)

    @property
    def networks(self) -> tuple[IPNetwork, ...]:
        """The networks, IPv4 first."""
        return self._v4 + self._v6


def local_networks(extra: Iterable[str | IPNetwork] = ()) -> NetworkSet:
    """The built-in local networks plus `extra` (`http: local_networks`)."""
    return NetworkSet((*LOCAL_NETWORKS, *parse_networks(extra)))


_DEFAULT_LOCAL: Final = local_networks()


def is_local(address: IPAddress, extra_networks: Iterable[str | IPNetwork] = ()) -> bool:
    """Whether `address` is loopback, private, link-local, CGNAT, ULA or in `extra_networks`."""
    address = normalize(address)
    if address in _DEFAULT_LOCAL:
        return True
    return any(address in net for net in parse_networks(extra_networks))


@lru_cache(maxsize=16)
def _local_networks_for(extra: tuple[str, ...]) -> NetworkSet:
    return local_networks(extra)


def request_is_local(request: web.Request) -> bool:
    """Whether the real client of `request` (after trusted proxies) is on a local network."""
    config = request.app.get(KEY_CONFIG)
    extra = tuple(config.http.local_networks) if config is not None else ()
    return client_ip(request) in _local_networks_for(extra)


@lru_cache(maxsize=_CACHE_LIMIT)
def parse_address(text: str) -> IPAddress | None:
    """`text` as a normalized address, or None. Memoised: the same clients come back and back."""
    try:
        return normalize(ip_address(text))
    except ValueError:
        return None


def peer_address(peername: object) -> IPAddress:
    """The address in a transport's `peername` (`::` when there is none: never local)."""
    if isinstance(peername, tuple) and peername and isinstance(peername[0], str):
        return parse_address(peername[0]) or _UNKNOWN_PEER
    return _UNKNOWN_PEER


def peer_ip(request: web.BaseRequest) -> IPAddress:
    """The socket peer of `request`: the client itself, or the proxy that relayed it."""
    transport = request.transport
    return peer_address(transport.get_extra_info("peername") if transport is not None else None)
