"""How widely the network keys may trust: the rules that refuse or warn about dangerous settings.

Each key that trusts addresses defeats a protection for the addresses it lists: proxies may
pick the client address the hub sees, allow-listed clients are never banned, local networks pass
the remote-access guard, trusted networks log in without a password. Public address space may
therefore appear only as narrowly as the key needs (docs/configuration.md, "Network safety").
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from hearth.config.paths import KeyPath
    from hearth.config.schema import HttpSection

IPNetwork = IPv4Network | IPv6Network

# A proxy or an allow-listed client is one machine or a handful: at most an IPv4 /28 or an
# IPv6 /124 (16 addresses).
HANDFUL: Final = 16
# A local network is at most one site: an IPv4 /24 (one LAN) or an IPv6 /48 (the largest prefix
# an ISP delegates to a home).
SITE_PREFIX: Final = {4: 24, 6: 48}

_HANDFUL_TEXT: Final = "at most 16 addresses: an IPv4 /28 or an IPv6 /124"
PUBLIC_PROXY: Final = (
    "public addresses beyond a handful of hosts as trusted proxies: any of them could send "
    "X-Forwarded-For and choose the client address the hub sees (past bans and the local-network "
    f"check); a proxy is one host, so list its own address ({_HANDFUL_TEXT})"
)
PUBLIC_ALLOWED: Final = (
    "public addresses beyond a handful of hosts in the ban allow-list: any of them could guess "
    f"passwords without ever being banned; list only your own addresses ({_HANDFUL_TEXT})"
)
PUBLIC_LOCAL: Final = (
    "public addresses beyond one site as local networks: clients there would pass the "
    "remote-access guard and log in as local_only users; list only your own network (an IPv4 "
    "/24 or an IPv6 /48 at most)"
)
PUBLIC_TRUSTED: Final = (
    "public addresses in a trusted network: whoever gets one of them could log in without a "
    "password; trust only private networks (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "
    "fc00::/7, link-local)"
)
WIDE_PROXY: Final = (
    "more than a handful of addresses as trusted proxies: every device there can send "
    "X-Forwarded-For and choose the client address the hub sees, and is never banned; list only "
    f"your proxy's own address ({_HANDFUL_TEXT})"
)
PROXY_WITHOUT_FORWARDED: Final = (
    "trusted_proxies without use_x_forwarded_for: true: requests the proxy relays with "
    "X-Forwarded-For are refused, and every client behind it shares the proxy's address, which "
    "is never banned; set use_x_forwarded_for: true"
)

TRUSTED_ADMIN: Final = (
    "this user is an administrator and remote_access is on: a password-less login for an "
    "administrator must not depend on where a request seems to come from; remove the user "
    "from the trusted network, or turn remote_access off"
)


def _local_networks() -> tuple[IPNetwork, ...]:
    """The built-in local networks (imported here: the HTTP package depends on config)."""
    from hearth.http.network import LOCAL_NETWORKS

    return LOCAL_NETWORKS


def is_public(network: IPNetwork) -> bool:
    """Whether any address of `network` lies outside the built-in local networks."""
    # The built-in networks are disjoint and not adjacent, so "inside their union" is "inside one".
    return not any(
        network.version == local.version and network.subnet_of(local)  # type: ignore[arg-type]
        for local in _local_networks()
    )


def _parse(value: str) -> IPNetwork:
    return ip_network(value, strict=False)


def check_proxy(value: str) -> str:
    """A trusted proxy: public space only as a handful of hosts."""
    network = _parse(value)
    if is_public(network) and network.num_addresses > HANDFUL:
        raise ValueError(PUBLIC_PROXY)
    return value


def check_allowlisted(value: str) -> str:
    """An `ip_ban_allowlist` entry: public space only as a handful of hosts."""
    network = _parse(value)
    if is_public(network) and network.num_addresses > HANDFUL:
        raise ValueError(PUBLIC_ALLOWED)
    return value


def check_local_network(value: str) -> str:
    """A `local_networks` entry: public space only up to one site (a /24 or a /48)."""
    network = _parse(value)
    if is_public(network) and network.prefixlen < SITE_PREFIX[network.version]:
        raise ValueError(PUBLIC_LOCAL)
    return value


def check_trusted_network(value: str) -> str:
    """An `auth: trusted_networks` network: never public space."""
    if is_public(_parse(value)):
        raise ValueError(PUBLIC_TRUSTED)
    return value


def network_warnings(http: HttpSection) -> Iterator[tuple[KeyPath, str]]:
    """(key path, message) for every risky but allowed setting in `http:`, to log at start."""
    for index, value in enumerate(http.trusted_proxies):
        if _parse(value).num_addresses > HANDFUL:
            yield ("http", "trusted_proxies", index), WIDE_PROXY
    if http.trusted_proxies and not http.use_x_forwarded_for:
        yield ("http", "trusted_proxies"), PROXY_WITHOUT_FORWARDED
