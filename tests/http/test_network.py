"""Which addresses are local; the socket peer; the per-request local check."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.config.schema import Config, HttpSection
from hearth.http.keys import KEY_CONFIG, REQ_CLIENT_IP
from hearth.http.network import (
    NetworkSet,
    is_local,
    local_networks,
    normalize,
    peer_address,
    request_is_local,
)
from tests.conftest import AiohttpClient

LOCAL = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "192.168.255.255",
    "100.64.0.1",
    "100.127.255.255",
    "169.254.1.1",
    "::1",
    "fc00::1",
    "fd12:3456:789a::1",
    "fe80::1",
    "febf::1",
    "::ffff:192.168.1.10",
    "::ffff:127.0.0.1",
]
PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "203.0.113.7",  # documentation ranges are not local
    "192.0.2.1",
    "198.51.100.1",
    "172.15.255.255",
    "172.32.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "11.0.0.0",
    "0.0.0.0",
    "255.255.255.255",
    "2001:db8::1",
    "2a00:1450::1",
    "fec0::1",
    "::",
    "::ffff:8.8.8.8",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1: a remote client behind NAT64 is not local
]


@pytest.mark.parametrize("text", LOCAL)
def test_local_addresses(text: str) -> None:
    assert is_local(ip_address(text))
    assert normalize(ip_address(text)) in local_networks()


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses(text: str) -> None:
    assert not is_local(ip_address(text))
    assert normalize(ip_address(text)) not in local_networks()


def test_extra_local_networks() -> None:
    assert not is_local(ip_address("203.0.113.7"))
    assert is_local(ip_address("203.0.113.7"), ["203.0.113.0/24"])
    assert is_local(ip_address("2001:db8::5"), [ip_network("2001:db8::/32")])
    assert ip_address("203.0.113.7") in local_networks(["203.0.113.0/24"])


def test_network_set_separates_families_and_memoises() -> None:
    networks = NetworkSet([ip_network("10.0.0.0/8"), ip_network("::/0"), ip_network("10.0.0.0/8")])
    assert networks.networks == (ip_network("10.0.0.0/8"), ip_network("::/0"))
    assert IPv4Address("10.1.2.3") in networks
    assert IPv4Address("11.1.2.3") not in networks  # ::/0 matches no IPv4 address
    assert IPv6Address("2001:db8::1") in networks
    assert "10.1.2.3" not in networks  # only address objects are members
    assert not NetworkSet()
    for n in range(10_000):  # a flood of addresses keeps the memo bounded
        assert IPv4Address(n) not in networks
    assert len(networks._memo) <= 4096


@pytest.mark.parametrize(
    ("peername", "expected"),
    [
        (("192.168.1.2", 5555), IPv4Address("192.168.1.2")),
        (("::ffff:10.0.0.1", 5555, 0, 0), IPv4Address("10.0.0.1")),
        (("fe80::1%eth0", 5555, 0, 2), ip_address("fe80::1%eth0")),
        (None, IPv6Address("::")),
        ("", IPv6Address("::")),
        (("not an address", 1), IPv6Address("::")),
    ],
)
def test_peer_address(peername: Any, expected: Any) -> None:
    assert peer_address(peername) == expected


async def _probe(request: web.Request) -> web.Response:
    return web.json_response({"local": request_is_local(request)})


@pytest.mark.parametrize(
    ("client", "extra", "local"),
    [
        (None, [], True),  # the test client's loopback peer
        ("203.0.113.9", [], False),
        ("203.0.113.9", ["203.0.113.0/24"], True),
        ("10.1.1.1", [], True),
    ],
)
async def test_request_is_local_uses_the_real_client(
    aiohttp_client: AiohttpClient, client: str | None, extra: list[str], local: bool
) -> None:
    @web.middleware
    async def pretend(request: web.Request, handler: Any) -> web.StreamResponse:
        if client is not None:
            request[REQ_CLIENT_IP] = ip_address(client)
        return await handler(request)

    app = web.Application(middlewares=[pretend])
    app[KEY_CONFIG] = Config(http=HttpSection(local_networks=extra))
    app.router.add_get("/", _probe)
    test_client: TestClient[Any, Any] = await aiohttp_client(app)
    resp = await test_client.get("/")
    assert await resp.json() == {"local": local}
