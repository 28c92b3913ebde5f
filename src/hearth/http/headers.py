"""Security headers on every response, and no software banner anywhere."""

from __future__ import annotations

from typing import Final

from aiohttp import hdrs, web

BASE_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


async def _add_security_headers(_request: web.Request, response: web.StreamResponse) -> None:
    """Runs for every prepared response, errors included."""
    headers = response.headers
    for name, value in BASE_HEADERS.items():
        headers.setdefault(name, value)
    headers[hdrs.SERVER] = ""


def setup_headers(app: web.Application) -> None:
    """Install the security headers."""
    app.on_response_prepare.append(_add_security_headers)
