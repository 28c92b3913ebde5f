"""`firewall` and `reachability`: read-only host facts from crafted /etc, /run and /proc trees."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from hearth.check.checks import firewall, reachability
from hearth.check.checks.reachability import bound_addresses, interface_addresses
from hearth.check.context import Host
from tests.check.support import config_dir, context, finding_ids, write

FIB_TRIE = """\
Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     |-- 192.168.1.0
        /24 link UNICAST
     |-- 192.168.1.10
        /32 host LOCAL
Local:
  +-- 0.0.0.0/0 3 0 5
     |-- 127.0.0.1
        /32 host LOCAL
     |-- 203.0.113.7
        /32 host LOCAL
"""
IF_INET6 = (
    "00000000000000000000000000000001 01 80 10 80       lo\n"
    "20010db8000000000000000000000001 02 40 00 80     eth0\n"
    "fe800000000000000000000000000001 02 40 20 80     eth0\n"
)


def test_interface_addresses(tmp_path: Path) -> None:
    write(tmp_path / "proc", {"net/fib_trie": FIB_TRIE, "net/if_inet6": IF_INET6}, mode=0o444)
    assert [str(a) for a in interface_addresses(tmp_path / "proc")] == [
        "127.0.0.1",
        "192.168.1.10",
        "203.0.113.7",
        "::1",
        "2001:db8::1",
        "fe80::1",
    ]


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        (["0.0.0.0"], ["127.0.0.1", "192.168.1.10", "8.8.8.8"]),
        (["::"], ["::1"]),
        (["192.168.1.10", "hub.local"], ["192.168.1.10"]),
    ],
)
def test_bound_addresses(hosts: list[str], expected: list[str]) -> None:
    interfaces = [ipaddress.ip_address(a) for a in ("127.0.0.1", "192.168.1.10", "8.8.8.8", "::1")]
    assert [str(a) for a in bound_addresses(hosts, interfaces)] == expected


PUBLIC_TRIE = (
    "Local:\n     |-- 8.8.8.8\n        /32 host LOCAL\n"
    "     |-- 192.168.1.10\n        /32 host LOCAL\n"
)
NFT = (
    "table inet filter {{\n chain input {{\n"
    "  type filter hook input priority 0; policy {};\n }}\n}}\n"
)


@pytest.mark.parametrize(
    ("server_host", "expected"),
    [
        ("[0.0.0.0, '::']", ["host.public_address"]),
        ("192.168.1.10", []),
        ("127.0.0.1", []),
        ("8.8.8.8", ["host.public_address"]),
    ],
)
def test_public_address(tmp_path: Path, server_host: str, expected: list[str]) -> None:
    write(tmp_path / "host/proc", {"net/fib_trie": PUBLIC_TRIE}, mode=0o444)
    path = config_dir(tmp_path, f"http:\n  server_host: {server_host}\n")
    assert finding_ids(reachability.CHECK, context(path, Host(root=tmp_path / "host"))) == expected


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, ["host.no_firewall"]),
        ({"etc/ufw/ufw.conf": "# ufw\nENABLED=no\n"}, ["host.no_firewall"]),
        ({"etc/ufw/ufw.conf": "# ufw\nENABLED=yes\n"}, []),
        ({"run/firewalld/.keep": ""}, []),
    ],
)
def test_firewall_files(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    write(tmp_path / "host", {"etc/hostname": "hub\n", **files}, mode=0o644)
    path = config_dir(tmp_path, "homeassistant:\n")
    assert finding_ids(firewall.CHECK, context(path, Host(root=tmp_path / "host"))) == expected


@pytest.mark.parametrize(
    ("tool", "listing", "filters"),
    [
        ("nft", "", False),
        (
            "nft",
            NFT.format("drop"),
            True,
        ),
        (
            "nft",
            NFT.format("accept"),
            False,
        ),
        ("iptables", "-P INPUT ACCEPT\n", False),
        ("iptables", "-P INPUT DROP\n-A INPUT -i lo -j ACCEPT\n", True),
        ("iptables", "-P INPUT ACCEPT\n-A INPUT -p tcp --dport 8123 -j REJECT\n", True),
    ],
)
def test_ruleset_filters(tool: str, listing: str, filters: bool) -> None:
    assert firewall.ruleset_filters(tool, listing) is filters
