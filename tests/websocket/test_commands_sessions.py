"""Tests for hearth.websocket.commands.sessions: every user's tokens, for administrators."""

from __future__ import annotations

from hearth.auth.manager import AuthManager
from hearth.auth.models import User
from tests.websocket.conftest import WsClient


async def test_lists_every_users_tokens(
    admin_ws: WsClient, user_token: str, admin_user: User, plain_user: User
) -> None:
    users = {entry["user_id"]: entry for entry in await admin_ws.ok("hearth/tokens/list")}
    assert set(users) == {admin_user.id, plain_user.id}
    assert [token["is_current"] for token in users[admin_user.id]["tokens"]] == [True]
    assert len(users[plain_user.id]["tokens"]) == 1
    listed = str(users)
    assert user_token not in listed  # metadata only


async def test_revoke_one_then_all(
    admin_ws: WsClient, auth: AuthManager, plain_user: User, user_ws: WsClient
) -> None:
    await auth.create_long_lived_token(plain_user, "second", days=1)
    tokens = auth.list_refresh_tokens(plain_user.id)
    assert len(tokens) == 2
    assert await admin_ws.ok("hearth/tokens/revoke", token_id=tokens[0].id) == {"revoked": 1}
    assert await admin_ws.ok("hearth/tokens/revoke", user_id=plain_user.id) == {"revoked": 1}
    assert auth.list_refresh_tokens(plain_user.id) == []
    await user_ws.closed()  # its token was revoked


async def test_bad_targets(admin_ws: WsClient) -> None:
    assert (await admin_ws.error("hearth/tokens/revoke"))["code"] == "invalid_format"
    both = await admin_ws.error("hearth/tokens/revoke", token_id="a", user_id="b")
    assert both["code"] == "invalid_format"
    assert (await admin_ws.error("hearth/tokens/revoke", token_id="nope"))["code"] == "not_found"
    assert (await admin_ws.error("hearth/tokens/revoke", user_id="nope"))["code"] == "not_found"


async def test_not_for_users(user_ws: WsClient, admin_user: User) -> None:
    assert (await user_ws.error("hearth/tokens/list"))["code"] == "unauthorized"
    refused = await user_ws.error("hearth/tokens/revoke", user_id=admin_user.id)
    assert refused["code"] == "unauthorized"
