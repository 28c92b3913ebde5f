"""Who pays for login flows: address groups, their creation allowance, who holds the most.

Threat: flows live in a bounded table, so whoever creates flows fastest can push everyone
else's out (a few workers made 37,000 flows in 12 seconds and every real login failed with
"Invalid flow specified"). So flows are counted per address group (a remote client's /24 or
/64: one subscriber holds many addresses; on the local network, each address), the table makes
room by taking from the group holding the most flows, and a group that creates flows faster than
a person could is reported, so that the IP ban stops it. Pure logic; hearth.auth.flow uses it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network
from typing import Final

IPAddress = IPv4Address | IPv6Address
Group = IPv4Address | IPv6Address | IPv4Network | IPv6Network

REMOTE_V4_PREFIX: Final = 24
REMOTE_V6_PREFIX: Final = 64
MAX_TRACKED_GROUPS: Final = 10_000  # creation allowances kept; the longest idle go first


def flow_group(ip: IPAddress, *, remote: bool) -> Group:
    """The group a client's flows count against: its /24 or /64 if remote, else its address."""
    if not remote:
        return ip
    prefix = REMOTE_V4_PREFIX if isinstance(ip, IPv4Address) else REMOTE_V6_PREFIX
    return ip_network(f"{ip}/{prefix}", strict=False)


class CreationAllowance:
    """A token bucket per group: `burst` flows at once, then one per `interval` seconds."""

    def __init__(self, burst: int, interval: float, max_groups: int = MAX_TRACKED_GROUPS) -> None:
        self._burst = float(burst)
        self._interval = interval
        self._max_groups = max_groups
        self._left: OrderedDict[Group, tuple[float, float]] = OrderedDict()  # (left, updated)

    def spend(self, group: Group, now: float) -> bool:
        """Take one flow from the group's allowance; False if it had none left (excessive)."""
        left, updated = self._left.pop(group, (self._burst, now))
        left = min(self._burst, left + max(0.0, now - updated) / self._interval)
        within = left >= 1.0
        self._left[group] = (left - 1.0 if within else left, now)
        while len(self._left) > self._max_groups:
            self._left.popitem(last=False)
        return within

    def __len__(self) -> int:
        return len(self._left)


class GroupCounts:
    """How many flows each group holds, with the groups holding the most found first."""

    def __init__(self) -> None:
        self._count: dict[Group, int] = {}
        # _buckets[n]: the groups holding exactly n flows, in the order they got there.
        self._buckets: list[OrderedDict[Group, None]] = [OrderedDict()]

    def count(self, group: Group) -> int:
        """Flows the group holds."""
        return self._count.get(group, 0)

    def _move(self, group: Group, old: int, new: int) -> None:
        if old:
            del self._buckets[old][group]
        if new:
            while len(self._buckets) <= new:
                self._buckets.append(OrderedDict())
            self._buckets[new][group] = None
            self._count[group] = new
        else:
            self._count.pop(group, None)
        while len(self._buckets) > 1 and not self._buckets[-1]:
            self._buckets.pop()

    def add(self, group: Group) -> None:
        """The group holds one more flow."""
        old = self.count(group)
        self._move(group, old, old + 1)

    def remove(self, group: Group) -> None:
        """The group holds one flow less."""
        old = self.count(group)
        if old:
            self._move(group, old, old - 1)

    def largest_first(self) -> Iterator[Group]:
        """Every group, those holding the most flows first (earliest to get there first).

        Lazy, so that finding the largest costs no more than a step: stop iterating before
        changing the counts.
        """
        for bucket in reversed(self._buckets[1:]):
            yield from bucket
