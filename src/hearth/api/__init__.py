"""The Home Assistant-compatible REST API under /api/."""

from __future__ import annotations

from aiohttp import web

from hearth.api import bans, check, core, events, openapi, services, states


def setup(app: web.Application) -> None:
    """Add the REST API routes to the application."""
    for module in (core, states, events, services, bans, openapi):
        app.add_routes(module.routes)
    check.setup(app)
