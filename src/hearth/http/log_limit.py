"""At most one log line per client per interval, so refused requests cannot flood the log."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Final

LOG_INTERVAL: Final = 600.0  # seconds between two warnings about the same client
_MAX_KEYS: Final = 1024


class LogLimiter:
    """Decides whether a warning about `key` is due; bounded memory, no I/O."""

    __slots__ = ("_clock", "_interval", "_last")

    def __init__(
        self, interval: float = LOG_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._last: dict[Hashable, float] = {}

    def allow(self, key: Hashable) -> bool:
        """True (and remember it) when nothing was logged about `key` within the interval."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            return False
        # Threat: log flooding. Many distinct keys only reset the memory (and log again), never
        # grow it without bound.
        if len(self._last) >= _MAX_KEYS:
            self._last.clear()
        self._last[key] = now
        return True
