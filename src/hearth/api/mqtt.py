"""`GET /api/hearth/mqtt`: the MQTT connection as the hub sees it, for administrators."""

from __future__ import annotations

from aiohttp import web

from hearth.api.helpers import hub_of
from hearth.exceptions import NotFound
from hearth.http.view import admin_only, json_response

routes = web.RouteTableDef()


@routes.get("/api/hearth/mqtt")
@admin_only
async def mqtt_status(request: web.Request) -> web.Response:
    """State, broker, TLS, user, protocol, broker version, entity and device counts."""
    diagnostics = hub_of(request).diagnostics.get("mqtt")
    if diagnostics is None:
        raise NotFound("MQTT is not configured.")
    return json_response(diagnostics(), headers={"Cache-Control": "no-store"})
