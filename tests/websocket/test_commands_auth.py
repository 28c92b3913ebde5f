"""Tests for hearth.websocket.commands.auth: current user and token management."""

from __future__ import annotations

import aiohttp

from hearth import const
from hearth.auth.manager import AuthManager
from hearth.auth.models import TokenType, User
from tests.websocket.conftest import Connect, WsClient


async def test_current_user(user_ws: WsClient, plain_user: User) -> None:
    assert await user_ws.ok("auth/current_user") == {
        "id": plain_user.id,
        "name": "Resident",
        "is_owner": False,
        "is_admin": False,
        "credentials": [{"auth_provider_type": "homeassistant", "auth_provider_id": None}],
        "mfa_modules": [{"id": "totp", "name": "Authenticator app", "enabled": False}],
    }


async def test_current_user_admin(admin_ws: WsClient, admin_user: User) -> None:
    me = await admin_ws.ok("auth/current_user")
    assert me["id"] == admin_user.id
    assert me["is_admin"] is True


async def test_long_lived_token(
    user_ws: WsClient, connect: Connect, auth: AuthManager, plain_user: User
) -> None:
    token = await user_ws.ok("auth/long_lived_access_token", client_name="Dashboard", lifespan=30)
    assert isinstance(token, str)
    validated = auth.validate_access_token(token)
    assert validated is not None
    assert validated[0].id == plain_user.id
    assert validated[1].token_type is TokenType.LONG_LIVED
    other = await connect(token)
    assert (await other.ok("auth/current_user"))["id"] == plain_user.id

    duplicate = await user_ws.error(
        "auth/long_lived_access_token", client_name="Dashboard", lifespan=30
    )
    assert duplicate["code"] == "conflict"
    too_long = await user_ws.error(
        "auth/long_lived_access_token",
        client_name="Other",
        lifespan=const.LONG_LIVED_TOKEN_MAX_DAYS + 1,
    )
    assert too_long["code"] == "invalid_format"


async def test_refresh_tokens_lists_own_tokens_without_secrets(
    user_ws: WsClient, admin_ws: WsClient, user_token: str
) -> None:
    tokens = await user_ws.ok("auth/refresh_tokens")
    assert len(tokens) == 1
    (token,) = tokens
    assert token["is_current"] is True
    assert token["client_id"] == "http://test/"
    assert token["type"] == "normal"
    assert set(token) >= {"id", "client_name", "created_at", "last_used_at", "last_used_ip"}
    assert "jwt_key" not in token
    assert user_token not in str(tokens)
    admin_tokens = await admin_ws.ok("auth/refresh_tokens")
    assert {t["id"] for t in admin_tokens}.isdisjoint({token["id"]})


async def test_delete_refresh_token(
    user_ws: WsClient, connect: Connect, auth: AuthManager, plain_user: User
) -> None:
    refresh, _ = await auth.create_refresh_token(plain_user, client_id="http://phone/")
    phone = await connect(auth.create_access_token(refresh))
    assert await user_ws.ok("auth/delete_refresh_token", refresh_token_id=refresh.id) == {}
    assert (await phone.closed()).data == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert refresh.id not in {t.id for t in auth.list_refresh_tokens(plain_user.id)}


async def test_delete_current_refresh_token_answers_then_closes(user_ws: WsClient) -> None:
    (current,) = await user_ws.ok("auth/refresh_tokens")
    msg_id = await user_ws.send("auth/delete_refresh_token", refresh_token_id=current["id"])
    assert await user_ws.receive() == {
        "id": msg_id,
        "type": "result",
        "success": True,
        "result": {},
    }
    msg = await user_ws.closed()
    assert msg.extra == "Token revoked."


async def test_cannot_delete_someone_elses_token(
    user_ws: WsClient, auth: AuthManager, admin_user: User
) -> None:
    refresh, _ = await auth.create_refresh_token(admin_user, client_id="http://admin/")
    error = await user_ws.error("auth/delete_refresh_token", refresh_token_id=refresh.id)
    assert error == {"code": "invalid_token_id", "message": "Received invalid token"}
    assert refresh.id in {t.id for t in auth.list_refresh_tokens(admin_user.id)}
