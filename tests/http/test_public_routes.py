"""The routes reachable without a token are exactly the documented list (docs/security.md).

A new public route is a new attack surface: adding one must be a visible, reviewed change here
and in the docs, never a side effect.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from hearth.frontend.ha_routes import public_paths
from hearth.http.view import PUBLIC_ATTR

DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"

PUBLIC_ROUTES = {
    # Login and onboarding (Hearth's pages and Home Assistant's JSON flows).
    ("GET", "/auth/authorize"),
    ("POST", "/auth/authorize"),
    ("GET", "/auth/providers"),
    ("POST", "/auth/login_flow"),
    ("POST", "/auth/login_flow/{flow_id}"),
    ("DELETE", "/auth/login_flow/{flow_id}"),
    ("POST", "/auth/token"),
    ("POST", "/auth/revoke"),
    ("GET", "/onboarding"),
    ("POST", "/onboarding"),
    ("GET", "/api/onboarding"),
    ("POST", "/api/onboarding/users"),
    ("GET", "/hearth-static/{name}"),
    # The passkeys page's shell (it logs in by itself, then calls /api/passkeys with a token).
    ("GET", "/auth/passkeys"),
    # The WebSocket API authenticates inside the connection.
    ("GET", "/api/websocket"),
    # ACME http-01 answers (404 unless a challenge is pending; hearth.http.acme_challenge).
    ("GET", "/.well-known/acme-challenge/{token}"),
    # Home Assistant's frontend: its page for / and each panel, its files.
    ("GET", "/"),
    ("GET", "/lovelace"),
    ("GET", "/lovelace/{tail}"),
    ("GET", "/history"),
    ("GET", "/history/{tail}"),
    ("GET", "/logbook"),
    ("GET", "/logbook/{tail}"),
    ("GET", "/profile"),
    ("GET", "/profile/{tail}"),
    ("GET", "/config"),
    ("GET", "/config/{tail}"),
    ("GET", "/hearth-security"),
    ("GET", "/hearth-security/{tail}"),
    ("GET", "/hearth/security"),
    ("GET", "/manifest.json"),
    ("GET", "/sw-modern.js"),
    ("GET", "/robots.txt"),
    ("GET", "/frontend_latest/{path}"),
    ("GET", "/frontend_es5/{path}"),
    ("GET", "/static/{path}"),
}


def public_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path pattern) of every route whose handler needs no token (HEAD left out)."""
    return {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.method != "HEAD"
        and getattr(route.handler, PUBLIC_ATTR, False)
    }


def test_public_routes_are_exactly_the_list(app: web.Application) -> None:
    assert public_routes(app) == PUBLIC_ROUTES


def test_the_frontend_module_declares_its_public_paths(app: web.Application) -> None:
    frontend = {path for method, path in PUBLIC_ROUTES if method == "GET"}
    assert set(public_paths()) <= frontend


def test_the_public_routes_are_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Routes reachable without a token", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(GET|POST|DELETE) (/[^`]*)`", section))
    assert documented == PUBLIC_ROUTES
