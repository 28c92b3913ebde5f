"""The Security Center's page: no data in it, strict policy, framed only by the hub itself."""

from __future__ import annotations

import re

from tests.frontend.conftest import Client

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


async def test_page_is_strict_and_frameable_by_the_hub_only(client: Client) -> None:
    resp = await client.get("/hearth/security")
    assert resp.status == 200
    text = await resp.text()
    assert not _INLINE_SCRIPT.search(text)
    assert " style=" not in text
    assert "<style" not in text
    assert not _EVENT_HANDLER.search(text)
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    assert "frame-ancestors 'self'" in csp
    assert "unsafe" not in csp
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert resp.headers["Cache-Control"] == "no-store"


async def test_page_files_are_served(client: Client) -> None:
    for name in ("security.js", "security.css"):
        resp = await client.get(f"/hearth-static/{name}")
        assert resp.status == 200, name
