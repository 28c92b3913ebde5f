"""REST routes for a signed-in user's own passkeys (the passkeys page uses them).

Registration is two requests: options (with a single-use challenge bound to the user, the
address and the host name), then the authenticator's answer. Removing a passkey needs the
user's password: a stolen session alone must not strip a second factor.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import hdrs, web

from hearth.auth.passkeys.ceremony import RelyingParty
from hearth.auth.passkeys.rp import NO_PASSKEYS_HERE, relying_party
from hearth.exceptions import BadRequest, InvalidCurrentPassword
from hearth.http.keys import KEY_PASSKEYS
from hearth.http.view import client_ip, current_user, json_response, read_json_object
from hearth.websocket.commands.users import confirm_user_password

routes = web.RouteTableDef()

BASE = "/api/passkeys"
MAX_PASSWORD = 4096


def _rp(request: web.Request) -> RelyingParty:
    rp = relying_party(request)
    if rp is None:
        raise BadRequest(NO_PASSKEYS_HERE)
    return rp


def _credential_text(value: object) -> str:
    """The credential as the JSON text the library parses (an object or a string is accepted)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    raise BadRequest("`credential` must be the JSON of the new passkey.")


@routes.get(BASE)
async def list_passkeys(request: web.Request) -> web.Response:
    """The signed-in user's passkeys (no key material)."""
    keys = request.app[KEY_PASSKEYS].list(current_user(request).id)
    return json_response([key.as_dict() for key in keys])


@routes.post(f"{BASE}/registration")
async def begin_registration(request: web.Request) -> web.Response:
    """Options for `navigator.credentials.create()` and the ceremony id to finish with."""
    await read_json_object(request, allow_empty=True)
    ceremony_id, options = request.app[KEY_PASSKEYS].begin_registration(
        current_user(request), _rp(request), ip=str(client_ip(request))
    )
    return json_response({"ceremony_id": ceremony_id, "options": options})


@routes.post(BASE)
async def finish_registration(request: web.Request) -> web.Response:
    """Verify the new passkey and store it."""
    data = await read_json_object(request)
    key = await request.app[KEY_PASSKEYS].finish_registration(
        current_user(request),
        data.get("ceremony_id"),
        _credential_text(data.get("credential")),
        data.get("name"),
        rp=_rp(request),
        ip=str(client_ip(request)),
        user_agent=request.headers.get(hdrs.USER_AGENT),
    )
    return json_response(key.as_dict(), status=201)


@routes.patch(BASE + "/{passkey_id}")
async def rename_passkey(request: web.Request) -> web.Response:
    """Rename one of your passkeys."""
    data = await read_json_object(request)
    manager, user = request.app[KEY_PASSKEYS], current_user(request)
    await manager.rename(user, request.match_info["passkey_id"], data.get("name"))
    return json_response({"message": "Renamed."})


@routes.delete(BASE + "/{passkey_id}")
async def remove_passkey(request: web.Request) -> web.Response:
    """Remove one of your passkeys; the body carries your `password`."""
    data: dict[str, Any] = await read_json_object(request)
    password = data.get("password")
    if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD:
        raise BadRequest("Enter your password to remove a passkey.")
    user = current_user(request)
    if not await confirm_user_password(request, user, password):
        raise InvalidCurrentPassword("Invalid current password")
    await request.app[KEY_PASSKEYS].remove(
        user,
        request.match_info["passkey_id"],
        by=user.username,
        ip=str(client_ip(request)),
        user_agent=request.headers.get(hdrs.USER_AGENT),
    )
    return json_response({"message": "Removed."})
