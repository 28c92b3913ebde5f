"""IP bans for administrators: list them and lift one without a restart."""

from __future__ import annotations

from aiohttp import web

from hearth.bans.lift import lift_ban
from hearth.http.ban import KEY_BANS
from hearth.http.view import admin_only, current_user, json_response

routes = web.RouteTableDef()


@routes.get("/api/bans")
@admin_only
async def list_bans(request: web.Request) -> web.Response:
    """The bans in force, oldest first."""
    return json_response([ban.as_dict() for ban in request.app[KEY_BANS].list()])


@routes.delete("/api/bans/{ip}")
@admin_only
async def remove_ban(request: web.Request) -> web.Response:
    """Lift the ban of an address (a remote IPv6 address lifts the ban of its /64)."""
    lifted = await lift_ban(request.app[KEY_BANS], request.match_info["ip"], current_user(request))
    return json_response(lifted.as_dict())
