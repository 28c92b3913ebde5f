"""Account commands: auth/current_user, long-lived tokens, listing and deleting tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import Field

from hearth import const
from hearth.auth.models import TokenType
from hearth.exceptions import PermissionDenied
from hearth.http.keys import KEY_CONFIG, KEY_MFA
from hearth.http.view import client_ip
from hearth.websocket.spec import CommandSpec, NoParams, Params, command

if TYPE_CHECKING:
    from hearth.auth.models import RefreshToken
    from hearth.websocket.connection import Connection

ERR_INVALID_TOKEN_ID: Final = "invalid_token_id"  # noqa: S105 - an error code


@command("auth/current_user", NoParams)
def current_user(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Who this connection is authenticated as."""
    user = conn.user
    mfa = conn.request.app.get(KEY_MFA)
    enabled = mfa is not None and mfa.has_mfa(user.id)
    conn.send_result(
        msg_id,
        {
            "id": user.id,
            "name": user.name,
            "is_owner": user.is_owner,
            "is_admin": user.is_admin,
            "credentials": [{"auth_provider_type": "homeassistant", "auth_provider_id": None}],
            # Home Assistant's profile page builds its MFA switch from this list.
            "mfa_modules": [{"id": "totp", "name": "Authenticator app", "enabled": enabled}],
        },
    )


class LongLivedTokenParams(Params):
    """Fields of auth/long_lived_access_token."""

    client_name: Annotated[str, Field(min_length=1, max_length=100)]
    lifespan: Annotated[int, Field(ge=1, le=const.LONG_LIVED_TOKEN_MAX_DAYS)]
    client_icon: str | None = None


@command("auth/long_lived_access_token", LongLivedTokenParams)
async def long_lived_access_token(
    conn: Connection, msg_id: int, params: LongLivedTokenParams
) -> None:
    """Create a long-lived access token for this user; the token is the result, shown once."""
    config = conn.request.app.get(KEY_CONFIG)
    if (
        not conn.user.is_admin
        and config is not None
        and not config.auth.allow_user_long_lived_tokens
    ):
        raise PermissionDenied("Only administrators may create long-lived access tokens here.")
    _, token = await conn.auth.create_long_lived_token(
        conn.user, params.client_name, days=params.lifespan, ip=_ip(conn)
    )
    conn.send_result(msg_id, token)


def _ip(conn: Connection) -> str:
    return str(client_ip(conn.request))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def describe_token(token: RefreshToken, current_id: str) -> dict[str, Any]:
    """A token's metadata as auth/refresh_tokens lists it (never a secret)."""
    return {
        "id": token.id,
        "client_id": token.client_id,
        "client_name": token.client_name,
        "client_icon": None,
        "type": str(token.token_type),
        "created_at": _iso(token.created_at),
        "expire_at": _iso(token.expires_at),
        "is_current": token.id == current_id,
        "last_used_at": _iso(token.last_used_at),
        "last_used_ip": token.last_used_ip,
        "auth_provider_type": "homeassistant",
    }


@command("auth/refresh_tokens", NoParams)
def refresh_tokens(conn: Connection, msg_id: int, params: NoParams) -> None:
    """This user's refresh tokens (metadata only, never secrets)."""
    tokens = conn.auth.list_refresh_tokens(conn.user.id)
    conn.send_result(msg_id, [describe_token(token, conn.refresh_token_id) for token in tokens])


class DeleteRefreshTokenParams(Params):
    """Fields of auth/delete_refresh_token."""

    refresh_token_id: Annotated[str, Field(min_length=1, max_length=128)]


@command("auth/delete_refresh_token", DeleteRefreshTokenParams)
async def delete_refresh_token(
    conn: Connection, msg_id: int, params: DeleteRefreshTokenParams
) -> None:
    """Revoke one of this user's refresh tokens; connections using it are closed."""
    token_id = params.refresh_token_id
    owned = {token.id for token in conn.auth.list_refresh_tokens(conn.user.id)}
    if token_id not in owned:
        conn.send_error(msg_id, ERR_INVALID_TOKEN_ID, "Received invalid token")
        return
    # Durable first; the revoke listeners (which close connections using the token, maybe this
    # one) run at the next turn of the loop, after the result is queued.
    await conn.auth.remove_refresh_token(token_id, ip=_ip(conn))
    conn.send_result(msg_id, {})


class DeleteAllRefreshTokensParams(Params):
    """Fields of auth/delete_all_refresh_tokens."""

    token_type: Literal["normal", "long_lived_access_token"] | None = None
    delete_current_token: bool = True


@command("auth/delete_all_refresh_tokens", DeleteAllRefreshTokensParams)
async def delete_all_refresh_tokens(
    conn: Connection, msg_id: int, params: DeleteAllRefreshTokensParams
) -> None:
    """Revoke all of this user's tokens (of one type), optionally keeping this connection's."""
    keep = None if params.delete_current_token else conn.refresh_token_id
    token_type = None if params.token_type is None else TokenType(params.token_type)
    await conn.auth.remove_user_tokens(
        conn.user.id, token_type=token_type, except_id=keep, ip=_ip(conn)
    )
    conn.send_result(msg_id, {})


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (
    current_user,
    long_lived_access_token,
    refresh_tokens,
    delete_refresh_token,
    delete_all_refresh_tokens,
)
