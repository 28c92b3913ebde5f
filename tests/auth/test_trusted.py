"""The trusted_networks provider: who may log in without a password, and from where."""

from __future__ import annotations

from ipaddress import ip_address, ip_network
from types import SimpleNamespace

import pytest

from hearth.auth.trusted import TrustedEntry, TrustedNetworks, proxy_conflict
from hearth.config.schema import AuthSection


def section(*entries: dict[str, object]) -> AuthSection:
    return AuthSection.model_validate({"trusted_networks": list(entries)})


def test_nothing_is_trusted_by_default() -> None:
    trusted = TrustedNetworks.from_config(AuthSection())
    assert not trusted
    for address in ("127.0.0.1", "::1", "192.168.1.1", "10.0.0.1"):
        assert trusted.usernames_for(ip_address(address)) == ()


def test_listed_network_allows_listed_users() -> None:
    trusted = TrustedNetworks.from_config(
        section(
            {"networks": ["192.168.50.0/24"], "users": ["Kitchen", "hall"]},
            {"networks": "fd00:50::/64", "users": "kitchen"},
            {"networks": ["192.168.50.128/25"], "users": ["garage"]},
        )
    )
    assert trusted.usernames_for(ip_address("192.168.50.7")) == ("kitchen", "hall")
    assert trusted.usernames_for(ip_address("192.168.50.200")) == ("kitchen", "hall", "garage")
    assert trusted.usernames_for(ip_address("fd00:50::9")) == ("kitchen",)
    assert trusted.usernames_for(ip_address("192.168.51.7")) == ()
    assert trusted.usernames_for(ip_address("127.0.0.1")) == ()


def test_loopback_is_allowed_but_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    trusted = TrustedNetworks.from_config(section({"networks": ["127.0.0.1/32"], "users": ["x"]}))
    assert trusted.includes_loopback()
    assert "SSH" in caplog.text


@pytest.mark.parametrize(
    ("networks", "proxies", "conflict"),
    [
        (["192.168.1.0/24"], ["192.168.1.10"], True),
        (["192.168.1.0/24"], ["192.168.0.0/16"], True),
        (["192.168.1.0/24"], ["10.0.0.2"], False),
        (["fd00::/64"], ["fd00::1"], True),
        (["fd00::/64"], ["192.168.1.1"], False),
        (["192.168.1.0/24"], [], False),
    ],
)
def test_proxy_conflicts(networks: list[str], proxies: list[str], conflict: bool) -> None:
    http = SimpleNamespace(trusted_proxies=[ip_network(p, strict=False) for p in proxies])
    problem = proxy_conflict(section({"networks": networks, "users": ["x"]}), http)
    assert (problem is not None) is conflict
    if problem is not None:
        assert "trusted_networks[0].networks[0]" in problem
        for value in networks + proxies:
            assert value not in problem  # values may come from secrets.yaml


def test_entries_are_plain_values() -> None:
    entry = TrustedEntry((ip_network("10.1.0.0/16"),), ("a",))
    assert TrustedNetworks([entry]).usernames_for(ip_address("10.1.2.3")) == ("a",)
