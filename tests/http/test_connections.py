"""Connection caps as data: the counted unit, the per-address and total caps, the reserve."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address, ip_network

import pytest

from hearth.http.connections import ConnectionCounter, TooManyConnections
from hearth.http.network import NetworkSet


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.5", IPv4Address("203.0.113.5")),
        ("192.168.1.5", IPv4Address("192.168.1.5")),
        ("2001:db8:1:2:3:4:5:6", IPv6Network("2001:db8:1:2::/64")),  # remote: the whole /64
        ("fd00::1:2", IPv6Address("fd00::1:2")),  # local: each device on its own
        ("fe80::1", IPv6Address("fe80::1")),
        ("::1", IPv6Address("::1")),
    ],
)
def test_counted_unit(address: str, key: object) -> None:
    assert ConnectionCounter.key(ip_address(address)) == key


def test_counter_caps_and_releases() -> None:
    counter = ConnectionCounter(2, NetworkSet([ip_network("10.0.0.1/32")]))
    first = ip_address("2001:db8::1")
    neighbour = ip_address("2001:db8::2")  # same /64
    slot = counter.acquire(first)
    other = counter.acquire(neighbour)
    assert other.key == slot.key
    with pytest.raises(TooManyConnections) as refused:
        counter.acquire(first)
    assert not refused.value.total
    assert counter.acquire(ip_address("10.0.0.1")).key is None  # exempt, never counted
    assert counter.acquire(ip_address("2001:db8:0:1::1")).key is not None  # another /64
    assert counter.total == 4
    slot.release()
    other.release()
    assert slot.key not in counter.counts
    slot.release()  # an extra release is harmless
    assert slot.key not in counter.counts
    assert counter.total == 2


def test_total_cap_refuses_everyone_when_full() -> None:
    counter = ConnectionCounter(
        64, NetworkSet([ip_network("10.0.0.1/32")]), total_limit=4, reserve=0
    )
    slots = [counter.acquire(ip_address(f"192.168.1.{n}")) for n in range(1, 5)]
    for address in ("192.168.1.9", "10.0.0.1"):  # new addresses and exempt proxies alike
        with pytest.raises(TooManyConnections) as refused:
            counter.acquire(ip_address(address))
        assert refused.value.total
    slots[0].release()
    assert counter.acquire(ip_address("192.168.1.9")).key == IPv4Address("192.168.1.9")


def test_reserve_goes_to_addresses_holding_few() -> None:
    """Near the cap, an address holding many connections is refused; newcomers still get in."""
    counter = ConnectionCounter(64, total_limit=40, reserve=10, reserve_share=3)
    attackers = [ip_address(f"192.168.1.{n}") for n in range(1, 4)]
    for _ in range(10):
        for address in attackers:
            counter.acquire(address)
    assert counter.total == 30  # the reserve starts here
    for address in attackers:
        with pytest.raises(TooManyConnections) as refused:
            counter.acquire(address)
        assert refused.value.total
    phone = ip_address("192.168.1.50")
    for _ in range(3):
        counter.acquire(phone)
    with pytest.raises(TooManyConnections):
        counter.acquire(phone)  # its share of the reserve
    for n in range(51, 58):
        counter.acquire(ip_address(f"192.168.1.{n}"))
    assert counter.total == 40
    with pytest.raises(TooManyConnections):
        counter.acquire(ip_address("192.168.1.99"))  # full: nobody gets in
