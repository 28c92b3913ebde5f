"""UTC timestamps as ISO 8601 text, fast: history answers and audit entries format many."""

from __future__ import annotations

import math
import time
from functools import lru_cache


@lru_cache(maxsize=4096)
def _minute(minute: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(minute * 60))


def utc_iso(timestamp: float) -> str:
    """`datetime.fromtimestamp(timestamp, UTC).isoformat()`, several times faster (a history
    answer formats thousands): the minute is cached, the rest is arithmetic."""
    whole = math.floor(timestamp)
    micro = round((timestamp - whole) * 1e6)
    if micro >= 1_000_000:
        whole, micro = whole + 1, micro - 1_000_000
    minute, second = divmod(whole, 60)
    if micro:
        return f"{_minute(minute)}{second:02d}.{micro:06d}+00:00"
    return f"{_minute(minute)}{second:02d}+00:00"
