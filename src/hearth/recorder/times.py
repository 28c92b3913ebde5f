"""Times as clients send them (ISO 8601) and as the history stores them (epoch seconds)."""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

MAX_TIME_TEXT: Final = 64


def parse_time(text: str, time_zone: str = "UTC") -> float | None:
    """Seconds since the epoch for an ISO 8601 date or time, or None when it is not one.

    A time without an offset is in the hub's time zone, as Home Assistant reads it.
    """
    if not 0 < len(text) <= MAX_TIME_TEXT:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(time_zone))
    try:
        return parsed.timestamp()
    except (OverflowError, OSError, ValueError):
        return None
