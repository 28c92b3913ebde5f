"""Account management over a real WebSocket, as a second administrator would attack it: the
owner's account stays the owner's, removing a second factor needs a factor of the acting admin,
and a user made `local_only` is cut off from outside at once."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import pyotp
import pytest

from tests.acceptance.support import (
    PASSWORD,
    USERNAME,
    HubFactory,
    RunningHub,
    create_token,
    create_user,
    request,
)
from tests.acceptance.support_login import log_in
from tests.acceptance.support_ws import assert_ws_error, expect_closed, ws_auth, ws_result

pytestmark = pytest.mark.acceptance

NEW_PASSWORD = "vermilion otter juggles quietly"
# The test client on 127.0.0.1 plays a reverse proxy that reports a client on the internet.
REMOTE_VIA_PROXY = (
    "  use_x_forwarded_for: true\n  trusted_proxies: [127.0.0.1]\n  remote_access: true\n"
)
INTERNET = {"X-Forwarded-For": "203.0.113.5"}


def add_users(hub: RunningHub, **admin: bool) -> dict[str, str]:
    """Users made with the CLI while the hub runs (in parallel: each CLI start costs seconds);
    returns a token per username that the hub already accepts."""

    def add(username: str) -> str:
        create_user(hub.config_dir, username, admin=admin[username])
        return create_token(hub.config_dir, username)

    with ThreadPoolExecutor(len(admin)) as pool:
        tokens = dict(zip(admin, pool.map(add, admin), strict=True))
    deadline = time.monotonic() + 5
    for token in tokens.values():
        while request(hub, "GET", "/api/", token=token).status != 200:
            assert time.monotonic() < deadline, "the hub did not pick up the new user"
            time.sleep(0.1)
    return tokens


class Ws:
    """One authenticated connection with numbered commands."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0

    async def command(self, msg_type: str, **fields: Any) -> dict[str, Any]:
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "type": msg_type, **fields})
        return dict(await ws_result(self.ws, self.next_id))

    async def ok(self, msg_type: str, **fields: Any) -> Any:
        reply = await self.command(msg_type, **fields)
        assert reply["success"] is True, reply
        return reply["result"]

    async def refused(self, msg_type: str, code: str, **fields: Any) -> None:
        reply = await self.command(msg_type, **fields)
        assert_ws_error(reply, self.next_id, {code})


async def connect(
    session: aiohttp.ClientSession, hub: RunningHub, token: str, **headers: str
) -> Ws:
    ws = await session.ws_connect(hub.ws_url, headers=headers)
    await ws_auth(ws, token)
    return Ws(ws)


async def enrol(ws: Ws) -> pyotp.TOTP:
    form = await ws.ok("auth/setup_mfa", mfa_module_id="totp")
    totp = pyotp.TOTP(form["description_placeholders"]["code"])
    await ws.ok("auth/setup_mfa", flow_id=form["flow_id"], user_input={"code": totp.now()})
    return totp


async def users_by_name(ws: Ws) -> dict[str, dict[str, Any]]:
    return {user["username"]: user for user in await ws.ok("config/auth/list")}


async def owner_attacked(hub: RunningHub, deputy_token: str) -> None:
    async with aiohttp.ClientSession() as session:
        owner = await connect(session, hub, hub.token)
        deputy = await connect(session, hub, deputy_token)
        await enrol(owner)
        owner_id = (await users_by_name(deputy))[USERNAME]["id"]
        assert (await users_by_name(deputy))[USERNAME]["is_owner"] is True

        # Take over: set the owner's password, then log in as the owner.
        await deputy.refused(
            "config/auth_provider/homeassistant/admin_change_password",
            "unauthorized",
            user_id=owner_id,
            password=NEW_PASSWORD,
        )
        # Lock out: make the owner local-only, rename, deactivate, demote; strip their MFA.
        for change in (
            {"local_only": True},
            {"name": "Not the owner"},
            {"is_active": False},
            {"group_ids": ["system-users"]},
        ):
            await deputy.refused("config/auth/update", "unauthorized", user_id=owner_id, **change)
        await deputy.refused(
            "auth/depose_mfa", "unauthorized", mfa_module_id="totp", user_id=owner_id
        )
        # Sending the owner's unchanged values back (what a settings dialog does) is fine.
        same = {"name": (await users_by_name(deputy))[USERNAME]["name"], "local_only": False}
        await deputy.ok("config/auth/update", user_id=owner_id, **same)
        # Nothing changed, and the owner's connection is still open.
        assert (await owner.command("auth/current_user"))["success"] is True
        after = (await users_by_name(owner))[USERNAME]
        assert (after["local_only"], after["is_active"]) == (False, True)
        assert (await owner.ok("auth/mfa_status"))["mfa_modules"][0]["enabled"] is True

        # The owner manages their own account.
        await owner.ok("config/auth/update", user_id=owner_id, name="Owner")
        # An admin still manages another admin: here the owner demotes the deputy.
        deputy_id = (await users_by_name(owner))["deputy"]["id"]
        await owner.ok("config/auth/update", user_id=deputy_id, group_ids=["system-users"])
        assert (await expect_closed(deputy.ws)).extra == "Token revoked."


