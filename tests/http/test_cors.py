"""Cross-origin access: only listed origins, never `*`, never with credentials."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.auth.manager import AuthManager
from hearth.config.schema import HttpSection
from hearth.http.auth import check_auth
from hearth.http.cors import cors_preflight, setup_cors
from hearth.http.gate import request_gate
from hearth.http.keys import KEY_AUTH
from hearth.http.view import json_response
from tests.conftest import AiohttpClient

Client = TestClient[Any, Any]
ALLOWED = "https://dashboard.example.com"
PREFLIGHT = {
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization",
}


async def _private(_request: web.Request) -> web.Response:
    return json_response({"secret": True})


async def _client(aiohttp_client: AiohttpClient, auth: AuthManager, origins: list[str]) -> Client:
    http = HttpSection(cors_allowed_origins=origins)
    checks = [cors_preflight(http), check_auth]
    gate = request_gate(checks=[check for check in checks if check is not None])
    app = web.Application(middlewares=[gate])
    app[KEY_AUTH] = auth
    setup_cors(app, http.cors_allowed_origins)
    app.router.add_get("/api/private", _private)
    return await aiohttp_client(app)


def _no_wildcard_no_credentials(resp: Any) -> None:
    assert resp.headers.get("Access-Control-Allow-Origin") != "*"
    assert "Access-Control-Allow-Credentials" not in resp.headers


async def test_no_cors_by_default(aiohttp_client: AiohttpClient, auth: AuthManager) -> None:
    assert cors_preflight(HttpSection()) is None
    client = await _client(aiohttp_client, auth, [])
    resp = await client.get("/api/private", headers={"Origin": ALLOWED})
    assert resp.status == 401
    assert "Access-Control-Allow-Origin" not in resp.headers
    preflight = await client.options("/api/private", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert preflight.status == 405  # no OPTIONS route: nothing answers for CORS


async def test_allowed_origin_preflight(aiohttp_client: AiohttpClient, auth: AuthManager) -> None:
    client = await _client(aiohttp_client, auth, [ALLOWED])
    resp = await client.options("/api/private", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert resp.status == 200
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]
    assert "GET" in resp.headers["Access-Control-Allow-Methods"]
    assert "Origin" in resp.headers.getall("Vary")
    _no_wildcard_no_credentials(resp)


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        "https://dashboard.example.com.evil.com",
        "http://dashboard.example.com",  # scheme matters
        "https://dashboard.example.com:8443",  # port matters
        "null",
        "*",
    ],
)
async def test_other_origins_get_nothing(
    aiohttp_client: AiohttpClient, auth: AuthManager, admin_token: str, origin: str
) -> None:
    client = await _client(aiohttp_client, auth, [ALLOWED])
    preflight = await client.options("/api/private", headers={"Origin": origin, **PREFLIGHT})
    assert preflight.status == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    resp = await client.get(
        "/api/private", headers={"Origin": origin, "Authorization": f"Bearer {admin_token}"}
    )
    assert resp.status == 200  # CORS is enforced by the browser: it just cannot read this
    assert "Access-Control-Allow-Origin" not in resp.headers
    assert "Origin" in resp.headers.getall("Vary")


async def test_allowed_origin_reads_answers_and_errors(
    aiohttp_client: AiohttpClient, auth: AuthManager, admin_token: str
) -> None:
    client = await _client(aiohttp_client, auth, [ALLOWED, "http://192.168.1.5:8080"])
    ok = await client.get(
        "/api/private", headers={"Origin": ALLOWED, "Authorization": f"Bearer {admin_token}"}
    )
    denied = await client.get("/api/private", headers={"Origin": "http://192.168.1.5:8080"})
    assert (ok.status, denied.status) == (200, 401)
    assert ok.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert denied.headers["Access-Control-Allow-Origin"] == "http://192.168.1.5:8080"
    for resp in (ok, denied):
        _no_wildcard_no_credentials(resp)


async def test_preflight_needs_no_token_but_the_request_does(
    aiohttp_client: AiohttpClient, auth: AuthManager
) -> None:
    client = await _client(aiohttp_client, auth, [ALLOWED])
    resp = await client.options("/api/private", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert resp.status == 200
    assert await resp.read() == b""
    plain_options = await client.options("/api/private", headers={"Origin": ALLOWED})
    assert plain_options.status in (401, 405)  # not a preflight: no CORS shortcut
