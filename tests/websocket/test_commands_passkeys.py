"""auth/passkeys/* over a live WebSocket: your own passkeys only; removal needs the password;
administrators see counts, never credentials."""

from __future__ import annotations

import orjson
from aiohttp import web

from hearth.auth.models import User
from hearth.auth.passkeys.ceremony import RelyingParty
from hearth.http.keys import KEY_PASSKEYS
from tests.auth.soft_authenticator import SoftAuthenticator
from tests.conftest import STRONG_PASSWORD
from tests.websocket.conftest import WsClient

RP = RelyingParty(id="localhost", origin="http://localhost:8123")


async def register(app: web.Application, user: User) -> SoftAuthenticator:
    passkeys = app[KEY_PASSKEYS]
    device = SoftAuthenticator(origin=RP.origin, rp_id=RP.id)
    ceremony_id, options = passkeys.begin_registration(user, RP, ip="127.0.0.1")
    reply = orjson.dumps(device.create(options)).decode()
    await passkeys.finish_registration(
        user, ceremony_id, reply, "Laptop", rp=RP, ip="127.0.0.1", user_agent=None
    )
    return device


async def test_list_rename_remove_your_own(
    app: web.Application, user_ws: WsClient, plain_user: User, admin_user: User
) -> None:
    device = await register(app, plain_user)
    admins = await register(app, admin_user)
    [listed] = await user_ws.ok("auth/passkeys/list")
    assert listed["id"] == device.id
    assert "public_key" not in listed
    await user_ws.ok("auth/passkeys/rename", passkey_id=device.id, name="Phone")
    assert (await user_ws.ok("auth/passkeys/list"))[0]["name"] == "Phone"
    # Someone else's passkey is not found, whatever the id.
    missing = await user_ws.error("auth/passkeys/rename", passkey_id=admins.id, name="x")
    assert missing["code"] == "not_found"
    wrong = await user_ws.error(
        "auth/passkeys/remove", passkey_id=device.id, password="not the password at all"
    )
    assert wrong["code"] == "invalid_current_password"
    await user_ws.ok("auth/passkeys/remove", passkey_id=device.id, password=STRONG_PASSWORD)
    assert await user_ws.ok("auth/passkeys/list") == []
    assert (await user_ws.error("auth/passkeys/counts"))["code"] == "unauthorized"


async def test_admins_see_counts_only(
    app: web.Application, admin_ws: WsClient, plain_user: User
) -> None:
    await register(app, plain_user)
    await register(app, plain_user)
    assert await admin_ws.ok("auth/passkeys/counts") == {plain_user.id: 2}
