"""Pauses in MFA code checks after wrong codes: bound to who guesses, not to the account.

Threat: a 6-digit code falls to guessing in minutes at machine speed (a known password at the
login step, or a stolen session guessing through `auth/depose_mfa`). Threat too: a pause per
account lets anyone who knows the password keep the real user out for good, with one wrong code
per pause. So the pause has two scopes, both in memory (a restart clears them):

- Per source (a client address; a remote IPv6 /64): FREE_FAILURES misses are free, then each
  miss pauses that source's checks for a doubling period, FIRST_PAUSE up to MAX_PAUSE (about 50
  guesses a day). Other addresses, the real user's among them, are not affected.
- Per account, across all sources: a budget of ACCOUNT_BURST failures, refilled by one every
  ACCOUNT_INTERVAL. One source alone can never spend it (its own pause is slower than the
  refill); only misses from several addresses can. While it is spent, authenticator codes are
  checked for nobody (about 100 guesses a day in all, however many addresses guess).

Recovery codes (about 99 bits each) are never refused because of a pause, so a user whose
account is under attack from many addresses can still log in with one. A refusal because of
the account's budget counts toward the IP ban only of a source that has failed itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv6Address, ip_address, ip_network
from typing import Final

FREE_FAILURES: Final = 5  # misses from one source before its checks pause ...
FIRST_PAUSE: Final = 30.0  # ... for this long, doubling with each further miss ...
MAX_PAUSE: Final = 1800.0  # ... up to this (one source: ~50 guesses a day)
ACCOUNT_BURST: Final = 20  # misses the account's sources may have together ...
ACCOUNT_INTERVAL: Final = 900.0  # ... plus one per this many seconds (96 a day)
SOURCE_FORGET_AFTER: Final = 86_400.0  # a source's misses are forgotten after a quiet day
MAX_SOURCES: Final = 10_000  # (account, source) pairs remembered; the longest quiet go first
_MAX_DOUBLINGS: Final = 32  # an attacker patient enough must not overflow a float


class Verdict(StrEnum):
    """Whether an authenticator code may be checked now."""

    CHECK = "check"
    PAUSED = "paused"  # this source missed too often
    ACCOUNT_PAUSED = "account_paused"  # misses from many sources spent the account's budget


def pause_source(ip: str | None, *, remote: bool) -> str:
    """The scope of a client's pause: its address, or its /64 for a remote IPv6 client."""
    try:
        address = ip_address(ip or "")
    except ValueError:
        return ""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    if isinstance(address, IPv6Address) and remote:
        return str(ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass(slots=True)
class _Source:
    failures: int = 0
    paused_until: float = 0.0
    last_failure: float = 0.0


@dataclass(slots=True)
class _Budget:
    left: float
    updated: float


class FailurePause:
    """Pauses per (user, source) and a failure budget per user."""

    def __init__(self) -> None:
        self._sources: dict[tuple[str, str], _Source] = {}  # oldest failure first
        self._budgets: dict[str, _Budget] = {}

    def _source(self, user_id: str, source: str, now: float) -> _Source | None:
        found = self._sources.get((user_id, source))
        if found is not None and now - found.last_failure > SOURCE_FORGET_AFTER:
            del self._sources[(user_id, source)]
            return None
        return found

    def _budget_left(self, user_id: str, now: float) -> float:
        budget = self._budgets.get(user_id)
        if budget is None:
            return float(ACCOUNT_BURST)
        refilled = budget.left + max(0.0, now - budget.updated) / ACCOUNT_INTERVAL
        return min(float(ACCOUNT_BURST), refilled)

    def verdict(self, user_id: str, source: str, now: float) -> Verdict:
        """Whether this source's authenticator code for this user may be checked now."""
        mine = self._source(user_id, source, now)
        if mine is not None and mine.paused_until > now:
            return Verdict.PAUSED
        if self._budget_left(user_id, now) < 1.0:
            return Verdict.ACCOUNT_PAUSED
        return Verdict.CHECK

    def has_failed(self, user_id: str, source: str, now: float) -> bool:
        """Whether this source has missed for this user recently (its refusals may count)."""
        mine = self._source(user_id, source, now)
        return mine is not None and mine.failures > 0

    def retry_after(self, user_id: str, source: str, now: float) -> float:
        """Seconds until this source's codes for this user are checked again."""
        mine = self._source(user_id, source, now)
        own = 0.0 if mine is None else max(0.0, mine.paused_until - now)
        short = 1.0 - self._budget_left(user_id, now)
        return max(own, short * ACCOUNT_INTERVAL if short > 0 else 0.0)

    def failure(self, user_id: str, source: str, now: float) -> None:
        """Count a miss: from the source's FREE_FAILURES-th on, pause it; spend the budget."""
        key = (user_id, source)
        mine = self._source(user_id, source, now) or _Source()
        self._sources.pop(key, None)
        self._sources[key] = mine  # last: the dict is ordered by last failure
        mine.failures += 1
        mine.last_failure = now
        if mine.failures >= FREE_FAILURES:
            doublings = min(mine.failures - FREE_FAILURES, _MAX_DOUBLINGS)
            mine.paused_until = now + min(MAX_PAUSE, FIRST_PAUSE * 2**doublings)
        left = self._budget_left(user_id, now)
        self._budgets[user_id] = _Budget(left=max(0.0, left - 1.0), updated=now)
        while len(self._sources) > MAX_SOURCES:
            del self._sources[next(iter(self._sources))]

    def success(self, user_id: str, source: str) -> None:
        """A correct code ends this source's pause (not the account's budget: it refills)."""
        self._sources.pop((user_id, source), None)

    def clear(self, user_id: str) -> None:
        """Forget everything about a user (MFA set up or removed)."""
        self._budgets.pop(user_id, None)
        for key in [key for key in self._sources if key[0] == user_id]:
            del self._sources[key]
