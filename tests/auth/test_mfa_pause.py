"""Pauses after wrong MFA codes, per source and per account, as data."""

from __future__ import annotations

import pytest

from hearth.auth.mfa.pause import (
    ACCOUNT_BURST,
    ACCOUNT_INTERVAL,
    FIRST_PAUSE,
    FREE_FAILURES,
    MAX_PAUSE,
    MAX_SOURCES,
    SOURCE_FORGET_AFTER,
    FailurePause,
    Verdict,
    pause_source,
)

DAY = 86_400.0


def test_a_source_pause_doubles_up_to_the_cap() -> None:
    pause = FailurePause()
    for _ in range(FREE_FAILURES - 1):
        pause.failure("u", "a", 0.0)
    assert pause.retry_after("u", "a", 0.0) == 0.0
    pauses = []
    for _ in range(9):
        pause.failure("u", "a", 0.0)
        pauses.append(pause.retry_after("u", "a", 0.0))
    assert pauses[:7] == [30.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1800.0]
    assert pauses[0] == FIRST_PAUSE
    assert pauses[-1] >= MAX_PAUSE  # the account's budget is spent too by now


def test_thousands_of_failures_do_not_overflow() -> None:
    pause = FailurePause()
    for _ in range(5000):
        pause.failure("u", "a", 0.0)
    assert pause.verdict("u", "a", 0.0) is Verdict.PAUSED
    assert pause.retry_after("u", "a", 0.0) < 10 * DAY


# (misses as (source, time)..., the source asking, when) -> verdict
CASES = [
    ([], "b", 0.0, Verdict.CHECK),
    ([("a", 0.0)] * FREE_FAILURES, "a", 1.0, Verdict.PAUSED),
    ([("a", 0.0)] * FREE_FAILURES, "b", 1.0, Verdict.CHECK),  # the real user, elsewhere
    ([("a", 0.0)] * FREE_FAILURES, "a", FIRST_PAUSE, Verdict.CHECK),  # the pause is over
    # Misses from many sources spend the account's budget: nobody's codes are checked ...
    ([(f"s{n}", 0.0) for n in range(ACCOUNT_BURST)], "b", 1.0, Verdict.ACCOUNT_PAUSED),
    # ... until it refills, one check per interval.
    (
        [(f"s{n}", 0.0) for n in range(ACCOUNT_BURST)],
        "b",
        ACCOUNT_INTERVAL,
        Verdict.CHECK,
    ),
    ([(f"s{n}", 0.0) for n in range(ACCOUNT_BURST - 1)], "b", 1.0, Verdict.CHECK),
    # A source's misses are forgotten after a quiet day.
    ([("a", 0.0)] * (FREE_FAILURES + 6), "a", SOURCE_FORGET_AFTER + 1, Verdict.CHECK),
]


@pytest.mark.parametrize(("misses", "source", "now", "verdict"), CASES)
def test_verdicts(
    misses: list[tuple[str, float]], source: str, now: float, verdict: Verdict
) -> None:
    pause = FailurePause()
    for missed_from, at in misses:
        pause.failure("u", missed_from, at)
    assert pause.verdict("u", source, now) is verdict
    assert pause.verdict("other-user", source, now) is Verdict.CHECK


def simulate(sources: int, days: float) -> int:
    """Guesses an attacker gets by missing from every source as soon as it may be checked."""
    pause = FailurePause()
    guesses, now, tick = 0, 0.0, 5.0
    while now < days * DAY:
        for n in range(sources):
            if pause.verdict("u", f"s{n}", now) is Verdict.CHECK:
                pause.failure("u", f"s{n}", now)
                guesses += 1
        now += tick
    return guesses


@pytest.mark.parametrize(("sources", "most"), [(1, 60), (3, 120), (50, 120)])
def test_about_a_hundred_guesses_a_day_however_many_addresses(sources: int, most: int) -> None:
    assert simulate(sources, 1) <= most


def test_one_source_never_spends_the_account_budget() -> None:
    """So an attacker at one address, at full speed, never pauses the real user's codes."""
    pause = FailurePause()
    now = 0.0
    while now < 3 * DAY:
        if pause.verdict("u", "attacker", now) is Verdict.CHECK:
            pause.failure("u", "attacker", now)
        assert pause.verdict("u", "user", now) is Verdict.CHECK
        now += 5.0


def test_success_clears_only_that_source() -> None:
    pause = FailurePause()
    for source in ("a", "b"):
        for _ in range(FREE_FAILURES):
            pause.failure("u", source, 0.0)
    pause.success("u", "a")
    assert pause.verdict("u", "a", 1.0) is Verdict.CHECK
    assert pause.verdict("u", "b", 1.0) is Verdict.PAUSED
    assert pause.has_failed("u", "b", 1.0)
    assert not pause.has_failed("u", "a", 1.0)
    pause.clear("u")
    assert pause.verdict("u", "b", 1.0) is Verdict.CHECK


def test_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hearth.auth.mfa.pause.MAX_SOURCES", 100)
    pause = FailurePause()
    for n in range(1000):
        pause.failure("u", f"s{n}", float(n))
    assert len(pause._sources) == 100
    assert MAX_SOURCES >= 1000


@pytest.mark.parametrize(
    ("ip", "remote", "source"),
    [
        ("203.0.113.9", True, "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", True, "2001:db8:1:2::/64"),
        ("fd00::1:2", False, "fd00::1:2"),  # on the home network: each device apart
        ("::ffff:192.0.2.1", True, "192.0.2.1"),
        (None, False, ""),
        ("not an address", True, ""),
    ],
)
def test_pause_source(ip: str | None, remote: bool, source: str) -> None:
    assert pause_source(ip, remote=remote) == source
