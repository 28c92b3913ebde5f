"""The ban policy as data: client keys, the /64 rule, the window, backoff, the allow-list."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.bans.policy import (
    PERMANENT,
    BanPolicy,
    BanRecord,
    client_key,
    client_text,
    host_key,
    policy_allowlist,
    stored_key,
)

HOUR = 3600.0
DAY = 86400.0


REMOTE = BanPolicy()
# As the hub builds it: IPv6 clients on local networks are counted per address.
HOME = BanPolicy(
    local_networks=policy_allowlist(["127.0.0.0/8", "::1/128", "fc00::/7", "fe80::/10"])
)


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.255"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::", "2001:db8:1:2::/64"),
        ("::", "::"),  # in ::/64, the /64 of ::1: treated as local
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff::/64"),
        # Local: per address.
        ("::1", "::1"),
        ("fd12:3456:789a:1::7", "fd12:3456:789a:1::7"),
        ("fe80::1:2", "fe80::1:2"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_client_text(address: str, shown: str) -> None:
    assert client_text(HOME.key(ip_address(address))) == shown


def test_without_local_networks_every_ipv6_client_is_a_64() -> None:
    assert client_text(REMOTE.key(IPv6Address("fd00::7"))) == "fd00::/64"
    assert client_text(REMOTE.key(IPv6Address("::1"))) == "::/64"


def test_key_ranges_never_collide() -> None:
    """0.0.0.0, ::/64 and the single address :: are three different clients."""
    keys = {
        HOME.key(IPv4Address("0.0.0.0")),
        REMOTE.key(IPv6Address("::")),
        HOME.key(IPv6Address("::")),
        HOME.key(IPv4Address("0.0.0.1")),
        REMOTE.key(IPv6Address("0:0:0:1::")),
        HOME.key(IPv6Address("::1")),
        host_key(IPv6Address("::1")),
    }
    assert len(keys) == 6  # the last two are the same client


def test_one_remote_ipv6_64_is_one_client() -> None:
    keys = {HOME.key(IPv6Address(f"2001:db8:aa:bb::{n:x}")) for n in range(1, 51)}
    assert len(keys) == 1
    assert HOME.key(IPv6Address("2001:db8:aa:bc::1")) not in keys


def test_local_ipv6_addresses_are_separate_clients() -> None:
    """On the home LAN every device shares the /64: one must not ban them all."""
    keys = {HOME.key(IPv6Address(f"fd12:3456:789a:1::{n:x}")) for n in range(1, 51)}
    assert len(keys) == 50


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_ipv6_keys_round_trip(value: int) -> None:
    address = IPv6Address(value)
    for policy in (HOME, REMOTE):
        key = policy.key(address)
        assert address in ip_network(client_text(key))
        assert stored_key(client_text(key)) == key
        assert policy.parse(client_text(key)) == key


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_ipv4_key_round_trips(value: int) -> None:
    key = HOME.key(IPv4Address(value))
    assert key == client_key(IPv4Address(value))
    assert stored_key(client_text(key)) == key
    assert HOME.parse(client_text(key)) == key


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("192.0.2.7", "192.0.2.7"),
        (" 192.0.2.7\n", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("2001:db8::5", "2001:db8::/64"),
        ("2001:db8::/64", "2001:db8::/64"),
        ("2001:db8::1/64", "2001:db8::/64"),
        ("2001:db8::5/128", "2001:db8::5"),
        ("fd00::5", "fd00::5"),
        ("fd00::5/64", "fd00::/64"),
    ],
)
def test_parse(text: str, shown: str) -> None:
    assert client_text(HOME.parse(text)) == shown


@pytest.mark.parametrize(
    "text",
    ["", "nonsense", "192.0.2.0/24", "192.0.2.7/32", "2001:db8::/48", "2001:db8::/96", "1.2.3"],
)
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"address|network|IPv6 /64"):
        HOME.parse(text)


@pytest.mark.parametrize("text", ["", "nonsense", "1.2.3.4/32", "::1/128", "01.2.3.4", "1.2.3"])
def test_stored_key_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="stored"):
        stored_key(text)


def test_lookup_keys_try_both_ipv6_forms() -> None:
    assert HOME.lookup_keys("192.0.2.7") == (client_key(IPv4Address("192.0.2.7")),)
    address = IPv6Address("fd00::5")
    assert HOME.lookup_keys("fd00::5") == (host_key(address), client_key(address))
    assert REMOTE.lookup_keys("fd00::5") == (client_key(address), host_key(address))
    assert HOME.lookup_keys("fd00::/64") == (client_key(address),)


@pytest.mark.parametrize(
    ("times", "now", "kept", "bans"),
    [
        ([], 100.0, [100.0], False),
        ([1.0, 2.0, 3.0], 4.0, [1.0, 2.0, 3.0, 4.0], False),
        ([1.0, 2.0, 3.0, 4.0], 5.0, [1.0, 2.0, 3.0, 4.0, 5.0], True),
        # The first failure left the 15-minute window: four, not five.
        ([0.0, 2.0, 3.0, 4.0], 900.0, [2.0, 3.0, 4.0, 900.0], False),
        ([0.0, 2.0, 3.0, 4.0], 900.5, [2.0, 3.0, 4.0, 900.5], False),
        ([1.0, 2.0, 3.0, 4.0], 900.5, [1.0, 2.0, 3.0, 4.0, 900.5], True),
        # Old failures beyond the window never count, however many.
        ([float(n) for n in range(100)], 10_000.0, [10_000.0], False),
        # At most `threshold` times are kept.
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 7.0, [3.0, 4.0, 5.0, 6.0, 7.0], True),
        # A time in the future (clock stepped back) is dropped rather than kept forever.
        ([5000.0], 10.0, [10.0], False),
    ],
)
def test_count_failure(times: list[float], now: float, kept: list[float], bans: bool) -> None:
    policy = BanPolicy(threshold=5, window=900.0)
    assert policy.count_failure(times, now) == (kept, bans)


def test_threshold_one_bans_at_the_first_failure() -> None:
    assert BanPolicy(threshold=1).count_failure([], 1.0) == ([1.0], True)


@pytest.mark.parametrize(
    ("offence", "seconds"),
    [
        (1, HOUR),
        (2, 2 * HOUR),
        (3, 4 * HOUR),
        (8, 128 * HOUR),
        (9, 7 * DAY),  # 256 h is past the cap
        (100, 7 * DAY),
        (10**9, 7 * DAY),
        (0, HOUR),
    ],
)
def test_backoff_doubles_up_to_the_cap(offence: int, seconds: float) -> None:
    assert BanPolicy().ban_seconds(offence) == seconds


def test_duration_zero_is_permanent() -> None:
    assert BanPolicy(duration=0).ban_seconds(1) == PERMANENT
    assert BanPolicy(duration=0).ban_seconds(5) == PERMANENT


def test_next_offence_remembers_for_max_duration() -> None:
    policy = BanPolicy(duration=HOUR, max_duration=DAY)
    assert policy.next_offence(None, 0.0) == 1
    ended = BanRecord("192.0.2.7", 0.0, 1000.0, offences=3)
    assert policy.next_offence(ended, 1000.0 + DAY) == 4
    assert policy.next_offence(ended, 1000.0 + DAY + 1) == 1
    permanent = BanRecord("192.0.2.7", 0.0, None, offences=3)
    assert policy.next_offence(permanent, 10.0) == 1


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("192.168.1.20", True),
        ("192.168.2.20", False),
        ("10.0.0.1", True),
        ("10.0.0.2", False),
        ("2001:db8:5::9", True),
        ("2001:db8:6::9", False),
        ("::ffff:192.168.1.20", False),  # not normalised here: client_ip() does that first
    ],
)
def test_allowlist(address: str, allowed: bool) -> None:
    policy = BanPolicy(
        allowlist=policy_allowlist(["192.168.1.0/24", "10.0.0.1", "2001:db8:5::/48"])
    )
    assert policy.allowed(ip_address(address)) is allowed


def test_a_64_holding_an_allowed_address_is_never_banned() -> None:
    """Banning the /64 would ban the allow-listed address in it."""
    policy = BanPolicy(allowlist=policy_allowlist(["2001:db8::5/128"]))
    assert policy.key_allowed(policy.parse("2001:db8::77"))
    assert not policy.key_allowed(policy.parse("2001:db8:0:1::77"))
    assert not policy.key_allowed(policy.parse("192.0.2.1"))


def test_allowlist_of_local_ipv6_addresses() -> None:
    policy = BanPolicy(
        allowlist=policy_allowlist(["fd00::5/128"]), local_networks=policy_allowlist(["fc00::/7"])
    )
    assert policy.allowed(IPv6Address("fd00::5"))
    assert not policy.allowed(IPv6Address("fd00::6"))  # counted per address: not covered
    assert policy.key_allowed(policy.parse("fd00::/64"))  # a /64 holding fd00::5


def test_record_as_dict() -> None:
    record = BanRecord("192.0.2.7", 0.0, 3600.0, 2, "auto", "5 failed logins")
    assert record.as_dict() == {
        "ip": "192.0.2.7",
        "banned_at": "1970-01-01T00:00:00+00:00",
        "expires_at": "1970-01-01T01:00:00+00:00",
        "offences": 2,
        "source": "auto",
        "reason": "5 failed logins",
    }
    assert record.active(3599.0)
    assert not record.active(3600.0)
    assert BanRecord("192.0.2.7", 0.0, None).expiry == PERMANENT
