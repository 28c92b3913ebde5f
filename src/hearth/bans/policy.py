"""The IP ban policy as plain data and pure functions: what counts, when a ban starts, how long."""

from __future__ import annotations

import math
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any, Final

from hearth import const

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

# A client is one IPv4 address, or one remote IPv6 /64: a single host usually holds a whole /64
# and can pick any address in it, so counting remote IPv6 addresses one by one would give each
# attacker 2**64 fresh counters. On a local network the /64 is the whole home (every phone and
# laptop shares the LAN's prefix), so there IPv6 clients are counted per address, like IPv4
# ones: one misbehaving device must not lock the household out.
# Keys are ints so that the hot path is one dict lookup, in three ranges that never collide:
# an IPv4 address is its 32-bit value; an IPv6 /64 is its 64-bit prefix with bit 64 set; a
# single (local) IPv6 address is its 128-bit value with bit 128 set.
ClientKey = int
_V6_TAG: Final = 1 << 64
_V6_HOST_TAG: Final = 1 << 128
IPV6_PREFIX: Final = 64
_SUFFIX: Final = f"/{IPV6_PREFIX}"
PERMANENT: Final = math.inf  # expiry of a ban that never ends
_MAX_DOUBLINGS: Final = 64  # 2**64 times any duration is past every cap
MAX_REASON_LENGTH: Final = 200

KeyRange = tuple[ClientKey, ClientKey]


def client_key(ip: IPAddress) -> ClientKey:
    """The key of an address counted as a remote client (IPv6: its /64)."""
    if type(ip) is IPv4Address:
        return int(ip)
    return _V6_TAG | (int(ip) >> IPV6_PREFIX)


def host_key(ip: IPv6Address) -> ClientKey:
    """The key of a single IPv6 address (a client on a local network)."""
    return _V6_HOST_TAG | int(ip)


_TEXTS: dict[ClientKey, str] = {}
_TEXTS_LIMIT = 4096


def client_text(key: ClientKey) -> str:
    """How a key is shown and stored: `192.0.2.7`, `2001:db8:1:2::/64` or `fd00::7`.

    Memoised: each failed login stores its client's text, and a flood comes from few clients.
    """
    text = _TEXTS.get(key)
    if text is None:
        if len(_TEXTS) >= _TEXTS_LIMIT:
            _TEXTS.clear()
        text = _TEXTS[key] = _spell(key)
    return text


def _spell(key: ClientKey) -> str:
    if key < _V6_TAG:
        return str(IPv4Address(key))
    if key >= _V6_HOST_TAG:
        return str(IPv6Address(key ^ _V6_HOST_TAG))
    return f"{IPv6Address((key ^ _V6_TAG) << IPV6_PREFIX)}{_SUFFIX}"


def stored_key(text: str) -> ClientKey:
    """The key of a client as `client_text` wrote it; fast, for loading many bans at start."""
    try:
        if text.endswith(_SUFFIX):
            packed = socket.inet_pton(socket.AF_INET6, text[: -len(_SUFFIX)])
            return _V6_TAG | int.from_bytes(packed[:8], "big")
        if ":" in text:
            return _V6_HOST_TAG | int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
        return int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
    except OSError:
        raise ValueError("not a stored client address") from None


def _prefix_range(network: IPv6Network) -> KeyRange:
    """The /64 keys a network touches."""
    return client_key(network.network_address), client_key(network.broadcast_address)


def _key_ranges(network: IPNetwork) -> tuple[KeyRange, ...]:
    """Every key range (IPv4, IPv6 /64, single IPv6) that holds an address of `network`."""
    if isinstance(network, IPv4Network):
        return ((int(network.network_address), int(network.broadcast_address)),)
    hosts = (host_key(network.network_address), host_key(network.broadcast_address))
    return _prefix_range(network), hosts