def test_a_second_admin_cannot_take_over_or_lock_out_the_owner(hub: RunningHub) -> None:
    deputy = add_users(hub, deputy=True)["deputy"]
    asyncio.run(owner_attacked(hub, deputy))
    assert request(hub, "GET", "/api/", token=hub.token).status == 200
    # The owner's password is unchanged: the old one still logs in (then asks for the code).
    assert "Login failed for user 'admin'" not in hub.log()


async def depose_as_admin(hub: RunningHub, admin_token: str, user_token: str) -> None:
    async with aiohttp.ClientSession() as session:
        resident = await connect(session, hub, user_token)
        admin = await connect(session, hub, admin_token)
        await enrol(resident)
        resident_id = (await resident.ok("auth/current_user"))["id"]
        target = {"mfa_module_id": "totp", "user_id": resident_id}
        # The admin has no MFA: a stolen session alone must not strip the resident's.
        await admin.refused("auth/depose_mfa", "password_required", **target)
        await admin.refused(
            "auth/depose_mfa", "invalid_current_password", **target, password="a guess"
        )
        assert (await resident.ok("auth/mfa_status"))["mfa_modules"][0]["enabled"] is True
        assert await admin.ok("auth/depose_mfa", **target, password=PASSWORD) == "done"
        assert (await resident.ok("auth/mfa_status"))["mfa_modules"][0]["enabled"] is False


def test_an_admin_without_mfa_needs_their_password_to_remove_someones_mfa(
    hub_factory: HubFactory,
) -> None:
    # mfa_required: none, so that the deputy (an admin without MFA) may keep working.
    hub = hub_factory("auth:\n  mfa_required: none\n")
    tokens = add_users(hub, deputy=True, resident=False)
    asyncio.run(depose_as_admin(hub, tokens["deputy"], tokens["resident"]))
    assert "Login failed for user 'deputy' from 127.0.0.1: invalid_current_password" in hub.log()


async def made_local_only(hub: RunningHub, user_token: str) -> None:
    async with aiohttp.ClientSession() as session:
        away = await connect(session, hub, user_token, **INTERNET)
        home = await connect(session, hub, user_token)
        owner = await connect(session, hub, hub.token)
        assert (await away.command("get_states"))["success"] is True
        user_id = (await users_by_name(owner))["resident"]["id"]
        start = time.monotonic()
        await owner.ok("config/auth/update", user_id=user_id, local_only=True)
        closed = await expect_closed(away.ws)
        assert time.monotonic() - start < 1.0
        assert closed.extra == "Token revoked."
        await expect_closed(home.ws)  # the local one may simply reconnect ...
        again = await connect(session, hub, user_token)
        assert (await again.command("get_states"))["success"] is True
        # ... the remote one may not.
        refused = await session.ws_connect(hub.ws_url, headers=INTERNET)
        assert (await refused.receive_json(timeout=5))["type"] == "auth_required"
        await refused.send_json({"type": "auth", "access_token": user_token})
        assert (await refused.receive_json(timeout=5))["type"] == "auth_invalid"


def test_making_a_user_local_only_closes_their_remote_websockets(
    hub_factory: HubFactory,
) -> None:
    hub = hub_factory(http_extra=REMOTE_VIA_PROXY)
    resident = add_users(hub, resident=False)["resident"]
    asyncio.run(made_local_only(hub, resident))
    assert request(hub, "GET", "/api/", token=resident).status == 200
    assert request(hub, "GET", "/api/", token=resident, headers=INTERNET).status == 403
    assert log_in(hub)  # the owner is unaffected
