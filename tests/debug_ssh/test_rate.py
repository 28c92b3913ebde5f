"""New connections per address: a burst, then a few a second (DHEat)."""

from __future__ import annotations

from hearth.debug_ssh.rate import ConnectRate


def test_burst_then_rate() -> None:
    now = [0.0]
    rate = ConnectRate(per_second=2.0, burst=10.0, clock=lambda: now[0])
    assert [rate.allow("a") for _ in range(12)] == [True] * 10 + [False] * 2
    assert rate.allow("b")  # another address has its own bucket
    now[0] += 0.5
    assert rate.allow("a")
    assert not rate.allow("a")
    now[0] += 100
    assert sum(rate.allow("a") for _ in range(20)) == 10  # never more than the burst


def test_bounded_memory() -> None:
    rate = ConnectRate(max_tracked=100)
    for client in range(1000):
        rate.allow(client)
    assert len(rate.buckets) == 100
