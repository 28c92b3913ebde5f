"""The Host check as data: parsing host[:port], and which names and addresses are the hub's."""

from __future__ import annotations

from ipaddress import ip_address

import pytest
from pydantic import ValidationError

from hearth.config.schema import HttpSection
from hearth.http.host_check import AllowedHosts, split_host


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hub.local", ("hub.local", None)),
        ("Hub.Local.:8123", ("hub.local", None)),
        ("127.0.0.1:8123", ("127.0.0.1", ip_address("127.0.0.1"))),
        ("[::1]:8123", ("::1", ip_address("::1"))),
        ("[::ffff:192.168.1.5]", ("::ffff:192.168.1.5", ip_address("192.168.1.5"))),
        ("[FE80::1]", ("fe80::1", ip_address("fe80::1"))),
    ],
)
def test_split_host(value: str, expected: object) -> None:
    assert split_host(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "::1",
        "[::1",
        "[::1]x",
        "hub:0",
        "hub:65536",
        "hub:x",
        "a b",
        "hub/x",
        "hub@x",
        "[1.2.3.4]",
    ],
)
def test_split_host_refuses_malformed(value: str) -> None:
    assert split_host(value) is None


def _hosts(**http: object) -> AllowedHosts:
    return AllowedHosts.from_config(HttpSection.model_validate(http))


def test_configured_and_default_names() -> None:
    hosts = _hosts(
        server_host=["192.168.1.10", "hub.home.example"], allowed_hosts=["Extra.Example."]
    )
    for value in (
        "hub.home.example",
        "HUB.home.example.:8123",
        "extra.example",
        "192.168.1.10:8123",
        "localhost",
        "127.0.0.5",  # loopback is always the machine itself
        "[::1]",
    ):
        assert hosts.allows(value), value
    for value in ("home.example", "hub.home.example.attacker.example", "192.168.1.11"):
        assert not hosts.allows(value), value


def test_wildcard_binding_accepts_this_machines_addresses_only() -> None:
    hosts = _hosts()  # 0.0.0.0 and ::
    assert hosts.any_own_address
    assert hosts.allows("127.0.0.1")
    assert not hosts.allows("192.0.2.1")  # TEST-NET: never assigned here
    assert not hosts.allows("[2001:db8::1]")


def test_bound_addresses_count() -> None:
    hosts = _hosts(server_host=["hub.home.example"])
    assert not hosts.allows("192.0.2.44")
    hosts.add_bound([("192.0.2.44", 8123)])
    assert hosts.allows("192.0.2.44:8123")


def test_certificate_names_with_wildcards_and_renewal() -> None:
    served = [["*.home.example"]]  # a renewal replaces the list (hearth.http.server)
    hosts = AllowedHosts.from_config(
        HttpSection(server_host=["127.0.0.1"]), certificate_names=lambda: served[0]
    )
    assert hosts.allows("hub.home.example")
    assert not hosts.allows("a.b.home.example")  # a wildcard covers one label
    assert not hosts.allows("home.example")
    served[0] = ["renewed.example"]
    assert hosts.allows("renewed.example")
    assert not hosts.allows("hub.home.example")


def test_address_memo_is_bounded() -> None:
    hosts = _hosts()
    for last in range(600):
        hosts.allows(f"198.51.{last // 256}.{last % 256}")
    assert len(hosts._memo) <= 256


def test_allowed_hosts_setting_is_validated() -> None:
    assert HttpSection.model_validate({"allowed_hosts": "hub.example"}).allowed_hosts == [
        "hub.example"
    ]
    for bad in ("*", "*.example.com", "http://hub.example", "hub.example:8123", "a b"):
        with pytest.raises(ValidationError, match="expected an IP address or a hostname"):
            HttpSection.model_validate({"allowed_hosts": [bad]})
