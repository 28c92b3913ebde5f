"""GET /api/bans and DELETE /api/bans/{ip}: list and lift bans, administrators only."""

from __future__ import annotations

from ipaddress import ip_address

from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.auth.manager import AuthManager
from hearth.http.ban import KEY_BANS
from hearth.storage.audit import AuditLog

Client = TestClient[web.Request, web.Application]


async def test_list_bans(client: Client, admin_headers: dict[str, str]) -> None:
    async with client.get("/api/bans", headers=admin_headers) as resp:
        assert resp.status == 200
        assert await resp.json() == []
    bans = client.app[KEY_BANS]
    await bans.ban("198.51.100.7", seconds=3600, reason="test", source="cli")
    await bans.ban("2001:db8::9")
    async with client.get("/api/bans", headers=admin_headers) as resp:
        listed = await resp.json()
    assert [(b["ip"], b["source"], b["reason"]) for b in listed] == [
        ("198.51.100.7", "cli", "test"),
        ("2001:db8::/64", "cli", ""),
    ]
    assert listed[0]["expires_at"] is not None
    assert listed[1]["expires_at"] is None
    assert set(listed[0]) == {"ip", "banned_at", "expires_at", "offences", "source", "reason"}


async def test_lift_ban(client: Client, admin_headers: dict[str, str], auth: AuthManager) -> None:
    bans = client.app[KEY_BANS]
    await bans.ban("2001:db8:1:2::/64")
    async with client.delete("/api/bans/2001:db8:1:2::77", headers=admin_headers) as resp:
        assert resp.status == 200
        assert (await resp.json())["ip"] == "2001:db8:1:2::/64"
    assert not bans.is_banned(ip_address("2001:db8:1:2::77"))
    removed = await AuditLog(auth.db).query(event="ban_removed")
    assert [(entry.ip, entry.username) for entry in removed] == [("2001:db8:1:2::/64", "admin")]
    async with client.delete("/api/bans/2001:db8:1:2::77", headers=admin_headers) as resp:
        assert resp.status == 404
        assert await resp.json() == {"message": "This address is not banned."}


async def test_lift_ban_with_a_bad_address(client: Client, admin_headers: dict[str, str]) -> None:
    for bad in ("nonsense", "192.0.2.0%2F24", "1.2.3.4.5", "%00"):
        async with client.delete(f"/api/bans/{bad}", headers=admin_headers) as resp:
            assert resp.status == 400, bad
            assert resp.content_type == "application/json"


async def test_only_administrators(
    client: Client, user_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    await client.app[KEY_BANS].ban("198.51.100.7")
    for _ in range(10):
        async with client.get("/api/bans", headers=user_headers) as resp:
            assert resp.status == 403
        async with client.delete("/api/bans/198.51.100.7", headers=user_headers) as resp:
            assert resp.status == 403
    async with client.get("/api/bans") as resp:
        assert resp.status == 401
    # Ten permission denials did not ban the user's address, and the ban is still there.
    async with client.get("/api/bans", headers=admin_headers) as resp:
        assert resp.status == 200
        assert [ban["ip"] for ban in await resp.json()] == ["198.51.100.7"]
