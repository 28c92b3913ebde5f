"""Per-account throttling: checks of one username's password are spaced out, one at a time.

IP bans stop one address; a botnet guessing one user's password from thousands of addresses
stays under every per-address threshold. So each username also has its own delay between
checks, doubling with every failure after a few free ones, up to a cap. Attempts that arrive
together are queued: each waits for the previous attempt's slot plus the delay, so a burst of
parallel requests gets no more checks than patient sequential ones.

Threat: a queue without a bound would let an attacker park thousands of requests and push the
owner's attempt hours back. The queue per account holds `queue` attempts; more are refused at
once, with the answer of a wrong password. So an admitted attempt waits at most about
`queue x max_delay` (1 minute by default), and local and remote clients have separate lanes:
an attack from the internet never delays a login from the home network.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from hearth import const
from hearth.storage.audit import AuditLog

_LOGGER = logging.getLogger(__name__)

MAX_TRACKED_USERNAMES: Final = 50_000
MAX_USERNAME_KEY: Final = 128  # usernames are attacker-chosen: bound what is kept per entry
_MAX_DOUBLINGS: Final = 64

_Key = tuple[str, bool]  # (normalised username, remote lane)


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How the delay grows (seconds) and how many attempts may wait per account and lane."""

    free_failures: int = const.THROTTLE_FREE_FAILURES
    base_delay: float = const.THROTTLE_BASE_DELAY
    max_delay: float = const.THROTTLE_MAX_DELAY
    forget_after: float = const.THROTTLE_FORGET_AFTER
    queue: int = const.THROTTLE_QUEUE

    def step(self, failures: int) -> float:
        """The delay owed after `failures` consecutive failures: 0, then base, 2 x base ... max."""
        extra = failures - self.free_failures
        if extra < 0:
            return 0.0
        return min(self.base_delay * 2.0 ** min(extra, _MAX_DOUBLINGS), self.max_delay)

    @property
    def longest_wait(self) -> float:
        """The longest an admitted attempt can wait for its check (the owner's worst case)."""
        return self.queue * self.max_delay


@dataclass(slots=True)
class _Account:
    failures: int = 0
    last_failure: float = 0.0
    next_free: float = 0.0  # the earliest start of the next check
    pending: int = 0  # attempts admitted and not yet answered
    waiting: dict[str, int] = field(default_factory=dict)  # source -> its pending attempts
    audited_step: float = 0.0


@dataclass(slots=True)
class Attempt:
    """One login attempt's place in the queue.

    `admitted`: wait `delay` seconds, check the password, then `release()` (always, in a
    `finally`). Not admitted: refuse at once like a wrong password; `counts` says whether the
    refusal counts toward the sender's IP ban (it does when the same address already has an
    attempt waiting, i.e. it floods in parallel; a client sending one attempt at a time, like
    the real user, is never counted for a queue it did not fill).
    """

    admitted: bool
    delay: float = 0.0
    counts: bool = False
    _account: _Account | None = field(default=None, repr=False)
    _source: str = ""

    def release(self) -> None:
        """The attempt was answered (or abandoned): its place in the queue is free."""
        account, self._account = self._account, None
        if account is None:
            return
        account.pending = max(0, account.pending - 1)
        left = account.waiting.get(self._source, 0) - 1
        if left > 0:
            account.waiting[self._source] = left
        else:
            account.waiting.pop(self._source, None)


def throttle_key(username: str) -> str:
    """Usernames are matched as the login matches them: stripped, case-insensitive."""
    return username.strip().casefold()[:MAX_USERNAME_KEY]


def _shown_plain(key: str) -> str:
    return key


class AccountThrottle:
    """Delays per username and lane; in memory (a restart forgives, an attacker cannot restart)."""

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
        self._accounts: dict[_Key, _Account] = {}
        # How a username appears in the log and audit log (hearth.auth.username_hash replaces
        # it so that a password typed as a username is never written down).
        self.shown: Callable[[str], str] = _shown_plain

    def _current(self, key: _Key, now: float) -> _Account | None:
        account = self._accounts.get(key)
        if (
            account is not None
            and account.pending == 0
            and now - max(account.last_failure, account.next_free) > self.policy.forget_after
        ):
            del self._accounts[key]
            return None
        return account

    def attempt(self, username: str, *, remote: bool = False, source: str = "") -> Attempt:
        """Queue an attempt to check this username's password, from `source` (an address)."""
        key = (throttle_key(username), remote)
        now = self._clock()
        account = self._current(key, now)
        if account is None:
            if len(self._accounts) >= MAX_TRACKED_USERNAMES:
                self._shrink(now)
            account = self._accounts[key] = _Account()
        if account.pending >= self.policy.queue:
            return Attempt(admitted=False, counts=account.waiting.get(source, 0) > 0)
        # Every attempt still waiting is presumed to fail: a burst pays the growing delay as
        # a sequence of failures would.
        presumed = account.failures + account.pending
        # This attempt and each one ahead hold the check for at most max_delay. The bound binds
        # only when an attempt gave up its slot early (its client went away): the slot is reused.
        latest = now + (account.pending + 1) * self.policy.max_delay
        start = max(now, min(account.next_free, latest))
        account.next_free = start + self.policy.step(presumed + 1)
        account.pending += 1
        account.waiting[source] = account.waiting.get(source, 0) + 1
        return Attempt(admitted=True, delay=start - now, _account=account, _source=source)

    def failures(self, username: str, *, remote: bool = False) -> int:
        """Consecutive failures remembered for this username (in one lane)."""
        account = self._current((throttle_key(username), remote), self._clock())
        return 0 if account is None else account.failures

    def record_failure(self, username: str, *, remote: bool = False) -> None:
        """Count a wrong password for this username."""
        key = (throttle_key(username), remote)
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
        account.next_free = max(account.next_free, now + step)
        if step > account.audited_step:
            account.audited_step = step
            self._report(key[0], account.failures, step)
        if len(self._accounts) > MAX_TRACKED_USERNAMES:
            self._shrink(now)

    def record_success(self, username: str, *, remote: bool = False) -> None:
        """A successful login ends the username's throttling in that lane."""
        self._accounts.pop((throttle_key(username), remote), None)

    def _report(self, key: str, failures: int, step: float) -> None:
        shown = self.shown(key)
        _LOGGER.warning(
            "Throttling logins for user '%s': %d failed attempts, next attempt delayed %gs",
            _escaped(shown),
            failures,
            step,
        )
        if self._audit is not None:
            self._audit.record(
                "login_throttled", username=shown, details={"failures": failures, "delay": step}
            )

    def _shrink(self, now: float) -> None:
        """Make room: forget quiet accounts, then unthrottled ones, then the longest idle."""
        forget = self.policy.forget_after
        free = self.policy.free_failures
        predicates: tuple[Callable[[_Account], bool], ...] = (
            lambda a: a.pending == 0 and now - a.last_failure > forget,
            lambda a: a.pending == 0 and a.failures < free,
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


def _escaped(key: str) -> str:
    """A username for a log line: printable ASCII, quotes and backslashes escaped."""
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in key[:64])
    return text.replace("\\", "\\\\").replace("'", "\\'")
