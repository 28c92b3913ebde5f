"""Durations in configuration: seconds as a number, `30s`/`15m`/`1h`/`7d`, or `HH:MM:SS`."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Final

DURATION_FORMS: Final = (
    "seconds, or a number with s, m, h or d (such as 90s, 15m, 1h, 7d), or HH:MM:SS"
)

_UNITS: Final = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_WITH_UNIT: Final = re.compile(r"(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)")
_CLOCK: Final = re.compile(r"(\d{1,4}):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?")


def parse_duration(value: Any) -> float:
    """Seconds for a duration value; ValueError naming the accepted forms otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration ({DURATION_FORMS}), not true/false")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_text(value.strip().lower())
    else:
        raise ValueError(f"expected a duration ({DURATION_FORMS})")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("expected a duration of zero or more")
    return seconds


def _parse_text(text: str) -> float:
    if match := _WITH_UNIT.fullmatch(text):
        return float(match.group(1)) * _UNITS[match.group(2)]
    if match := _CLOCK.fullmatch(text):
        hours, minutes, seconds = match.group(1), match.group(2), match.group(3) or "0"
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"expected a duration ({DURATION_FORMS})") from None


def format_duration(seconds: float) -> str:
    """The shortest exact text for a duration: `15m`, `1h`, `7d`, `90s`, `0.5s`."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def duration_between(low: float, high: float) -> Callable[[float], float]:
    """A validator accepting durations from `low` to `high` seconds, explained in words."""

    def check(seconds: float) -> float:
        if not low <= seconds <= high:
            raise ValueError(
                f"expected a duration from {format_duration(low)} to {format_duration(high)}"
            )
        return seconds

    return check
