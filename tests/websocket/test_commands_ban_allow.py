"""ban/allow/*: the allow-list edited at run time; public space only confirmed and small."""

from __future__ import annotations

from ipaddress import ip_address

from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.http.ban import KEY_BANS
from tests.websocket.conftest import WsClient

Client = TestClient[web.Request, web.Application]


def allowed(client: Client, ip: str) -> bool:
    policy = client.app[KEY_BANS].policy
    return policy.key_allowed(policy.key(ip_address(ip)))


async def test_private_network_is_allowed_at_once(admin_ws: WsClient, client: Client) -> None:
    assert not allowed(client, "192.168.5.7")
    entry = await admin_ws.ok("ban/allow/add", network="192.168.5.0/24")
    assert entry["network"] == "192.168.5.0/24"
    assert allowed(client, "192.168.5.7")
    listed = await admin_ws.ok("ban/allow/list")
    assert [e["network"] for e in listed["stored"]] == ["192.168.5.0/24"]
    again = await admin_ws.error("ban/allow/add", network="192.168.5.0/24")
    assert again["code"] == "conflict"
    await admin_ws.ok("ban/allow/remove", network="192.168.5.0/24")
    assert not allowed(client, "192.168.5.7")
    log = await admin_ws.ok("audit/log", event="ban_allow_added")
    assert log[0]["details"] == {"network": "192.168.5.0/24"}


async def test_public_space_needs_confirming_and_stays_small(
    admin_ws: WsClient, client: Client
) -> None:
    unconfirmed = await admin_ws.error("ban/allow/add", network="203.0.113.9")
    assert unconfirmed["code"] == "confirm_public"
    assert not allowed(client, "203.0.113.9")
    await admin_ws.ok("ban/allow/add", network="203.0.113.9", confirm_public=True)
    assert allowed(client, "203.0.113.9")
    wide = await admin_ws.error("ban/allow/add", network="198.51.100.0/24", confirm_public=True)
    assert wide["code"] == "invalid_format"
    assert not allowed(client, "198.51.100.1")


async def test_bad_input_and_users(admin_ws: WsClient, user_ws: WsClient) -> None:
    for bad in ("nonsense", "192.168.1.1/24", "0.0.0.0/0"):
        refused = await admin_ws.error("ban/allow/add", network=bad, confirm_public=True)
        assert refused["code"] == "invalid_format", bad
    assert (await admin_ws.error("ban/allow/remove", network="10.0.0.0/8"))["code"] == "not_found"
    assert (await user_ws.error("ban/allow/add", network="10.0.0.1"))["code"] == "unauthorized"
    assert (await user_ws.error("ban/allow/list"))["code"] == "unauthorized"
