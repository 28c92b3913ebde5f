"""How many connections the hub holds: per client address, and in all.

Every connection costs a file descriptor. A process that runs out of them can no longer accept
anyone, open its database or write its log, so the total is capped below the open-file limit
(hearth.http.fd_limit), and its last quarter is kept for addresses that hold few connections:
when the hub is nearly full, the addresses that filled it are refused and a household device
opening its first connections still gets in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from ipaddress import IPv6Address, IPv6Network
from typing import Final

from hearth import const
from hearth.http.log_limit import LogLimiter
from hearth.http.network import LOCAL_NETWORKS, IPAddress, NetworkSet

_LOGGER = logging.getLogger(__name__)

ConnectionKey = IPAddress | IPv6Network
_LOCAL: Final = NetworkSet(LOCAL_NETWORKS)


class TooManyConnections(OverflowError):
    """A new connection over a cap; `total` tells the hub-wide cap from the per-address one."""

    def __init__(self, key: ConnectionKey | None, *, total: bool) -> None:
        super().__init__(key)
        self.key = key
        self.total = total


@dataclass(eq=False, slots=True)
class Slot:
    """One counted connection; release() gives the slot back (any extra call does nothing)."""

    counter: ConnectionCounter
    key: ConnectionKey | None  # None: an exempt peer (counted in the total only)
    released: bool = False

    def release(self) -> None:
        """Forget this connection."""
        if not self.released:
            self.released = True
            self.counter.forget(self.key)


@dataclass
class ConnectionCounter:
    """Open connections per client address and in all; trusted proxies skip the per-address cap."""

    limit: int
    exempt: NetworkSet = field(default_factory=NetworkSet)
    total_limit: int = const.MAX_CONNECTIONS
    reserve: int = -1  # connections kept for lightly-loaded addresses; -1: a quarter of the total
    reserve_share: int = const.RESERVE_CONNECTIONS_PER_IP
    counts: dict[ConnectionKey, int] = field(default_factory=dict)
    total: int = 0
    warned: LogLimiter = field(default_factory=LogLimiter)

    def __post_init__(self) -> None:
        if self.reserve < 0:
            self.reserve = self.total_limit // 4

    @staticmethod
    def key(address: IPAddress) -> ConnectionKey:
        """The counted unit: an address, or a whole /64 for a remote IPv6 client."""
        # Threat: one remote IPv6 host has a /64 of addresses to spread its connections over.
        # Local IPv6 devices share one /64, so there every address counts on its own.
        if isinstance(address, IPv6Address) and address not in _LOCAL:
            return IPv6Network((int(address) >> 64 << 64, 64))
        return address

    def acquire(self, address: IPAddress) -> Slot:
        """Count a new connection from `address`; TooManyConnections when over a cap."""
        if self.total >= self.total_limit:
            raise TooManyConnections(None, total=True)
        if address in self.exempt:
            self.total += 1
            return Slot(self, None)
        key = self.key(address)
        count = self.counts.get(key, 0)
        if count >= self.limit:
            raise TooManyConnections(key, total=False)
        if self.total >= self.total_limit - self.reserve and count >= self.reserve_share:
            # Threat: descriptor exhaustion by a few addresses. Near the cap, only addresses
            # holding a few connections may open more, so a household device still gets in
            # while the addresses that filled the hub are refused.
            raise TooManyConnections(key, total=True)
        self.counts[key] = count + 1
        self.total += 1
        return Slot(self, key)

    def forget(self, key: ConnectionKey | None) -> None:
        """Forget one connection of `key` (None: of an exempt peer)."""
        self.total = max(0, self.total - 1)
        if key is None:
            return
        count = self.counts.get(key, 0)
        if count <= 0:
            return
        if count > 1:
            self.counts[key] = count - 1
        else:
            del self.counts[key]


def log_refusal(counter: ConnectionCounter, peer: IPAddress, refused: TooManyConnections) -> None:
    """One warning per address (and one for a full hub) per interval, never one per refusal."""
    if refused.total:
        if counter.warned.allow("hub-full"):
            _LOGGER.warning(
                "Refused a connection from %s: the hub holds %d connections (cap %d); addresses "
                "holding the most are refused first",
                peer,
                counter.total,
                counter.total_limit,
            )
    elif counter.warned.allow(peer):
        _LOGGER.warning(
            "Refused a connection from %s: it already has %d open connections", peer, counter.limit
        )
