"""POST /auth/token (authorization_code and refresh_token grants) and POST /auth/revoke."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from hearth.auth.clients import valid_client_id
from hearth.auth.login import LOCAL_ONLY_MESSAGE
from hearth.auth.models import RefreshToken, User
from hearth.auth.views import KEY_LOGIN, client_of
from hearth.exceptions import BadRequest, InvalidAuth
from hearth.http.ban import record_auth_failure
from hearth.http.keys import KEY_AUTH, KEY_CONFIG
from hearth.http.view import FormData, json_response, public, read_form

_LOGGER = logging.getLogger(__name__)

routes = web.RouteTableDef()


def _field(data: FormData, name: str) -> str | None:
    """A form field, only if it is plain text (not a file, not repeated)."""
    values = data.getall(name, [])
    if len(values) != 1 or not isinstance(values[0], str):
        return None
    return values[0]


def _error(error: str, description: str | None = None, status: int = 400) -> web.Response:
    body = {"error": error}
    if description is not None:
        body["error_description"] = description
    return json_response(body, status=status)


async def _form(request: web.Request) -> FormData | web.Response:
    """The form fields, or the OAuth error for a body that is not a readable form."""
    try:
        return await read_form(request)
    except BadRequest as err:
        return _error("invalid_request", err.message)


def _refused(request: web.Request, user: User | None) -> web.Response | None:
    """403 access_denied (not a credential failure) for an inactive or local-only user."""
    if user is None or not user.is_active:
        return _error("access_denied", "User is not active", 403)
    if user.local_only and client_of(request).remote:
        return _error("access_denied", LOCAL_ONLY_MESSAGE, 403)
    return None


def _tokens(
    request: web.Request, refresh: RefreshToken, secret: str | None, provider: str | None = None
) -> web.Response:
    auth = request.app[KEY_AUTH]
    body: dict[str, Any] = {
        "access_token": auth.create_access_token(refresh, str(client_of(request).ip)),
        "token_type": "Bearer",
        "expires_in": int(refresh.access_token_expiration.total_seconds()),
        "ha_auth_provider": provider or "homeassistant",
    }
    if secret is not None:
        body["refresh_token"] = secret
    return json_response(body)


@routes.post("/auth/token")
@public
async def token(request: web.Request) -> web.StreamResponse:
    """Trade an authorization code, or a refresh token, for an access token."""
    data = await _form(request)
    if isinstance(data, web.Response):
        return data
    if _field(data, "action") == "revoke":  # IndieAuth: revocation at the token endpoint
        return await revoke(request)
    grant_type = _field(data, "grant_type")
    if grant_type == "authorization_code":
        return await _authorization_code(request, data)
    if grant_type == "refresh_token":
        return await _refresh_token(request, data)
    return _error("unsupported_grant_type")


async def _authorization_code(request: web.Request, data: FormData) -> web.Response:
    client_id = _field(data, "client_id")
    if client_id is None or not valid_client_id(client_id):
        return _error("invalid_request", "Invalid client id")
    grant = request.app[KEY_LOGIN].codes.consume(_field(data, "code"), client_id)
    if grant is None:
        record_auth_failure(request, reason="invalid_code")
        return _error("invalid_request", "Invalid code")
    auth = request.app[KEY_AUTH]
    user = auth.get_user(grant.user_id)
    refused = _refused(request, user)
    if refused is not None or user is None:
        return refused or _error("access_denied")
    refresh, secret = await auth.create_refresh_token(
        user, client_id=client_id, ip=str(client_of(request).ip)
    )
    return _tokens(request, refresh, secret, grant.provider)


async def _refresh_token(request: web.Request, data: FormData) -> web.Response:
    client_id = _field(data, "client_id")
    if client_id is not None and not valid_client_id(client_id):
        return _error("invalid_request", "Invalid client id")
    secret = _field(data, "refresh_token")
    if secret is None:
        return _error("invalid_request")
    auth = request.app[KEY_AUTH]
    checked = await auth.check_refresh_token(secret)
    refresh = checked.token
    if refresh is None:
        # Only a secret this hub never issued is a guess: a session revoked (by a password
        # change, say) or expired is refused without counting toward a ban.
        if checked.guess:
            record_auth_failure(request, reason="invalid_refresh_token")
        return _error("invalid_grant")
    if refresh.client_id != client_id:
        return _error("invalid_request")
    refused = _refused(request, auth.get_user(refresh.user_id))
    if refused is not None:
        return refused
    new_secret = None
    if request.app[KEY_CONFIG].auth.refresh_token_rotation:
        try:
            new_secret = await auth.rotate_refresh_token(refresh, secret)
        except InvalidAuth:
            # A real secret used twice at once (a copy, or a client racing itself): the session
            # is revoked (audited), but this is no guess and does not count toward a ban.
            return _error("invalid_grant")
    return _tokens(request, refresh, new_secret)


@routes.post("/auth/revoke")
@public
async def revoke(request: web.Request) -> web.Response:
    """Revoke a refresh token (or the session behind an access token). 200 for any token."""
    data = await _form(request)
    if isinstance(data, web.Response):
        return data
    value = _field(data, "token")
    if value is None:
        return web.Response(status=200)
    auth = request.app[KEY_AUTH]
    refresh = await auth.find_refresh_token(value)
    if refresh is None:
        validated = auth.validate_access_token(value)
        refresh = None if validated is None else validated[1]
    if refresh is not None:
        await auth.remove_refresh_token(refresh.id, ip=str(client_of(request).ip))
    return web.Response(status=200)
