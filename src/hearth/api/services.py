"""Service views: list services and call one, returning the states it changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from aiohttp import web

from hearth.api.helpers import hub_of, states_json, user_context
from hearth.exceptions import BadRequest
from hearth.http.view import json_response, raw_json_response, read_json_object

if TYPE_CHECKING:
    pass

MAX_NAME_LENGTH: Final = 64
_NAME_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")

_NO_RESPONSE: Final = "Service does not support responses. Remove return_response from request."

routes = web.RouteTableDef()


@routes.get("/api/services")
async def list_services(request: web.Request) -> web.Response:
    """Every registered service, grouped by domain."""
    return json_response(hub_of(request).services.as_list())


@routes.post("/api/services/{domain}/{service}")
async def call_service(request: web.Request) -> web.Response:
    """Call a service with the (optional) JSON object body as data; list the changed states."""
    domain = _checked_name(request.match_info["domain"], "domain")
    service = _checked_name(request.match_info["service"], "service")
    if "return_response" in request.query:
        raise BadRequest(_NO_RESPONSE)
    data = await read_json_object(request, allow_empty=True)
    hub = hub_of(request)
    context = user_context(request)
    changed = await hub.call_service(domain, service, data, context)
    return raw_json_response(states_json(changed))


def _checked_name(name: str, what: str) -> str:
    """A domain or service name from the path, lower-cased; BadRequest unless a-z, 0-9 and _."""
    if name.isascii():
        name = name.lower()
    if not 0 < len(name) <= MAX_NAME_LENGTH or not _NAME_CHARS.issuperset(name):
        raise BadRequest(f"Invalid {what}: expected 1 to {MAX_NAME_LENGTH} letters, digits or _.")
    return name
