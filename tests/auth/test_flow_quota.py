"""Address groups, creation allowances and the largest holders of login flows, as data."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from hearth.auth.flow_quota import CreationAllowance, Group, GroupCounts, flow_group


@pytest.mark.parametrize(
    ("ip", "remote", "group"),
    [
        ("203.0.113.77", True, ip_network("203.0.113.0/24")),
        ("2001:db8:1:2:aaaa::1", True, ip_network("2001:db8:1:2::/64")),
        ("192.168.1.20", False, ip_address("192.168.1.20")),  # each device at home apart
        ("fd00::1:2", False, ip_address("fd00::1:2")),
        ("127.0.4.9", False, ip_address("127.0.4.9")),
    ],
)
def test_flow_group(ip: str, remote: bool, group: Group) -> None:
    assert flow_group(ip_address(ip), remote=remote) == group


# (times of creations) -> which ones were within the allowance (burst 3, one more per 10 s)
ALLOWANCES = [
    ([0, 0, 0], [True, True, True]),
    ([0, 0, 0, 0, 0], [True, True, True, False, False]),
    ([0, 0, 0, 0, 10, 10], [True, True, True, False, True, False]),
    ([0, 0, 0, 30, 30, 30, 30], [True, True, True, True, True, True, False]),
    ([0, 5, 10, 15, 20, 25, 30], [True, True, True, True, True, False, True]),
    ([0, 10, 20, 30, 40, 50, 60], [True] * 7),  # a person reloading the page now and then
]


@pytest.mark.parametrize(("times", "within"), ALLOWANCES)
def test_creation_allowance(times: list[float], within: list[bool]) -> None:
    allowance = CreationAllowance(burst=3, interval=10.0)
    group = ip_address("192.0.2.1")
    assert [allowance.spend(group, float(at)) for at in times] == within
    assert allowance.spend(ip_address("192.0.2.2"), float(times[-1]))  # its own allowance


def test_creation_allowance_memory_is_bounded() -> None:
    allowance = CreationAllowance(burst=1, interval=10.0, max_groups=100)
    for n in range(1000):
        allowance.spend(ip_address(f"10.0.{n // 256}.{n % 256}"), 0.0)
    assert len(allowance) == 100


def test_group_counts_largest_first() -> None:
    counts = GroupCounts()
    a, b, c = (ip_address(f"192.0.2.{n}") for n in (1, 2, 3))
    for group, flows in ((a, 2), (b, 5), (c, 2)):
        for _ in range(flows):
            counts.add(group)
    assert list(counts.largest_first()) == [b, a, c]
    for _ in range(4):
        counts.remove(b)
    assert list(counts.largest_first()) == [a, c, b]
    assert counts.count(b) == 1
    counts.remove(b)
    counts.remove(b)  # below zero is ignored
    assert counts.count(b) == 0
    assert list(counts.largest_first()) == [a, c]
