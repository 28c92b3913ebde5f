"""GET /api/onboarding and POST /api/onboarding/users: create the owner with the setup code."""

from __future__ import annotations

from aiohttp import web

from hearth.auth.clients import valid_client_id
from hearth.auth.flow import PASSWORD_PROVIDER
from hearth.auth.onboarding import InvalidSetupCode
from hearth.auth.views import KEY_LOGIN, KEY_ONBOARDING
from hearth.exceptions import BadRequest
from hearth.http.ban import record_auth_failure
from hearth.http.csrf import require_json
from hearth.http.view import json_response, public, read_json_object

routes = web.RouteTableDef()


@routes.get("/api/onboarding")
@public
async def status(request: web.Request) -> web.Response:
    """Which onboarding steps are done (only `user` here)."""
    return json_response([{"step": "user", "done": request.app[KEY_ONBOARDING].done}])


# Public: there is nobody to authenticate yet; the setup code is the credential.
@routes.post("/api/onboarding/users")
@public
async def create_owner(request: web.Request) -> web.Response:
    """Create the owner; answers with an authorization code for `client_id`."""
    onboarding = request.app[KEY_ONBOARDING]
    require_json(request)
    data = await read_json_object(request)
    client_id = data.get("client_id")
    username, password, name = data.get("username"), data.get("password"), data.get("name")
    if not isinstance(client_id, str) or not valid_client_id(client_id):
        raise BadRequest("Invalid client id")
    if not isinstance(username, str) or not isinstance(password, str):
        raise BadRequest("username and password are required.")
    if name is not None and not isinstance(name, str):
        raise BadRequest("name must be text.")
    try:
        owner = await onboarding.create_owner(data.get("setup_code"), username, password, name)
    except InvalidSetupCode:
        record_auth_failure(request, reason="invalid_setup_code", username=username.strip())
        raise
    code = request.app[KEY_LOGIN].codes.create(
        client_id=client_id, user_id=owner.id, provider=PASSWORD_PROVIDER
    )
    return json_response({"auth_code": code})
