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


def test_delay_grows_after_the_free_failures(throttle: AccountThrottle, clock: Clock) -> None:
    delays = []
    for _ in range(9):
        delays.append(throttle.delay_for("alice"))
        throttle.record_failure("alice")
    delays.append(throttle.delay_for("alice"))
    assert delays == [0, 0, 0, 1, 2, 4, 8, 16, 30, 30]


def test_waiting_out_the_delay_costs_nothing_more(throttle: AccountThrottle, clock: Clock) -> None:
    for _ in range(5):
        throttle.record_failure("alice")
    clock.now += 3
    assert throttle.delay_for("alice") == 1  # 4 s after the last failure
    throttle.record_failure("alice")  # that attempt failed too: now 8 s
    clock.now += 8
    assert throttle.delay_for("alice") == 0


def test_other_usernames_are_not_affected(throttle: AccountThrottle) -> None:
    for _ in range(10):
        throttle.record_failure("alice")
    assert throttle.delay_for("bob") == 0
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
    assert throttle.delay_for("alice") == 0
    assert throttle.failures("alice") == 0


def test_failures_are_forgotten_after_quiet(throttle: AccountThrottle, clock: Clock) -> None:
    for _ in range(8):
        throttle.record_failure("alice")
    clock.now += const.THROTTLE_FORGET_AFTER + 1
    assert throttle.delay_for("alice") == 0
    assert throttle.failures("alice") == 0


def test_parallel_attempts_are_spaced_out(throttle: AccountThrottle, clock: Clock) -> None:
    """Attempts that arrive together each reserve the next slot instead of all passing at once."""
    for _ in range(4):
        throttle.record_failure("alice")  # step 2 s
    waits = [throttle.delay_for("alice") for _ in range(5)]
    assert waits == [2, 4, 6, 8, 10]


def test_no_lockout_the_owner_waits_at_most_max_delay(
    throttle: AccountThrottle, clock: Clock
) -> None:
    """However many attempts an attacker queues up, the owner's attempt waits max_delay at most."""
    for _ in range(50):
        throttle.record_failure("owner")
    for _ in range(10_000):
        assert throttle.delay_for("owner") <= const.THROTTLE_MAX_DELAY
    owner_wait = throttle.delay_for("owner")
    assert owner_wait == const.THROTTLE_MAX_DELAY
    clock.now += owner_wait
    throttle.record_success("owner")
    assert throttle.delay_for("owner") == 0


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
    assert throttle.delay_for("target") > 0


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
