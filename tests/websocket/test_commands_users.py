"""User management and token commands added for the login work: config/auth/*, password
changes, auth/delete_all_refresh_tokens, and who may create long-lived tokens."""

from __future__ import annotations

import aiohttp
import pytest

from hearth.auth.manager import AuthManager
from hearth.auth.models import TokenType, User
from tests.conftest import STRONG_PASSWORD
from tests.websocket.conftest import Connect, WsClient

NEW_PASSWORD = "vermilion otter juggles quietly"


async def test_list_users_is_admin_only(
    admin_ws: WsClient, user_ws: WsClient, admin_user: User, plain_user: User
) -> None:
    users = {u["username"]: u for u in await admin_ws.ok("config/auth/list")}
    assert users["admin"]["group_ids"] == ["system-admin"]
    assert users["resident"] == {
        "id": plain_user.id,
        "username": "resident",
        "name": "Resident",
        "is_owner": False,
        "is_active": True,
        "local_only": False,
        "system_generated": False,
        "group_ids": ["system-users"],
        "credentials": [{"type": "homeassistant"}],
    }
    denied = await user_ws.error("config/auth/list")
    assert denied["code"] == "unauthorized"


async def test_update_user(
    admin_ws: WsClient, user_ws: WsClient, plain_user: User, auth: AuthManager
) -> None:
    result = await admin_ws.ok(
        "config/auth/update",
        user_id=plain_user.id,
        name="Resident R.",
        local_only=True,
        group_ids=["system-admin"],
    )
    assert result["user"]["group_ids"] == ["system-admin"]
    assert result["user"]["local_only"] is True
    updated = auth.get_user(plain_user.id)
    assert updated is not None
    assert (updated.name, updated.is_admin, updated.local_only) == ("Resident R.", True, True)
    # Deactivating closes the user's connections at once.
    await admin_ws.ok("config/auth/update", user_id=plain_user.id, is_active=False)
    assert (await user_ws.closed()).extra == "Token revoked."


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"user_id": "nope"}, "not_found"),
        ({"group_ids": ["system-read-only"]}, "invalid_format"),
        ({"group_ids": ["system-admin", "system-users"]}, "invalid_format"),
        ({"name": ""}, "invalid_format"),
    ],
)
async def test_update_user_errors(
    admin_ws: WsClient, plain_user: User, fields: dict[str, object], code: str
) -> None:
    error = await admin_ws.error("config/auth/update", **{"user_id": plain_user.id, **fields})
    assert error["code"] == code


async def test_admin_cannot_lock_themselves_out(admin_ws: WsClient, admin_user: User) -> None:
    for fields in ({"is_active": False}, {"group_ids": ["system-users"]}):
        error = await admin_ws.error("config/auth/update", user_id=admin_user.id, **fields)
        assert error["code"] == "invalid_format"


async def test_change_own_password(
    user_ws: WsClient, connect: Connect, auth: AuthManager, plain_user: User
) -> None:
    other, _ = await auth.create_refresh_token(plain_user, client_id="http://phone/")
    phone = await connect(auth.create_access_token(other))
    result = await user_ws.ok(
        "config/auth_provider/homeassistant/change_password",
        current_password=STRONG_PASSWORD,
        new_password=NEW_PASSWORD,
    )
    assert result == {"revoked_tokens": 1}
    assert (await phone.closed()).data == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert (await user_ws.ok("auth/current_user"))["id"] == plain_user.id  # this one stays
    assert await auth.authenticate("resident", NEW_PASSWORD) is not None
    assert await auth.authenticate("resident", STRONG_PASSWORD) is None


async def test_change_password_checks(
    user_ws: WsClient, auth: AuthManager, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = await user_ws.error(
        "config/auth_provider/homeassistant/change_password",
        current_password="not my password",
        new_password=NEW_PASSWORD,
    )
    assert wrong == {"code": "invalid_current_password", "message": "Invalid current password"}
    assert (
        "Login failed for user 'resident' from 127.0.0.1: invalid_current_password" in caplog.text
    )
    weak = await user_ws.error(
        "config/auth_provider/homeassistant/change_password",
        current_password=STRONG_PASSWORD,
        new_password="resident-password",
    )
    assert weak["code"] == "invalid_format"
    assert "username" in weak["message"]
    assert "resident-password" not in weak["message"]


async def test_admin_change_password(
    admin_ws: WsClient, user_ws: WsClient, auth: AuthManager, plain_user: User
) -> None:
    result = await admin_ws.ok(
        "config/auth_provider/homeassistant/admin_change_password",
        user_id=plain_user.id,
        password=NEW_PASSWORD,
    )
    assert result == {"revoked_tokens": 1}
    assert (await user_ws.closed()).extra == "Token revoked."
    assert await auth.authenticate("resident", NEW_PASSWORD) is not None
    assert (
        await admin_ws.error(
            "config/auth_provider/homeassistant/admin_change_password",
            user_id="nobody",
            password=NEW_PASSWORD,
        )
    )["code"] == "not_found"


async def test_admin_change_password_is_admin_only(user_ws: WsClient, admin_user: User) -> None:
    error = await user_ws.error(
        "config/auth_provider/homeassistant/admin_change_password",
        user_id=admin_user.id,
        password=NEW_PASSWORD,
    )
    assert error["code"] == "unauthorized"


async def test_delete_all_refresh_tokens(
    user_ws: WsClient, connect: Connect, auth: AuthManager, plain_user: User
) -> None:
    phone, _ = await auth.create_refresh_token(plain_user, client_id="http://phone/")
    phone_ws = await connect(auth.create_access_token(phone))
    _, script = await auth.create_long_lived_token(plain_user, "script")
    assert (
        await user_ws.ok(
            "auth/delete_all_refresh_tokens", token_type="normal", delete_current_token=False
        )
        == {}
    )
    assert (await phone_ws.closed()).extra == "Token revoked."
    types = sorted(t.token_type for t in auth.list_refresh_tokens(plain_user.id))
    assert types == [TokenType.LONG_LIVED, TokenType.NORMAL]  # the current session and script
    await user_ws.ok("auth/delete_all_refresh_tokens")
    assert (await user_ws.closed()).extra == "Token revoked."
    assert auth.list_refresh_tokens(plain_user.id) == []
    assert auth.validate_access_token(script) is None


async def test_refresh_token_listing_has_last_use(
    user_ws: WsClient, auth: AuthManager, plain_user: User
) -> None:
    (current,) = await user_ws.ok("auth/refresh_tokens")
    assert current["last_used_ip"] == "127.0.0.1"
    assert current["last_used_at"] is not None
    assert current["created_at"] is not None
