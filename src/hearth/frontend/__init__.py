"""Server-rendered pages (onboarding, login) and their static files. No inline script anywhere:
every page is served under a Content-Security-Policy that allows only the hub's own files."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Add the static files and the pages (after hearth.auth.views.setup)."""
    from hearth.frontend import authorize, onboarding_page, static

    static.setup(app)
    app.add_routes(authorize.routes)
    app.add_routes(onboarding_page.routes)