@dataclass(frozen=True, slots=True)
class BanPolicy:
    """When failures lead to a ban and how long it lasts (durations in seconds)."""

    enabled: bool = True
    threshold: int = const.IP_BAN_THRESHOLD
    window: float = const.IP_BAN_WINDOW
    duration: float = const.IP_BAN_DURATION  # 0 = permanent
    max_duration: float = const.IP_BAN_MAX_DURATION
    allowlist: tuple[IPNetwork, ...] = field(default_factory=tuple)
    # Networks whose IPv6 clients are counted per address rather than per /64.
    local_networks: tuple[IPNetwork, ...] = field(default_factory=tuple)
    # Both as ranges of keys, so that checks are integer comparisons.
    _allowed_keys: tuple[KeyRange, ...] = field(init=False, repr=False)
    _local_prefixes: tuple[KeyRange, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        allowed = tuple(item for net in self.allowlist for item in _key_ranges(net))
        local = tuple(
            _prefix_range(net) for net in self.local_networks if isinstance(net, IPv6Network)
        )
        object.__setattr__(self, "_allowed_keys", allowed)
        object.__setattr__(self, "_local_prefixes", local)

    def key(self, ip: IPAddress) -> ClientKey:
        """The key `ip` is counted and banned under."""
        if type(ip) is IPv4Address:
            return int(ip)
        key = _V6_TAG | (int(ip) >> IPV6_PREFIX)
        for low, high in self._local_prefixes:
            if low <= key <= high:
                return _V6_HOST_TAG | int(ip)
        return key

    def parse(self, text: str) -> ClientKey:
        """The key for an address or network written by a person; ValueError if unusable.

        An IPv6 address means what `key` makes of it; `/64` and `/128` say which explicitly.
        """
        text = text.strip()
        if "/" in text:
            network = ip_network(text, strict=False)
            if isinstance(network, IPv6Network) and network.prefixlen == IPV6_PREFIX:
                return client_key(network.network_address)
            if isinstance(network, IPv6Network) and network.prefixlen == 128:
                return host_key(network.network_address)
            raise ValueError("only single addresses and IPv6 /64 networks can be banned")
        address = ip_address(text)
        if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return self.key(address)

    def lookup_keys(self, text: str) -> tuple[ClientKey, ...]:
        """Keys an administrator may mean by `text` when lifting a ban, the likeliest first.

        A ban made before `local_networks` changed may be stored per /64 or per address.
        """
        key = self.parse(text)
        if "/" in text or key < _V6_TAG:
            return (key,)
        address = IPv6Address(text.strip())
        other = client_key(address) if key >= _V6_HOST_TAG else host_key(address)
        return key, other

    def allowed(self, ip: IPAddress) -> bool:
        """Whether this address may never be banned."""
        return self.key_allowed(self.key(ip))

    def key_allowed(self, key: ClientKey) -> bool:
        """Whether any address of this client is on the allow-list (such a client is not banned)."""
        return any(low <= key <= high for low, high in self._allowed_keys)

    def ban_seconds(self, offence: int) -> float:
        """Length of the n-th ban (n from 1), doubling up to the cap; PERMANENT if duration is 0."""
        if self.duration <= 0:
            return PERMANENT
        doublings = min(max(offence, 1) - 1, _MAX_DOUBLINGS)
        return min(self.duration * 2.0**doublings, max(self.max_duration, self.duration))

    def next_offence(self, previous: BanRecord | None, now: float) -> int:
        """The offence number of a new ban, given the client's previous (expired) ban.

        Offences are remembered for `max_duration` after a ban ends, then forgiven.
        """
        if previous is None or previous.expires_at is None:
            return 1
        if now - previous.expires_at > max(self.max_duration, self.duration):
            return 1
        return previous.offences + 1

    def new_ban(
        self,
        key: ClientKey,
        previous: BanRecord | None,
        now: float,
        seconds: float | None,
        *,
        source: str,
        reason: str,
    ) -> BanRecord:
        """The ban of a client: automatic ones grow with repeat offences; by hand, `seconds`
        (None = permanent) and the client's offence count kept."""
        if source == "auto":
            offence = self.next_offence(previous, now)
            length = self.ban_seconds(offence)
        else:
            offence = 1 if previous is None else previous.offences
            length = PERMANENT if seconds is None else seconds
        expires_at = None if length == PERMANENT else now + length
        reason = "".join(ch if ch.isprintable() else "?" for ch in reason[:MAX_REASON_LENGTH])
        return BanRecord(client_text(key), now, expires_at, offence, source, reason)

    def count_failure(self, times: Sequence[float], now: float) -> tuple[list[float], bool]:
        """The failure times still inside the window after one more at `now`; True if it bans."""
        start = now - self.window
        kept = [t for t in times if start < t <= now]
        kept.append(now)
        kept = kept[-self.threshold :]
        return kept, len(kept) >= self.threshold


def policy_allowlist(networks: Iterable[str | IPNetwork]) -> tuple[IPNetwork, ...]:
    """Networks from configuration values (strings or network objects)."""
    return tuple(ip_network(str(net), strict=False) for net in networks)


@dataclass(frozen=True, slots=True)
class BanRecord:
    """One ban as stored: who, since when, until when (None = permanent), why."""

    client: str
    banned_at: float
    expires_at: float | None
    offences: int = 1
    source: str = "auto"
    reason: str = ""

    @property
    def key(self) -> ClientKey:
        """The lookup key of the banned client."""
        return stored_key(self.client)

    @property
    def expiry(self) -> float:
        """The expiry as the hot path stores it (PERMANENT for none)."""
        return PERMANENT if self.expires_at is None else self.expires_at

    def active(self, now: float) -> bool:
        """Whether the ban is in force at `now`."""
        return self.expires_at is None or self.expires_at > now

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the API, WebSocket and CLI."""
        return {
            "ip": self.client,
            "banned_at": _iso(self.banned_at),
            "expires_at": None if self.expires_at is None else _iso(self.expires_at),
            "offences": self.offences,
            "source": self.source,
            "reason": self.reason,
        }


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")
