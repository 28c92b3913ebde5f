"""GET /auth/providers, POST /auth/login_flow, POST|DELETE /auth/login_flow/{flow_id}."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hearth.auth.clients import valid_client_id, valid_redirect_uri
from hearth.auth.login import Outcome
from hearth.auth.views import KEY_LOGIN, KEY_ONBOARDING, client_of
from hearth.exceptions import BadRequest
from hearth.http.ban import record_auth_failure
from hearth.http.csrf import require_json
from hearth.http.view import json_response, public, read_json_object

routes = web.RouteTableDef()


def respond(request: web.Request, outcome: Outcome) -> web.Response:
    """The outcome as JSON; a credential failure in it is reported (log, audit, ban count)."""
    if outcome.failure is not None:
        record_auth_failure(request, reason=outcome.failure, username=outcome.username)
    return json_response(outcome.body, status=outcome.status)


@routes.get("/auth/providers")
@public
async def providers(request: web.Request) -> web.Response:
    """The login methods this client may use."""
    if not request.app[KEY_ONBOARDING].done:
        return json_response(
            {"message": "Onboarding not finished", "code": "onboarding_required"}, status=400
        )
    client = client_of(request)
    return json_response(
        {
            "providers": request.app[KEY_LOGIN].providers(client),
            "preselect_remember_me": not client.remote,
        }
    )


def _handler(value: Any) -> str:
    """The provider type from Home Assistant's `handler: [type, id]`."""
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and (value[1] is None or isinstance(value[1], str))
    ):
        return value[0]
    raise BadRequest("Message format incorrect: handler must be [type, id].")


# Public: this is how a client without a token gets one. The flow protects itself.
@routes.post("/auth/login_flow")
@public
async def begin_flow(request: web.Request) -> web.Response:
    """Start a login flow for a client and redirect URI."""
    require_json(request)
    data = await read_json_object(request)
    client_id, redirect_uri = data.get("client_id"), data.get("redirect_uri")
    provider = _handler(data.get("handler"))
    if data.get("type", "authorize") != "authorize":
        raise BadRequest("Only the authorize flow is supported.")
    if not isinstance(client_id, str) or not valid_client_id(client_id):
        raise BadRequest("Invalid client id")
    if not isinstance(redirect_uri, str) or not valid_redirect_uri(client_id, redirect_uri):
        raise BadRequest("invalid client id or redirect uri")
    login = request.app[KEY_LOGIN]
    return respond(request, login.begin(provider, client_id, redirect_uri, client_of(request)))


@routes.post("/auth/login_flow/{flow_id}")
@public
async def flow_step(request: web.Request) -> web.Response:
    """Submit the current step's fields."""
    require_json(request)
    data = await read_json_object(request)
    client_id = data.pop("client_id", None)
    if not isinstance(client_id, str) or not valid_client_id(client_id):
        raise BadRequest("Invalid client id")
    login = request.app[KEY_LOGIN]
    client = client_of(request)
    flow = login.flows.get(request.match_info["flow_id"], client_id=client_id, ip=client.ip)
    return respond(request, await login.step(flow, data, client))


@routes.delete("/auth/login_flow/{flow_id}")
@public
async def cancel_flow(request: web.Request) -> web.Response:
    """Abandon a flow begun from this address."""
    login = request.app[KEY_LOGIN]
    client = client_of(request)
    flow_id = request.match_info["flow_id"]
    found = login.flows.peek(flow_id)
    if found is None or found.ip != client.ip:
        return json_response({"message": "Invalid flow specified"}, status=404)
    login.flows.finish(found)
    return json_response({"message": "Flow aborted"})
