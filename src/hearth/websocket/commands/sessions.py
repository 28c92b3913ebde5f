"""Every user's sessions and tokens, for administrators: hearth/tokens/list and /revoke.

The Security Center lists and revokes them; each user's own commands (auth/refresh_tokens,
auth/delete_refresh_token) only ever reach that user's tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field, model_validator

from hearth.exceptions import NotFound
from hearth.http.view import client_ip
from hearth.websocket.commands.auth import describe_token
from hearth.websocket.spec import CommandSpec, NoParams, Params, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection


@command("hearth/tokens/list", NoParams, admin=True)
def list_tokens(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Each user with their refresh and long-lived tokens (metadata only, never secrets)."""
    tokens = conn.auth.list_refresh_tokens()
    users = []
    for user in sorted(conn.auth.list_users(), key=lambda found: found.username or found.name):
        own = [describe_token(t, conn.refresh_token_id) for t in tokens if t.user_id == user.id]
        users.append(
            {"user_id": user.id, "username": user.username, "name": user.name, "tokens": own}
        )
    conn.send_result(msg_id, users)


class RevokeTokensParams(Params):
    """Fields of hearth/tokens/revoke: one token, or all of one user's."""

    token_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    user_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> RevokeTokensParams:
        if (self.token_id is None) == (self.user_id is None):
            raise ValueError("give either token_id or user_id")
        return self


@command("hearth/tokens/revoke", RevokeTokensParams, admin=True)
async def revoke_tokens(conn: Connection, msg_id: int, params: RevokeTokensParams) -> None:
    """Revoke a token, or all of a user's; connections using them are closed (audited)."""
    ip = str(client_ip(conn.request))
    if params.token_id is not None:
        if not await conn.auth.remove_refresh_token(params.token_id, ip=ip):
            raise NotFound("No such token.")
        conn.send_result(msg_id, {"revoked": 1})
        return
    assert params.user_id is not None  # noqa: S101 - ensured by the validator
    if conn.auth.get_user(params.user_id) is None:
        raise NotFound("No such user.")
    revoked = await conn.auth.remove_user_tokens(params.user_id, ip=ip)
    conn.send_result(msg_id, {"revoked": revoked})


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (list_tokens, revoke_tokens)
