"""Bans behind a real nginx: the client nginx reports is banned, never nginx itself."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.acceptance.ban_support import (
    StartHub,
    bans_listed,
    failure_lines,
    start_ban_hub_fixture,  # noqa: F401 - a fixture
)
from tests.acceptance.nginx import Nginx, NginxFactory, through
from tests.acceptance.support import HOST, tampered

pytestmark = pytest.mark.acceptance

BEHIND_NGINX = (
    f"  use_x_forwarded_for: true\n  trusted_proxies: [{HOST}]\n  login_attempts_threshold: 3\n"
)


async def ws_auth_through(proxy: Nginx, source: str, token: str) -> str:
    """The verdict (auth_ok / auth_invalid) of a WebSocket handshake through nginx."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        url = f"ws://{HOST}:{proxy.port}/api/websocket"
        async with session.ws_connect(url) as ws:
            assert (await ws.receive_json(timeout=5))["type"] == "auth_required"
            await ws.send_json({"type": "auth", "access_token": token})
            verdict: str = (await ws.receive_json(timeout=5))["type"]
            return verdict


async def ws_upgrade_status(proxy: Nginx, source: str) -> int:
    """The HTTP status nginx relays for a WebSocket upgrade from `source`."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        url = f"ws://{HOST}:{proxy.port}/api/websocket"
        try:
            async with session.ws_connect(url):
                return 101
        except aiohttp.WSServerHandshakeError as err:
            return err.status


def test_ban_applies_to_the_client_nginx_reports(
    start_ban_hub: StartHub, nginx_factory: NginxFactory
) -> None:
    hub = start_ban_hub(BEHIND_NGINX)
    proxy = nginx_factory(hub.port)
    wrong = tampered(hub.token)
    attacker, neighbour = "127.0.0.2", "127.0.0.3"
    statuses = [
        through(proxy, "/api/states", token=wrong, source=attacker).status for _ in range(3)
    ]
    assert statuses == [401, 401, 401]
    assert through(proxy, "/api/", token=hub.token, source=attacker).status == 403
    # nginx itself, and everyone else behind it, are not affected.
    assert through(proxy, "/api/", token=hub.token, source=neighbour).status == 200
    assert [ban["ip"] for ban in bans_listed(hub)] == [attacker]
    assert len(failure_lines(hub, attacker)) == 3
    assert failure_lines(hub, HOST) == []


def test_many_clients_failing_through_nginx_never_ban_nginx(
    start_ban_hub: StartHub, nginx_factory: NginxFactory
) -> None:
    """Thirty failures through one proxy, two per client: below every client's threshold."""
    hub = start_ban_hub(BEHIND_NGINX)
    proxy = nginx_factory(hub.port)
    clients = [f"127.0.0.{n}" for n in range(10, 25)]
    for _ in range(2):
        for client in clients:
            assert through(proxy, "/api/states", token="x", source=client).status == 401
    for client in clients:
        assert through(proxy, "/api/", token=hub.token, source=client).status == 200
    assert bans_listed(hub) == []


def test_websocket_failures_through_nginx_ban_the_client(
    start_ban_hub: StartHub, nginx_factory: NginxFactory
) -> None:
    hub = start_ban_hub(BEHIND_NGINX)
    proxy = nginx_factory(hub.port)
    attacker, neighbour = "127.0.0.4", "127.0.0.5"
    for _ in range(3):
        assert asyncio.run(ws_auth_through(proxy, attacker, "not-a-token")) == "auth_invalid"
    assert asyncio.run(ws_upgrade_status(proxy, attacker)) == 403
    assert asyncio.run(ws_auth_through(proxy, neighbour, hub.token)) == "auth_ok"
    assert [ban["ip"] for ban in bans_listed(hub)] == [attacker]
