"""The doubling pause after repeated wrong MFA codes."""

from __future__ import annotations

from hearth.auth.mfa_pause import FIRST_PAUSE, FREE_FAILURES, MAX_PAUSE, FailurePause


def test_pause_doubles_up_to_the_cap() -> None:
    pause = FailurePause()
    for _ in range(FREE_FAILURES - 1):
        pause.failure("u", 0.0)
    assert pause.retry_after("u", 0.0) == 0.0
    pauses = []
    for _ in range(8):
        pause.failure("u", 0.0)
        pauses.append(pause.retry_after("u", 0.0))
    assert pauses == [30.0, 60.0, 120.0, 240.0, 480.0, 900.0, 900.0, 900.0]
    assert pause.retry_after("other", 0.0) == 0.0
    pause.clear("u")
    assert pause.retry_after("u", 0.0) == 0.0
    assert pauses[0] == FIRST_PAUSE
    assert pauses[-1] == MAX_PAUSE


def test_thousands_of_failures_do_not_overflow() -> None:
    pause = FailurePause()
    for _ in range(5000):
        pause.failure("u", 0.0)
    assert pause.retry_after("u", 0.0) == MAX_PAUSE
