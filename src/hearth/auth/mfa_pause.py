"""A doubling pause in MFA code checks after repeated failures, per user, in memory."""

from __future__ import annotations

from typing import Final

# Consecutive failed codes before verify() stops checking for a while, then the pause doubles.
FREE_FAILURES: Final = 5
FIRST_PAUSE: Final = 30.0
MAX_PAUSE: Final = 900.0


class FailurePause:
    """Pause code checks for a user after repeated failures.

    Threat: a 6-digit code falls to guessing in minutes at machine speed (a stolen session
    guessing through `auth/depose_mfa`, or a known password at the login step), whatever the
    caller's own throttling. FREE_FAILURES misses are free, then each miss pauses checking for a
    doubling period: about 100 guesses a day at most. In memory: a restart clears it.
    """

    def __init__(self) -> None:
        self._state: dict[str, tuple[int, float]] = {}  # user id -> (failures, paused until)

    def retry_after(self, user_id: str, now: float) -> float:
        """Seconds until the user's codes are checked again."""
        _, until = self._state.get(user_id, (0, 0.0))
        return max(0.0, until - now)

    def failure(self, user_id: str, now: float) -> None:
        """Count a miss; from the FREE_FAILURES-th on, pause checking."""
        failures = self._state.get(user_id, (0, 0.0))[0] + 1
        until = 0.0
        if failures >= FREE_FAILURES:
            # The exponent is capped: an attacker patient enough must not overflow a float.
            doublings = min(failures - FREE_FAILURES, 32)
            until = now + min(MAX_PAUSE, FIRST_PAUSE * 2**doublings)
        self._state[user_id] = (failures, until)

    def clear(self, user_id: str) -> None:
        """Forget the user's misses (a correct code, or MFA set up or removed)."""
        self._state.pop(user_id, None)
