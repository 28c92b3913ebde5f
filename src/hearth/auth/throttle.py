"""Per-account throttling: a growing delay per username against guessing from many addresses.

IP bans stop one address; a botnet guessing one user's password from thousands of addresses
stays under every per-address threshold. So each username also has its own delay, doubling
with every failure after a few free ones, up to a cap. There is deliberately no lockout: an
attacker who could lock an account could lock its owner out, so the owner's worst case is
waiting `max_delay` for one attempt. Attempts that arrive together are spaced out (each one
reserves the next slot), so parallel requests do not slip past the delay.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from hearth import const
from hearth.storage.audit import AuditLog

_LOGGER = logging.getLogger(__name__)

MAX_TRACKED_USERNAMES: Final = 50_000
MAX_USERNAME_KEY: Final = 128  # usernames are attacker-chosen: bound what is kept per entry
_MAX_DOUBLINGS: Final = 64


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How the delay grows (seconds)."""

    free_failures: int = const.THROTTLE_FREE_FAILURES
    base_delay: float = const.THROTTLE_BASE_DELAY
    max_delay: float = const.THROTTLE_MAX_DELAY
    forget_after: float = const.THROTTLE_FORGET_AFTER

    def step(self, failures: int) -> float:
        """The delay owed after `failures` consecutive failures: 0, then base, 2 x base ... max."""
        extra = failures - self.free_failures
        if extra < 0:
            return 0.0
        return min(self.base_delay * 2.0 ** min(extra, _MAX_DOUBLINGS), self.max_delay)


@dataclass(slots=True)
class _Account:
    failures: int = 0
    last_failure: float = 0.0
    next_slot: float = 0.0  # reserved by attempts already waiting
    audited_step: float = 0.0


_Predicate = Callable[[_Account], bool]


def throttle_key(username: str) -> str:
    """Usernames are matched as the login matches them: stripped, case-insensitive."""
    return username.strip().casefold()[:MAX_USERNAME_KEY]


class AccountThrottle:
    """Delays per username; in memory (a restart forgives, but an attacker cannot restart)."""

    def __init__(
        self,
        policy: ThrottlePolicy | None = None,
        *,
        audit: AuditLog | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or ThrottlePolicy()
        self._audit = audit
        self._clock = clock
        self._accounts: dict[str, _Account] = {}

    def _current(self, key: str, now: float) -> _Account | None:
        account = self._accounts.get(key)
        if account is not None and now - account.last_failure > self.policy.forget_after:
            del self._accounts[key]
            return None
        return account

    def delay_for(self, username: str) -> float:
        """Seconds to wait before checking this username's password; reserves the slot."""
        now = self._clock()
        account = self._current(throttle_key(username), now)
        if account is None:
            return 0.0
        step = self.policy.step(account.failures)
        if step <= 0:
            return 0.0
        start = max(account.last_failure + step, account.next_slot, now)
        # Capped: however many attempts queue up, the owner never waits longer than max_delay.
        start = min(start, now + self.policy.max_delay)
        account.next_slot = start + step
        return start - now

    def failures(self, username: str) -> int:
        """Consecutive failures remembered for this username."""
        account = self._current(throttle_key(username), self._clock())
        return 0 if account is None else account.failures

    def record_failure(self, username: str) -> None:
        """Count a wrong password (or MFA code) for this username."""
        key = throttle_key(username)
        now = self._clock()
        account = self._current(key, now)
        if account is None:
            account = _Account()
        else:
            del self._accounts[key]  # re-inserted last: the dict is ordered by last failure
        self._accounts[key] = account
        account.failures += 1
        account.last_failure = now
        step = self.policy.step(account.failures)
        if step > account.audited_step:
            account.audited_step = step
            self._report(key, account.failures, step)
        if len(self._accounts) > MAX_TRACKED_USERNAMES:
            self._shrink(now)

    def record_success(self, username: str) -> None:
        """A successful login ends the username's throttling."""
        self._accounts.pop(throttle_key(username), None)

    def _report(self, key: str, failures: int, step: float) -> None:
        _LOGGER.warning(
            "Throttling logins for user '%s': %d failed attempts, next attempt delayed %gs",
            _shown(key),
            failures,
            step,
        )
        if self._audit is not None:
            self._audit.record(
                "login_throttled", username=key, details={"failures": failures, "delay": step}
            )

    def _shrink(self, now: float) -> None:
        """Make room: forget quiet accounts, then unthrottled ones, then the longest idle."""
        forget = self.policy.forget_after
        free = self.policy.free_failures
        predicates: tuple[_Predicate, ...] = (
            lambda a: now - a.last_failure > forget,
            lambda a: a.failures < free,
        )
        for predicate in predicates:
            doomed = [key for key, account in self._accounts.items() if predicate(account)]
            for key in doomed:
                del self._accounts[key]
            # Shrink well below the limit, so that this pass runs rarely.
            if len(self._accounts) <= MAX_TRACKED_USERNAMES * 9 // 10:
                return
        while len(self._accounts) > MAX_TRACKED_USERNAMES * 9 // 10:
            del self._accounts[next(iter(self._accounts))]

    def __len__(self) -> int:
        return len(self._accounts)


def _shown(key: str) -> str:
    """A username for a log line: printable ASCII, quotes and backslashes escaped."""
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in key[:64])
    return text.replace("\\", "\\\\").replace("'", "\\'")
