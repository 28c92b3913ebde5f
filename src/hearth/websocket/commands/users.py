"""User management over the WebSocket, in Home Assistant's shapes: listing and updating users
(admins), changing one's own password, and an admin setting someone else's."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth import const
from hearth.auth.flow import PASSWORD_PROVIDER
from hearth.auth.login import THROTTLED
from hearth.auth.user_rights import changed_fields, user_change_refusal
from hearth.exceptions import BadRequest, NotFound
from hearth.http.ban import KEY_ACCOUNT_THROTTLE, record_auth_failure
from hearth.http.keys import KEY_AUTH
from hearth.http.network import request_is_local
from hearth.http.view import client_ip
from hearth.websocket.spec import CommandSpec, NoParams, Params, command

if TYPE_CHECKING:
    from aiohttp import web

    from hearth.auth.models import User
    from hearth.websocket.connection import Connection

ADMIN_GROUP: Final = "system-admin"
USER_GROUP: Final = "system-users"
ERR_INVALID_CURRENT_PASSWORD: Final = "invalid_current_password"  # noqa: S105 - an error code

Password = Annotated[str, Field(min_length=1, max_length=const.PASSWORD_MAX_LENGTH)]


def describe_user(user: User) -> dict[str, Any]:
    """A user as config/auth/list shows it."""
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "is_owner": user.is_owner,
        "is_active": user.is_active,
        "local_only": user.local_only,
        "system_generated": False,
        "group_ids": [ADMIN_GROUP if user.is_admin else USER_GROUP],
        "credentials": [{"type": PASSWORD_PROVIDER}],
    }


@command("config/auth/list", NoParams, admin=True)
def list_users(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Every user."""
    conn.send_result(msg_id, [describe_user(user) for user in conn.auth.list_users()])


class UpdateUserParams(Params):
    """Fields of config/auth/update."""

    user_id: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    is_active: bool | None = None
    local_only: bool | None = None
    group_ids: Annotated[list[str], Field(min_length=1, max_length=1)] | None = None


@command("config/auth/update", UpdateUserParams, admin=True)
async def update_user(conn: Connection, msg_id: int, params: UpdateUserParams) -> None:
    """Change a user's name, group (admin or user), active and local-only flags."""
    is_admin = None
    if params.group_ids is not None:
        if params.group_ids[0] not in (ADMIN_GROUP, USER_GROUP):
            raise BadRequest(f"group_ids must be [{ADMIN_GROUP!r}] or [{USER_GROUP!r}].")
        is_admin = params.group_ids[0] == ADMIN_GROUP
    target = conn.auth.get_user(params.user_id)
    if target is None:
        raise NotFound("User not found.")
    requested = {
        "name": params.name,
        "is_admin": is_admin,
        "is_active": params.is_active,
        "local_only": params.local_only,
    }
    refusal = user_change_refusal(conn.user, target, changed_fields(target, requested))
    if refusal is not None:
        raise refusal
    user = await conn.auth.update_user(
        params.user_id,
        name=params.name,
        is_admin=is_admin,
        is_active=params.is_active,
        local_only=params.local_only,
        ip=str(client_ip(conn.request)),
    )
    conn.send_result(msg_id, {"user": describe_user(user)})


class ChangePasswordParams(Params):
    """Fields of config/auth_provider/homeassistant/change_password."""

    current_password: Password
    new_password: Password


@command("config/auth_provider/homeassistant/change_password", ChangePasswordParams)
async def change_password(conn: Connection, msg_id: int, params: ChangePasswordParams) -> None:
    """Change your own password; your other sessions and tokens are revoked."""
    user = conn.user
    if not await confirm_password(conn, params.current_password):
        conn.send_error(msg_id, ERR_INVALID_CURRENT_PASSWORD, "Invalid current password")
        return
    revoked = await conn.auth.change_password(
        user, params.new_password, keep_token_id=conn.refresh_token_id
    )
    conn.send_result(msg_id, {"revoked_tokens": revoked})


async def confirm_password(conn: Connection, password: str) -> bool:
    """Check the connection's user's password, throttled and counted like a login."""
    return await confirm_user_password(conn.request, conn.user, password)


async def confirm_user_password(request: web.Request, user: User, password: str) -> bool:
    """Check a signed-in user's password (REST or WebSocket), throttled and counted like a
    login."""
    throttle = request.app.get(KEY_ACCOUNT_THROTTLE)
    remote = not request_is_local(request)
    ip = str(client_ip(request))
    attempt = (
        None if throttle is None else throttle.attempt(user.username, remote=remote, source=ip)
    )
    if attempt is not None and not attempt.admitted:
        if attempt.counts:
            record_auth_failure(request, reason=THROTTLED, username=user.username)
        return False
    try:
        if attempt is not None and attempt.delay > 0:
            await asyncio.sleep(attempt.delay)
        valid = await request.app[KEY_AUTH].check_password(user, password)
    finally:
        if attempt is not None:
            attempt.release()
    if not valid:
        # Someone holding a session but not the password is guessing it.
        if throttle is not None:
            throttle.record_failure(user.username, remote=remote)
        record_auth_failure(request, reason=ERR_INVALID_CURRENT_PASSWORD, username=user.username)
    return valid


class AdminChangePasswordParams(Params):
    """Fields of config/auth_provider/homeassistant/admin_change_password."""

    user_id: Annotated[str, Field(min_length=1, max_length=64)]
    password: Password


@command(
    "config/auth_provider/homeassistant/admin_change_password",
    AdminChangePasswordParams,
    admin=True,
)
async def admin_change_password(
    conn: Connection, msg_id: int, params: AdminChangePasswordParams
) -> None:
    """Set another user's password; all their sessions and tokens are revoked."""
    user = conn.auth.get_user(params.user_id)
    if user is None:
        raise NotFound("User not found.")
    refusal = user_change_refusal(conn.user, user, ["password"])
    if refusal is not None:
        # Threat: an admin setting the owner's password would log in as the owner.
        raise refusal
    keep = conn.refresh_token_id if user.id == conn.user.id else None
    revoked = await conn.auth.change_password(user, params.password, keep_token_id=keep)
    conn.send_result(msg_id, {"revoked_tokens": revoked})


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (
    list_users,
    update_user,
    change_password,
    admin_change_password,
)
