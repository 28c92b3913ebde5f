"""Hub-level views: API status, configuration, core state, loaded components."""

from __future__ import annotations

from aiohttp import web

from hearth.api.helpers import hub_of
from hearth.http.view import json_response

routes = web.RouteTableDef()


@routes.get("/api/")
async def api_status(request: web.Request) -> web.Response:
    """Confirm that the API is running."""
    return json_response({"message": "API running."})


@routes.get("/api/config")
async def api_config(request: web.Request) -> web.Response:
    """The hub's configuration in Home Assistant's shape (no filesystem paths)."""
    return json_response(hub_of(request).config_dict())


@routes.get("/api/core/state")
async def api_core_state(request: web.Request) -> web.Response:
    """The hub's run state, e.g. RUNNING."""
    return json_response({"state": hub_of(request).state.value})


@routes.get("/api/components")
async def api_components(request: web.Request) -> web.Response:
    """The loaded components, sorted."""
    return json_response(sorted(hub_of(request).components))
