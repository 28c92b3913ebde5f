"""Web pages: Hearth's own (onboarding, login) under a strict policy without inline code, and
Home Assistant's frontend (the dashboard) under a hash-based policy computed at start-up."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Add the static files, the pages and the dashboard (after hearth.auth.views.setup)."""
    from hearth.frontend import (
        authorize,
        ha_routes,
        onboarding_page,
        passkeys_page,
        security_center,
        static,
        system_log,
    )
    from hearth.frontend.data import KEY_FRONTEND_DATA, FrontendData
    from hearth.frontend.store import FrontendStore
    from hearth.http.keys import KEY_AUTH, KEY_HUB

    static.setup(app)
    app.add_routes(authorize.routes)
    app.add_routes(onboarding_page.routes)
    app.add_routes(passkeys_page.routes)
    security_center.setup(app)
    app[KEY_FRONTEND_DATA] = FrontendData(FrontendStore(app[KEY_AUTH].db))
    system_log.register(app[KEY_HUB])
    ha_routes.setup(app)
