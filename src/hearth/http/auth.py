"""Bearer-token authentication for every route not explicitly marked public."""

from __future__ import annotations

from aiohttp import hdrs, web

from hearth.exceptions import InvalidAuth, PermissionDenied
from hearth.http.ban import record_auth_failure
from hearth.http.keys import KEY_AUTH, REQ_REFRESH_TOKEN, REQ_USER
from hearth.http.network import request_is_local
from hearth.http.view import ADMIN_ATTR, PUBLIC_ATTR, Handler, client_ip

_BEARER = "bearer "


def bearer_token(request: web.Request) -> str | None:
    """The token from `Authorization: Bearer <token>`, or None."""
    header = request.headers.get(hdrs.AUTHORIZATION)
    if header is None or len(header) <= len(_BEARER):
        return None
    if header[: len(_BEARER)].lower() != _BEARER:
        return None
    return header[len(_BEARER) :].strip() or None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate the request or refuse it: 401 for bad credentials, 403 for admin-only routes."""
    match_info = request.match_info
    if match_info.http_exception is not None:
        # No route matched: let the router answer 404/405 (never counted as a failed login).
        return await handler(request)
    route_handler = match_info.handler
    if getattr(route_handler, PUBLIC_ATTR, False):
        return await handler(request)

    token = bearer_token(request)
    if token is None:
        raise InvalidAuth("Missing access token.")
    checked = request.app[KEY_AUTH].check_access_token(token)
    if checked.result is None:
        # A token that was never valid is a guess and counts toward the IP ban; one this hub
        # issued (expired, revoked, its user deactivated) and a missing one do not.
        if checked.guess:
            record_auth_failure(request, reason="invalid_access_token")
        raise InvalidAuth("Invalid access token.")
    user, refresh_token = checked.result
    if user.local_only and not request_is_local(request):
        # A policy refusal, not a wrong credential: 403, never counted toward a ban.
        raise PermissionDenied("This user may use the hub only from the local network.")
    request.app[KEY_AUTH].note_token_use(refresh_token, str(client_ip(request)))
    if getattr(route_handler, ADMIN_ATTR, False) and not user.is_admin:
        raise PermissionDenied("This action requires an administrator.")
    request[REQ_USER] = user
    request[REQ_REFRESH_TOKEN] = refresh_token
    return await handler(request)
