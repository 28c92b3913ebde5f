"""Bearer-token authentication for every route not explicitly marked public."""

from __future__ import annotations

from typing import Final

from aiohttp import hdrs, web

from hearth.http.ban import record_auth_failure
from hearth.http.keys import KEY_AUTH, REQ_REFRESH_TOKEN, REQ_USER
from hearth.http.network import request_is_local
from hearth.http.refusals import Refusal
from hearth.http.view import ADMIN_ATTR, PUBLIC_ATTR, client_ip_text

_BEARER = "bearer "
MISSING_TOKEN: Final = Refusal(401, "Missing access token.")
INVALID_TOKEN: Final = Refusal(401, "Invalid access token.")
LOCAL_USER: Final = Refusal(403, "This user may use the hub only from the local network.")
ADMIN_ONLY: Final = Refusal(403, "This action requires an administrator.")


def bearer_token(request: web.Request) -> str | None:
    """The token from `Authorization: Bearer <token>`, or None."""
    header = request.headers.get(hdrs.AUTHORIZATION)
    if header is None or len(header) <= len(_BEARER):
        return None
    if header[: len(_BEARER)].lower() != _BEARER:
        return None
    return header[len(_BEARER) :].strip() or None


_MEMO_LIMIT: Final = 4096
# Per route handler: (public, admin). Routes are fixed, so this stays small.
_ROUTE_FLAGS: Final[dict[object, tuple[bool, bool]]] = {}


def _route_flags(handler: object) -> tuple[bool, bool]:
    flags = _ROUTE_FLAGS.get(handler)
    if flags is None:
        public, admin = getattr(handler, PUBLIC_ATTR, False), getattr(handler, ADMIN_ATTR, False)
        flags = (bool(public), bool(admin))
        if len(_ROUTE_FLAGS) >= _MEMO_LIMIT:
            _ROUTE_FLAGS.clear()
        _ROUTE_FLAGS[handler] = flags
    return flags


def check_auth(request: web.Request) -> web.Response | None:
    """Authenticate the request or refuse it: 401 for bad credentials, 403 for admin-only routes."""
    match_info = request.match_info
    if match_info.http_exception is not None:
        # No route matched: let the router answer 404/405 (never counted as a failed login).
        return None
    public, admin = _route_flags(match_info.handler)
    if public:
        return None

    token = bearer_token(request)
    if token is None:
        return MISSING_TOKEN.response()
    checked = request.app[KEY_AUTH].check_access_token(token)
    if checked.result is None:
        # A token that was never valid is a guess and counts toward the IP ban; one this hub
        # issued (expired, revoked, its user deactivated) and a missing one do not.
        if checked.guess:
            record_auth_failure(request, reason="invalid_access_token")
        return INVALID_TOKEN.response()
    user, refresh_token = checked.result
    if user.local_only and not request_is_local(request):
        # A policy refusal, not a wrong credential: 403, never counted toward a ban.
        return LOCAL_USER.response()
    request.app[KEY_AUTH].note_token_use(refresh_token, client_ip_text(request))
    if admin and not user.is_admin:
        return ADMIN_ONLY.response()
    request[REQ_USER] = user
    request[REQ_REFRESH_TOKEN] = refresh_token
    return None
