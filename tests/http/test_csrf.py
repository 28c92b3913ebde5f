"""The cross-site check, as a table: which requests a browser started on another site."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.config.schema import HttpSection
from hearth.http.csrf import csrf_check, require_json
from hearth.http.gate import request_gate
from tests.conftest import AiohttpClient

Client = TestClient[Any, Any]
ALLOWED = "https://dashboard.example"
OTHER = "https://attacker.example"


async def _ok(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _json(request: web.Request) -> web.Response:
    require_json(request)
    return web.json_response({"ok": True})


@pytest.fixture
async def client(aiohttp_client: AiohttpClient) -> Client:
    http = HttpSection(cors_allowed_origins=[ALLOWED])
    app = web.Application(middlewares=[request_gate(checks=[csrf_check(http)])])
    app.router.add_route("*", "/", _ok)
    app.router.add_post("/json", _json)
    return await aiohttp_client(app)


def _own(client: Client) -> str:
    return str(client.make_url("/")).rstrip("/")


@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [
        ("POST", {}, 200),  # a native app or a script
        ("POST", {"Origin": "{own}"}, 200),
        ("POST", {"Origin": "{own}", "Sec-Fetch-Site": "same-origin"}, 200),
        ("POST", {"Origin": "null", "Sec-Fetch-Site": "same-origin"}, 200),
        ("POST", {"Sec-Fetch-Site": "none"}, 200),  # typed by the user
        ("POST", {"Origin": ALLOWED, "Sec-Fetch-Site": "cross-site"}, 200),  # cors_allowed_origins
        ("POST", {"Origin": OTHER}, 403),
        ("POST", {"Origin": "null"}, 403),
        ("POST", {"Origin": "garbage"}, 403),
        ("POST", {"Origin": "{own}/path"}, 403),
        ("POST", {"Origin": "http://127.0.0.1:1"}, 403),  # another port is another origin
        ("POST", {"Origin": "https://127.0.0.1"}, 403),
        ("POST", {"Sec-Fetch-Site": "cross-site"}, 403),
        ("POST", {"Sec-Fetch-Site": "same-site", "Origin": OTHER}, 403),
        ("POST", {"Origin": "{own}", "Sec-Fetch-Site": "cross-site"}, 403),  # via a redirect
        ("DELETE", {"Origin": OTHER}, 403),
        ("PUT", {"Sec-Fetch-Site": "cross-site"}, 403),
        ("GET", {"Origin": OTHER, "Sec-Fetch-Site": "cross-site"}, 200),  # reads are harmless
        ("GET", {"Origin": OTHER, "Upgrade": "websocket", "Connection": "Upgrade"}, 403),
        ("GET", {"Origin": ALLOWED, "Upgrade": "websocket", "Connection": "Upgrade"}, 200),
        # Starscream (Home Assistant's iOS app) sends the socket URL as Origin: not a page.
        ("GET", {"Origin": "wss://hub.example:8123", "Upgrade": "websocket"}, 200),
        ("GET", {"Origin": "ws://192.168.1.10:8123", "Upgrade": "websocket"}, 200),
        ("POST", {"Origin": "ws://attacker.example"}, 200),
    ],
)
async def test_site_decisions(
    client: Client, method: str, headers: dict[str, str], status: int
) -> None:
    sent = {name: value.format(own=_own(client)) for name, value in headers.items()}
    resp = await client.request(method, "/", headers=sent)
    assert resp.status == status
    if status == 403:
        assert "cors_allowed_origins" in (await resp.json())["message"]


async def test_default_port_is_the_same_origin(client: Client) -> None:
    resp = await client.post(
        "/", headers={"Host": "hub.example", "Origin": "http://HUB.example:80"}
    )
    assert resp.status == 200


@pytest.mark.parametrize(
    ("content_type", "headers", "status"),
    [
        ("application/json", {}, 200),
        ("application/json; charset=utf-8", {}, 200),
        ("text/plain;charset=UTF-8", {}, 415),
        ("application/x-www-form-urlencoded", {}, 415),
        ("text/plain;charset=UTF-8", {"Origin": "{own}"}, 200),  # Home Assistant's frontend
        ("text/plain;charset=UTF-8", {"Sec-Fetch-Site": "same-origin"}, 200),
    ],
)
async def test_json_needs_its_content_type(
    client: Client, content_type: str, headers: dict[str, str], status: int
) -> None:
    sent = {name: value.format(own=_own(client)) for name, value in headers.items()}
    resp = await client.post("/json", data=b"{}", headers={"Content-Type": content_type, **sent})
    assert resp.status == status
