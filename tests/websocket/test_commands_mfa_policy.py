"""hearth/mfa/require: who must use MFA, set by an admin in place of the configuration."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.auth.views import KEY_LOGIN
from tests.websocket.conftest import WsClient

Client = TestClient[web.Request, web.Application]


async def test_set_and_clear(admin_ws: WsClient, user_ws: WsClient, client: Client) -> None:
    assert (await user_ws.error("hearth/mfa/require", policy="none"))["code"] == "unauthorized"
    assert await admin_ws.ok("hearth/mfa/require", policy="all") == {"mfa_required": "all"}
    assert client.app[KEY_LOGIN].mfa_policy == "all"  # from the next login on
    state = await admin_ws.ok("hearth/users/security")
    assert state["mfa_required"] == "all"
    assert state["mfa_required_source"] == "security_center"
    await admin_ws.ok("hearth/mfa/require", policy=None)
    state = await admin_ws.ok("hearth/users/security")
    assert state["mfa_required_source"] == "configuration"
    assert client.app[KEY_LOGIN].mfa_policy == state["mfa_required"]
    bad = await admin_ws.error("hearth/mfa/require", policy="sometimes")
    assert bad["code"] == "invalid_format"
    log = await admin_ws.ok("audit/log", event="mfa_policy_changed")
    assert [entry["details"]["mfa_required"] for entry in log] == [None, "all"]
