"""Per-account throttling as data: growing delays per username, never a lockout."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth import const
from hearth.auth.throttle import AccountThrottle, ThrottlePolicy, throttle_key
from hearth.storage.audit import AuditLog
from hearth.storage.db import Database


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(clock: Clock) -> AccountThrottle:
    return AccountThrottle(clock=clock)


@pytest.mark.parametrize(
    ("failures", "delay"),
    [
        (0, 0),
        (1, 0),
        (2, 0),
        (3, 1),
        (4, 2),
        (5, 4),
        (6, 8),
        (7, 16),
        (8, 30),
        (9, 30),
        (10**6, 30),
    ],
)
def test_step(failures: int, delay: float) -> None:
    assert ThrottlePolicy().step(failures) == delay


def test_defaults_come_from_const() -> None:
    policy = ThrottlePolicy()
    assert policy.free_failures == const.THROTTLE_FREE_FAILURES
    assert policy.max_delay == const.THROTTLE_MAX_DELAY


def wait(throttle: AccountThrottle, username: str = "alice", **kwargs: object) -> float:
    """The delay of one attempt, waited out (on the throttle's clock) and answered."""
    attempt = throttle.attempt(username, **kwargs)  # type: ignore[arg-type]
    assert attempt.admitted
    clock = throttle._clock
    if isinstance(clock, Clock):
        clock.now += attempt.delay
    attempt.release()
    return attempt.delay


def test_delay_grows_after_the_free_failures(throttle: AccountThrottle, clock: Clock) -> None:
    delays = []
    for _ in range(9):
        delays.append(wait(throttle))
        throttle.record_failure("alice")
    delays.append(wait(throttle))
    assert delays == [0, 0, 0, 1, 2, 4, 8, 16, 30, 30]


def test_waiting_out_the_delay_costs_nothing_more(throttle: AccountThrottle, clock: Clock) -> None:
    for _ in range(5):
        throttle.record_failure("alice")
    clock.now += 3
    assert wait(throttle) == 1  # 4 s after the last failure
    throttle.record_failure("alice")  # that attempt failed too: now 8 s
    clock.now += 8
    assert wait(throttle) == 0


def test_other_usernames_are_not_affected(throttle: AccountThrottle) -> None:
    for _ in range(10):
        throttle.record_failure("alice")
    assert wait(throttle, "bob") == 0
    assert throttle.failures("bob") == 0


def test_username_matching_is_case_insensitive(throttle: AccountThrottle) -> None:
    for name in ("Alice", " alice ", "ALICE", "alice"):
        throttle.record_failure(name)
    assert throttle.failures("aLiCe") == 4
    assert throttle_key("  Alice\t") == "alice"


def test_success_ends_throttling(throttle: AccountThrottle) -> None:
    for _ in range(6):
        throttle.record_failure("alice")
    throttle.record_success("Alice")
    assert wait(throttle) == 0
    assert throttle.failures("alice") == 0


def test_failures_are_forgotten_after_quiet(throttle: AccountThrottle, clock: Clock) -> None:
    for _ in range(8):
        throttle.record_failure("alice")
    clock.now += const.THROTTLE_FORGET_AFTER + 31
    assert wait(throttle) == 0
    assert throttle.failures("alice") == 0


# (failures before the burst, queue, burst size) -> each attempt's wait; None: refused at once.
# Attempts still waiting are presumed to fail, so a burst pays what a sequence would.
BURSTS = [
    (4, 10, 5, [2, 6, 14, 30, 60]),
    (0, 10, 6, [0, 0, 0, 1, 3, 7]),
    (10, 3, 5, [30, 60, 90, None, None]),
    (3, 1, 3, [1, None, None]),
]


@pytest.mark.parametrize(("failures", "queue", "burst", "waits"), BURSTS)
def test_parallel_attempts_wait_for_each_other(
    clock: Clock, failures: int, queue: int, burst: int, waits: list[float | None]
) -> None:
    """Attempts that arrive together each wait for the previous slot plus the delay."""
    throttle = AccountThrottle(ThrottlePolicy(queue=queue), clock=clock)
    for _ in range(failures):
        throttle.record_failure("alice")
    attempts = [throttle.attempt("alice", source="203.0.113.7") for _ in range(burst)]
    assert [a.delay if a.admitted else None for a in attempts] == waits


def test_the_queue_frees_as_attempts_are_answered(clock: Clock) -> None:
    throttle = AccountThrottle(ThrottlePolicy(queue=2), clock=clock)
    first, second = throttle.attempt("alice"), throttle.attempt("alice")
    assert not throttle.attempt("alice").admitted
    first.release()
    first.release()  # twice is harmless
    assert throttle.attempt("alice").admitted
    second.release()


def test_refusals_count_only_for_an_address_already_waiting(clock: Clock) -> None:
    """A flood from one address is counted; the owner's single attempt never is."""
    throttle = AccountThrottle(ThrottlePolicy(queue=2), clock=clock)
    assert throttle.attempt("alice", source="attacker").admitted
    assert throttle.attempt("alice", source="attacker").admitted
    flood = throttle.attempt("alice", source="attacker")
    owner = throttle.attempt("alice", source="owner")
    assert (flood.admitted, flood.counts) == (False, True)
    assert (owner.admitted, owner.counts) == (False, False)


def test_local_and_remote_clients_queue_apart(clock: Clock) -> None:
    """An attack from the internet fills the remote lane; the home network is not delayed."""
    throttle = AccountThrottle(clock=clock)
    for _ in range(20):
        throttle.record_failure("owner", remote=True)
    remote = [throttle.attempt("owner", remote=True).admitted for _ in range(10)]
    assert remote == [True] * const.THROTTLE_QUEUE + [False] * (10 - const.THROTTLE_QUEUE)
    assert wait(throttle, "owner", remote=False) == 0
    assert throttle.failures("owner", remote=True) == 20
    assert throttle.failures("owner") == 0


@pytest.mark.parametrize("queue", [1, 4, 16])
def test_an_admitted_attempt_waits_at_most_queue_times_max_delay(clock: Clock, queue: int) -> None:
    """The owner's worst case, whatever an attacker queues: refused at once, or this bound."""
    policy = ThrottlePolicy(queue=queue)
    throttle = AccountThrottle(policy, clock=clock)
    held = []
    for n in range(2000):
        attempt = throttle.attempt("owner", source=f"bot{n}")
        if attempt.admitted:
            assert attempt.delay <= policy.longest_wait
            held.append(attempt)
        if n % 7 == 0 and held:  # now and then the oldest attempt is answered: a failure
            clock.now += 3
            held.pop(0).release()
            throttle.record_failure("owner")
    assert policy.longest_wait == queue * const.THROTTLE_MAX_DELAY


def test_memory_is_bounded(
    throttle: AccountThrottle, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hearth.auth.throttle.MAX_TRACKED_USERNAMES", 100)
    for _ in range(6):
        throttle.record_failure("target")
    for n in range(1000):
        throttle.record_failure(f"spray{n}")
    assert len(throttle) <= 100
    # Spraying one-off usernames does not evict a throttled account.
    assert throttle.failures("target") == 6
    assert wait(throttle, "target") > 0


def test_long_usernames_are_clipped(throttle: AccountThrottle) -> None:
    throttle.record_failure("x" * 100_000)
    assert throttle.failures("x" * 500) == 1


async def test_escalations_are_audited_and_logged(
    clock: Clock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database.open(tmp_path / const.DATABASE_FILE)
    try:
        throttle = AccountThrottle(audit=AuditLog(db), clock=clock)
        for _ in range(12):
            throttle.record_failure("alice")
        entries = await AuditLog(db).query(event="login_throttled")
    finally:
        db.close()
    delays = sorted(entry.details["delay"] for entry in entries)
    assert delays == [1, 2, 4, 8, 16, 30]  # each escalation once, not every failure
    assert {entry.username for entry in entries} == {"alice"}
    assert "Throttling logins for user 'alice'" in caplog.text


def test_username_in_log_is_escaped(
    throttle: AccountThrottle, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(3):
        throttle.record_failure("x\x1b' from 6.6.6.6")
    assert "user 'x?\\' from 6.6.6.6'" in caplog.text
