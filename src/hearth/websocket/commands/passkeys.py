"""Passkeys over the WebSocket: list, rename and remove your own; counts for administrators.

Registering needs the browser's WebAuthn call, so it happens on the passkeys page
(/auth/passkeys, over /api/passkeys). Removing needs the user's password: a stolen session
alone must not strip a second factor. Administrators see how many passkeys each user has,
never the credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth.http.keys import KEY_PASSKEYS
from hearth.http.view import client_ip
from hearth.websocket.commands.users import (
    ERR_INVALID_CURRENT_PASSWORD,
    Password,
    confirm_password,
)
from hearth.websocket.spec import CommandSpec, NoParams, Params, command

if TYPE_CHECKING:
    from hearth.auth.passkeys.manager import PasskeyManager
    from hearth.websocket.connection import Connection

PasskeyId = Annotated[str, Field(min_length=1, max_length=1400)]


def _passkeys(conn: Connection) -> PasskeyManager:
    return conn.request.app[KEY_PASSKEYS]


@command("auth/passkeys/list", NoParams)
def list_passkeys(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Your passkeys: id, name, created, last used (no key material)."""
    conn.send_result(msg_id, [key.as_dict() for key in _passkeys(conn).list(conn.user.id)])


class RenameParams(Params):
    """Fields of auth/passkeys/rename."""

    passkey_id: PasskeyId
    name: Annotated[str, Field(max_length=256)]


@command("auth/passkeys/rename", RenameParams)
async def rename_passkey(conn: Connection, msg_id: int, params: RenameParams) -> None:
    """Rename one of your passkeys."""
    await _passkeys(conn).rename(conn.user, params.passkey_id, params.name)
    conn.send_result(msg_id, "done")


class RemoveParams(Params):
    """Fields of auth/passkeys/remove: `password` is your current password."""

    passkey_id: PasskeyId
    password: Password


@command("auth/passkeys/remove", RemoveParams)
async def remove_passkey(conn: Connection, msg_id: int, params: RemoveParams) -> None:
    """Remove one of your passkeys (your password confirms it)."""
    if not await confirm_password(conn, params.password):
        conn.send_error(msg_id, ERR_INVALID_CURRENT_PASSWORD, "Invalid current password")
        return
    await _passkeys(conn).remove(
        conn.user,
        params.passkey_id,
        by=conn.user.username,
        ip=str(client_ip(conn.request)),
        user_agent=conn.request.headers.get("User-Agent"),
    )
    conn.send_result(msg_id, "done")


@command("auth/passkeys/counts", NoParams, admin=True)
def passkey_counts(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Administrators: how many passkeys each user has (user id -> count)."""
    conn.send_result(msg_id, _passkeys(conn).counts())


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (
    list_passkeys,
    rename_passkey,
    remove_passkey,
    passkey_counts,
)
