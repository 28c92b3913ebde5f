"""Security headers on every response, and no software banner, not even from the HTTP parser."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from yarl import URL

from hearth.auth.manager import AuthManager
from hearth.config.schema import Config, HttpSection
from hearth.core.hub import Hub
from hearth.http.gate import request_gate
from hearth.http.headers import BASE_HEADERS, setup_headers
from hearth.http.server import create_app
from tests.conftest import AiohttpClient

Client = TestClient[Any, Any]


def assert_no_banner(headers: Any) -> None:
    assert headers.get("Server", "") == ""
    for value in headers.values():
        assert "aiohttp" not in value.lower()
        assert "python" not in value.lower()


@pytest.mark.parametrize(
    ("path", "status", "use_token"),
    [
        ("/private", 200, True),
        ("/private", 401, False),
        ("/admin", 403, True),
        ("/nowhere", 404, False),
        ("/bad", 400, True),
        ("/crash", 500, True),
    ],
)
async def test_headers_on_every_status(
    http_client: Client, user_token: str, path: str, status: int, use_token: bool
) -> None:
    headers = {"Authorization": f"Bearer {user_token}"} if use_token else {}
    resp = await http_client.get(path, headers=headers)
    assert resp.status == status
    for name, value in BASE_HEADERS.items():
        assert resp.headers[name] == value
    assert_no_banner(resp.headers)


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"NOT-A-METHOD\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n",
    ],
)
async def test_parser_errors_carry_no_banner(http_client: Client, raw: bytes) -> None:
    """aiohttp answers these itself, before middleware and signals run."""
    server = http_client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(raw)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(65536), 5)
    finally:
        writer.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status_line, *lines = head.split("\r\n")
    assert status_line.split(" ")[1] in {"400", "413", "431"}
    fields = dict(line.split(":", 1) for line in lines)
    assert fields.get("Server", "").strip() == ""
    assert "aiohttp" not in head.lower()
    assert "python" not in head.lower()
    # The server keeps serving after the garbage.
    resp = await http_client.get("/open")
    assert resp.status == 200


async def test_parser_errors_do_not_echo_the_request(http_client: Client) -> None:
    server = http_client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(b"GET /<script>\x01 HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        data = await asyncio.wait_for(reader.read(65536), 5)
    finally:
        writer.close()
    head, body = data.split(b"\r\n\r\n", 1)
    assert body == b'{"message":"Bad Request"}'
    assert b"application/json" in head
    for name, value in BASE_HEADERS.items():
        assert f"{name}: {value}".encode() in head


# --- page and data policies, framing, and the network layers' own refusals --------------------


async def _html(_request: web.Request) -> web.Response:
    return web.Response(text="<!doctype html><title>x</title>", content_type="text/html")


async def _json(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _framing_client(aiohttp_client: AiohttpClient, frame_options: bool) -> Client:
    app = web.Application(middlewares=[request_gate()])
    setup_headers(app, HttpSection(use_x_frame_options=frame_options))
    app.router.add_get("/page", _html)
    app.router.add_get("/data", _json)
    return await aiohttp_client(app)


async def test_pages_get_a_strict_csp(aiohttp_client: AiohttpClient) -> None:
    client = await _framing_client(aiohttp_client, frame_options=True)
    page = await client.get("/page")
    csp = page.headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'self'"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    data = await client.get("/data")
    assert data.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'self'"
    for resp in (page, data):
        assert resp.headers["Permissions-Policy"].startswith("accelerometer=()")
        assert resp.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert resp.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in resp.headers  # plain HTTP


async def test_use_x_frame_options_false_allows_framing(aiohttp_client: AiohttpClient) -> None:
    client = await _framing_client(aiohttp_client, frame_options=False)
    for path in ("/page", "/data", "/missing"):
        resp = await client.get(path)
        assert "X-Frame-Options" not in resp.headers
        assert "frame-ancestors" not in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    page = await client.get("/page")
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'; object-src")


@pytest.mark.parametrize(
    ("raw_target", "headers", "status"),
    [
        ("/api/", {"X-Forwarded-For": "203.0.113.5"}, 403),  # network guard: not local
        ("/api/", {"X-Forwarded-For": "nonsense"}, 400),  # forwarded: malformed
        ("/api/%2e%2e/x", {}, 400),  # security filter
        ("/api/", {}, 401),  # auth
        ("/nowhere", {}, 404),
    ],
)
async def test_headers_on_refusals_of_the_full_stack(
    aiohttp_client: AiohttpClient,
    hub: Hub,
    auth: AuthManager,
    raw_target: str,
    headers: dict[str, str],
    status: int,
) -> None:
    config = Config(http=HttpSection(use_x_forwarded_for=True, trusted_proxies=["127.0.0.1"]))
    client = await aiohttp_client(create_app(hub, auth, config))
    resp = await client.get(URL(raw_target, encoded=True), headers=headers)
    assert resp.status == status
    for name, value in BASE_HEADERS.items():
        assert resp.headers[name] == value
    assert_no_banner(resp.headers)
