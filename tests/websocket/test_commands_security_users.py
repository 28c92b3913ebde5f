"""hearth/users/security: each user's role, MFA, password and last login, for admins only."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth import const
from hearth.auth.models import User
from hearth.http.keys import KEY_AUDIT
from tests.websocket.conftest import WsClient

Client = TestClient[web.Request, web.Application]


async def test_users_state(
    admin_ws: WsClient, client: Client, admin_user: User, plain_user: User
) -> None:
    client.app[KEY_AUDIT].record("login", user_id=plain_user.id, username=plain_user.username)
    state = await admin_ws.ok("hearth/users/security")
    assert state["password_policy_version"] == const.PASSWORD_POLICY_VERSION
    users = {user["id"]: user for user in state["users"]}
    assert set(users) == {admin_user.id, plain_user.id}
    assert users[admin_user.id]["is_admin"] is True
    assert users[plain_user.id]["is_admin"] is False
    assert users[plain_user.id]["mfa"] is False
    assert users[plain_user.id]["last_login"] is not None
    assert users[plain_user.id]["password_set_at"] is not None
    assert not any("hash" in key for user in state["users"] for key in user)


async def test_not_for_users(user_ws: WsClient) -> None:
    assert (await user_ws.error("hearth/users/security"))["code"] == "unauthorized"


async def test_signins(admin_ws: WsClient, user_ws: WsClient, client: Client) -> None:
    log = client.app[KEY_AUDIT]
    for _ in range(3):
        log.record("login_failed", username="#abc", ip="203.0.113.9")
    log.record("login_failed", username="resident", ip="198.51.100.7")
    log.record("login", user_id="x", username="resident", ip="192.168.1.2")
    data = await admin_ws.ok("hearth/signins")
    assert data["failed"] == 4
    assert data["successful"] == 1
    assert data["top_addresses"][0] == {"ip": "203.0.113.9", "count": 3}
    assert data["top_usernames"][0] == {"username": "#abc", "count": 3}
    assert data["svg"].startswith("<svg")
    assert (await user_ws.error("hearth/signins"))["code"] == "unauthorized"
