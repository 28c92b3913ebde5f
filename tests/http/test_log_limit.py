"""One warning per client per interval, in bounded memory."""

from __future__ import annotations

from hearth.http.log_limit import LogLimiter


def test_once_per_interval_per_key() -> None:
    now = [0.0]
    limiter = LogLimiter(interval=60, clock=lambda: now[0])
    assert limiter.allow("a")
    assert not limiter.allow("a")
    assert limiter.allow("b")
    now[0] = 59.9
    assert not limiter.allow("a")
    now[0] = 60.0
    assert limiter.allow("a")


def test_memory_is_bounded() -> None:
    limiter = LogLimiter(interval=60, clock=lambda: 0.0)
    for n in range(5000):
        assert limiter.allow(n)
    assert len(limiter._last) <= 1024
