"""`GET /api/hearth/check`: the `hearth check` report from the running hub, for admins."""

from __future__ import annotations

from aiohttp import web

from hearth.check import service
from hearth.exceptions import BadRequest
from hearth.http.view import admin_only, json_response

routes = web.RouteTableDef()

_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"", "0", "false", "no"})


def setup(app: web.Application) -> None:
    """The route and the lock that keeps check runs one at a time."""
    service.setup(app)
    app.add_routes(routes)


def _flag(request: web.Request, name: str) -> bool:
    value = request.query.get(name, "").lower()
    if value not in _TRUE | _FALSE:
        raise BadRequest(f"{name} must be true or false.")
    return value in _TRUE


@routes.get("/api/hearth/check")
@admin_only
async def check_report(request: web.Request) -> web.Response:
    """The report, as `hearth check --json` prints it; `?probe=1` adds the probe, `?offline=1`
    leaves out the vulnerability database."""
    probe, offline = (_flag(request, name) for name in ("probe", "offline"))
    report = await service.report_for(request.app, probe=probe, offline=offline)
    return json_response(report.as_dict(), headers={"Cache-Control": "no-store"})
