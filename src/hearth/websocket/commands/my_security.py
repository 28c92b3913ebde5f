"""A user's own security, for the Security Center's "My security" section: live password
strength, and new recovery codes against a current app code."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth.auth.mfa.recovery import RefusedCode, regenerate_recovery_codes
from hearth.auth.policy import WeakPassword
from hearth.http.ban import record_auth_failure
from hearth.http.keys import KEY_MFA
from hearth.http.network import request_is_local
from hearth.http.view import client_ip
from hearth.websocket.commands.users import Password
from hearth.websocket.spec import CommandSpec, Params, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection

ERR_INVALID_CODE: Final = RefusedCode.code


class StrengthParams(Params):
    """Fields of hearth/password/strength."""

    password: Password


@command("hearth/password/strength", StrengthParams)
async def password_strength(conn: Connection, msg_id: int, params: StrengthParams) -> None:
    """Whether a candidate password would be accepted for this user, and if not why.

    Nothing is stored or logged: the candidate only passes through the policy (zxcvbn, in a
    thread so that the event loop never waits on it).
    """
    user = conn.user
    try:
        await asyncio.to_thread(
            conn.auth.policy.check, params.password, username=user.username, name=user.name
        )
    except WeakPassword as err:
        conn.send_result(msg_id, {"acceptable": False, "message": err.message})
        return
    conn.send_result(msg_id, {"acceptable": True, "message": "Strong enough."})


class RecoveryCodesParams(Params):
    """Fields of auth/regenerate_recovery_codes."""

    code: Annotated[str, Field(min_length=1, max_length=64)]


@command("auth/regenerate_recovery_codes", RecoveryCodesParams)
async def new_recovery_codes(conn: Connection, msg_id: int, params: RecoveryCodesParams) -> None:
    """Replace your recovery codes (a current app code proves it is you); the new ones, once."""
    user, request = conn.user, conn.request
    try:
        codes = await regenerate_recovery_codes(
            request.app[KEY_MFA],
            conn.auth.db,
            user.id,
            user.username,
            params.code,
            ip=str(client_ip(request)),
            user_agent=request.headers.get("User-Agent"),
            remote=not request_is_local(request),
        )
    except RefusedCode as err:
        if err.counts:
            # A bad MFA code is a credential failure: it counts toward the IP ban.
            record_auth_failure(request, reason="invalid_mfa_code", username=user.username)
        conn.send_error(msg_id, ERR_INVALID_CODE, err.message)
        return
    conn.send_result(msg_id, {"recovery_codes": codes})


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (password_strength, new_recovery_codes)
