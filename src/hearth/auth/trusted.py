"""The trusted_networks login provider: opt-in, password-less login for listed users on listed
networks. Nothing is trusted unless `auth: trusted_networks:` says so, loopback included."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hearth.config.schema import AuthSection

_LOGGER = logging.getLogger(__name__)

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

PROVIDER_TYPE = "trusted_networks"
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def _networks(values: Iterable[Any]) -> list[IPNetwork]:
    """Networks from config values (strings or ipaddress objects); unparsable ones are skipped."""
    found: list[IPNetwork] = []
    for value in values:
        try:
            found.append(ipaddress.ip_network(str(value), strict=False))
        except ValueError:
            continue
    return found


def proxy_conflict(auth: AuthSection, http: Any) -> str | None:
    """Why this `auth:` section is unsafe together with `http: trusted_proxies`, or None."""
    # Threat: every request relayed by a trusted proxy arrives from the proxy's address. If the
    # forwarded header is missing or mis-set, a request from anywhere would look like it came
    # from the trusted network and log in without a password.
    proxies = _networks(getattr(http, "trusted_proxies", None) or ())
    for index, entry in enumerate(auth.trusted_networks):
        for net_index, network in enumerate(_networks(entry.networks)):
            for proxy_index, proxy in enumerate(proxies):
                if network.version == proxy.version and network.overlaps(proxy):
                    return (
                        f"trusted_networks[{index}].networks[{net_index}] contains the trusted "
                        f"proxy http.trusted_proxies[{proxy_index}]; a relayed request could log "
                        "in without a password. Remove the proxy's address from the trusted "
                        "network (use a narrower network)"
                    )
    return None


@dataclass(frozen=True, slots=True)
class TrustedEntry:
    """Networks and the usernames that may log in from them."""

    networks: tuple[IPNetwork, ...]
    usernames: tuple[str, ...]


class TrustedNetworks:
    """Which users a client address may log in as without a password."""

    def __init__(self, entries: Sequence[TrustedEntry] = ()) -> None:
        self._entries = tuple(entries)

    @classmethod
    def from_config(cls, auth: AuthSection) -> TrustedNetworks:
        """Build from `auth: trusted_networks:` (already validated by the schema)."""
        entries = [
            TrustedEntry(tuple(_networks(entry.networks)), tuple(entry.users))
            for entry in auth.trusted_networks
        ]
        trusted = cls(entries)
        if trusted.includes_loopback():
            _LOGGER.warning(
                "auth.trusted_networks includes loopback: anything that reaches the hub through "
                "a local tunnel or proxy (SSH, Tor) will log in without a password"
            )
        return trusted

    def __bool__(self) -> bool:
        return bool(self._entries)

    def includes_loopback(self) -> bool:
        """True when some trusted network overlaps 127.0.0.0/8 or ::1."""
        return any(
            net.version == loop.version and net.overlaps(loop)
            for entry in self._entries
            for net in entry.networks
            for loop in _LOOPBACK
        )

    def usernames_for(self, address: IPAddress) -> tuple[str, ...]:
        """The usernames a client at `address` may log in as (empty: not trusted)."""
        names: dict[str, None] = {}
        for entry in self._entries:
            if any(address in network for network in entry.networks):
                names.update(dict.fromkeys(entry.usernames))
        return tuple(names)
