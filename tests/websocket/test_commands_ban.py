"""ban/list and ban/remove: administrators list and lift bans over the WebSocket."""

from __future__ import annotations

from ipaddress import ip_address

from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.http.ban import KEY_BANS

from .conftest import WsClient

Client = TestClient[web.Request, web.Application]


async def test_list_and_remove(client: Client, admin_ws: WsClient) -> None:
    assert await admin_ws.ok("ban/list") == []
    bans = client.app[KEY_BANS]
    await bans.ban("198.51.100.7", seconds=60, reason="scanner")
    listed = await admin_ws.ok("ban/list")
    assert [(b["ip"], b["reason"]) for b in listed] == [("198.51.100.7", "scanner")]
    lifted = await admin_ws.ok("ban/remove", ip="198.51.100.7")
    assert lifted["ip"] == "198.51.100.7"
    assert not bans.is_banned(ip_address("198.51.100.7"))
    assert await admin_ws.ok("ban/list") == []


async def test_remove_errors(admin_ws: WsClient) -> None:
    assert (await admin_ws.error("ban/remove", ip="198.51.100.7"))["code"] == "not_found"
    assert (await admin_ws.error("ban/remove", ip="nonsense"))["code"] == "invalid_format"
    assert (await admin_ws.error("ban/remove", ip=""))["code"] == "invalid_format"
    assert (await admin_ws.error("ban/remove", ip=7))["code"] == "invalid_format"
    assert (await admin_ws.error("ban/remove"))["code"] == "invalid_format"
    assert (await admin_ws.error("ban/list", extra=1))["code"] == "invalid_format"


async def test_admin_only(client: Client, user_ws: WsClient) -> None:
    await client.app[KEY_BANS].ban("198.51.100.7")
    assert (await user_ws.error("ban/list"))["code"] == "unauthorized"
    assert (await user_ws.error("ban/remove", ip="198.51.100.7"))["code"] == "unauthorized"
    assert client.app[KEY_BANS].is_banned(ip_address("198.51.100.7"))


async def test_invalid_token_on_the_websocket_counts(client: Client, admin_token: str) -> None:
    """auth_invalid counts toward the ban; at the threshold the upgrade itself is refused."""
    bans = client.app[KEY_BANS]
    threshold = bans.policy.threshold
    for _ in range(threshold):
        ws = await client.ws_connect("/api/websocket")
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": "wrong"})
        assert (await ws.receive_json())["type"] == "auth_invalid"
        await ws.close()
    async with client.get(
        "/api/websocket", headers={"Authorization": f"Bearer {admin_token}"}
    ) as resp:
        assert resp.status == 403


async def test_malformed_auth_message_does_not_count(client: Client) -> None:
    bans = client.app[KEY_BANS]
    for _ in range(bans.policy.threshold + 2):
        ws = await client.ws_connect("/api/websocket")
        await ws.receive_json()
        await ws.send_json({"type": "auth", "api_password": "x"})
        assert (await ws.receive_json())["type"] == "auth_invalid"
        await ws.close()
    assert bans.failures(ip_address("127.0.0.1")) == 0
    assert not bans.banned
