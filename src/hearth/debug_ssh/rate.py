"""New connections per address and second, before any key exchange starts.

Threat: DHEat (CVE-2002-20001): every connection makes the server compute a key exchange, so a
client opening connections as fast as it can burns the hub's CPU. Each address gets a small
burst, then a few connections a second; the rest are closed before the banner.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from hearth import const


@dataclass
class ConnectRate:
    """A token bucket per address (a bounded number of addresses remembered)."""

    per_second: float = const.DEBUG_SSH_CONNECTS_PER_SECOND
    burst: float = const.DEBUG_SSH_CONNECT_BURST
    clock: Callable[[], float] = time.monotonic
    max_tracked: int = 10_000
    buckets: OrderedDict[Hashable, tuple[float, float]] = field(default_factory=OrderedDict)

    def allow(self, key: Hashable) -> bool:
        """Whether one more connection from `key` may start now."""
        now = self.clock()
        tokens, then = self.buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.per_second)
        allowed = tokens >= 1.0
        self.buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self.buckets) > self.max_tracked:
            self.buckets.popitem(last=False)
        return allowed
