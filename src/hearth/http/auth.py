"""Bearer-token authentication for every route not explicitly marked public."""

from __future__ import annotations

from aiohttp import hdrs, web

from hearth.exceptions import InvalidAuth, PermissionDenied
from hearth.http.ban import record_auth_failure
from hearth.http.errors import refusal
from hearth.http.keys import KEY_AUTH, REQ_REFRESH_TOKEN, REQ_USER
from hearth.http.network import request_is_local
from hearth.http.view import ADMIN_ATTR, PUBLIC_ATTR, client_ip

_BEARER = "bearer "


def bearer_token(request: web.Request) -> str | None:
    """The token from `Authorization: Bearer <token>`, or None."""
    header = request.headers.get(hdrs.AUTHORIZATION)
    if header is None or len(header) <= len(_BEARER):
        return None
    if header[: len(_BEARER)].lower() != _BEARER:
        return None
    return header[len(_BEARER) :].strip() or None


def check_auth(request: web.Request) -> web.Response | None:
    """Authenticate the request or refuse it: 401 for bad credentials, 403 for admin-only routes."""
    match_info = request.match_info
    if match_info.http_exception is not None:
        # No route matched: let the router answer 404/405 (never counted as a failed login).
        return None
    route_handler = match_info.handler
    if getattr(route_handler, PUBLIC_ATTR, False):
        return None

    token = bearer_token(request)
    if token is None:
        return refusal(InvalidAuth("Missing access token."))
    result = request.app[KEY_AUTH].validate_access_token(token)
    if result is None:
        # A presented token that is wrong is a guess and counts toward the IP ban; a missing one
        # (a client that has not logged in yet) does not.
        record_auth_failure(request, reason="invalid_access_token")
        return refusal(InvalidAuth("Invalid access token."))
    user, refresh_token = result
    if user.local_only and not request_is_local(request):
        # A policy refusal, not a wrong credential: 403, never counted toward a ban.
        return refusal(PermissionDenied("This user may use the hub only from the local network."))
    request.app[KEY_AUTH].note_token_use(refresh_token, str(client_ip(request)))
    if getattr(route_handler, ADMIN_ATTR, False) and not user.is_admin:
        return refusal(PermissionDenied("This action requires an administrator."))
    request[REQ_USER] = user
    request[REQ_REFRESH_TOKEN] = refresh_token
    return None
