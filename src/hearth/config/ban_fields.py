"""Field types of the IP ban keys in `http:` (threshold, window, durations, allow-list)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BeforeValidator, Field

from hearth import const
from hearth.config import net_rules
from hearth.config.duration import duration_between, parse_duration

MAX_THRESHOLD: Final = 1000
MAX_WINDOW: Final = 7 * 86400.0


def _threshold(value: Any) -> Any:
    """Refuse Home Assistant's `-1` ("never ban") with the way to do that in Hearth."""
    if isinstance(value, bool):
        raise ValueError(f"expected an integer from 1 to {MAX_THRESHOLD}, not true/false")
    if isinstance(value, int) and value < 1:
        raise ValueError(
            f"expected an integer from 1 to {MAX_THRESHOLD} (to turn bans off, set "
            "ip_ban_enabled: false)"
        )
    return value


def _allow_network(value: str) -> str:
    """Accept an address or a network in CIDR notation with the host bits zero."""
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(
            "expected an address or a network such as 192.168.1.0/24 or fd00::/64 "
            "(with the host bits zero)"
        ) from None
    return value


Threshold = Annotated[int, BeforeValidator(_threshold), Field(ge=1, le=MAX_THRESHOLD)]
Window = Annotated[
    float, BeforeValidator(parse_duration), AfterValidator(duration_between(1, MAX_WINDOW))
]
BanDuration = Annotated[
    float,
    BeforeValidator(parse_duration),
    AfterValidator(duration_between(0, const.IP_BAN_LIMIT)),
]
MaxBanDuration = Annotated[
    float,
    BeforeValidator(parse_duration),
    AfterValidator(duration_between(1, const.IP_BAN_LIMIT)),
]
AllowNetwork = Annotated[
    str, AfterValidator(_allow_network), AfterValidator(net_rules.check_allowlisted)
]


def check_max_duration(maximum: float, duration: float | None) -> float:
    """`ip_ban_max_duration` must not be shorter than `ip_ban_duration` (unless that is 0)."""
    if duration is not None and duration > 0 and maximum < duration:
        raise ValueError("expected a duration at least as long as ip_ban_duration")
    return maximum
