"""How many tokens a user may hold and create: caps per user and a creation rate, in memory.

Threat: any user (no admin needed) creating tokens in a loop fills the disk, slows every listing
and makes each creation a durable commit (an fsync). Sessions are capped by retiring the least
recently used one (a new login always works; an old, idle browser is logged out); long-lived
tokens are refused beyond their cap (each one is set up on purpose, and silently breaking an
integration would be worse); creations beyond the rate are refused for a minute.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from hearth import const
from hearth.exceptions import RateLimited

if TYPE_CHECKING:
    from hearth.config.schema import AuthSection

RATE_WINDOW: Final = 60.0  # seconds


@dataclass(frozen=True, slots=True)
class TokenLimits:
    """Per user: `auth: max_sessions_per_user`, `max_long_lived_tokens_per_user` and
    `token_creations_per_minute`."""

    max_sessions: int = const.MAX_SESSIONS_PER_USER
    max_long_lived: int = const.MAX_LONG_LIVED_TOKENS_PER_USER
    per_minute: int = const.TOKEN_CREATIONS_PER_MINUTE


def token_limits(auth: AuthSection) -> TokenLimits:
    """The limits an `auth:` section sets."""
    return TokenLimits(
        max_sessions=auth.max_sessions_per_user,
        max_long_lived=auth.max_long_lived_tokens_per_user,
        per_minute=auth.token_creations_per_minute,
    )


class CreationRate:
    """Token creations per user within the last minute; memory: users x the limit."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._times: dict[str, deque[float]] = {}

    def check(self, user_id: str, limit: int) -> None:
        """Count one creation for the user; RateLimited (and not counted) beyond `limit`."""
        now = self._clock()
        times = self._times.get(user_id)
        if times is None:
            times = self._times[user_id] = deque()
        while times and times[0] <= now - RATE_WINDOW:
            times.popleft()
        if len(times) >= limit:
            wait = max(1, int(times[0] + RATE_WINDOW - now + 0.999))
            raise RateLimited(
                f"Too many tokens created for this user in the last minute (at most {limit}); "
                f"try again in {wait} s."
            )
        times.append(now)
