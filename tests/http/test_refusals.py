"""Pre-rendered refusals: the same bytes an ordinary response would carry, written in one piece."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from aiohttp import web

from hearth.config.schema import HttpSection
from hearth.http.cors import setup_cors
from hearth.http.errors import error_response
from hearth.http.gate import request_gate
from hearth.http.headers import HSTS, ResponseHeaders, no_store, setup_headers
from hearth.http.refusals import Refusal, RenderedResponse
from tests.conftest import AiohttpClient

MISSING = Refusal(401, "Missing access token.")
CLOSING = Refusal(400, "Malformed request target.", close=True)
ORIGIN = "https://dashboard.example.com"


def _refuse(request: web.Request) -> web.StreamResponse | None:
    if request.path.endswith("/rendered"):
        return MISSING.response()
    if request.path.endswith("/closing"):
        return CLOSING.response()
    return None


async def _ordinary(_request: web.Request) -> web.Response:
    return error_response(401, "Missing access token.")


async def _server(aiohttp_client: AiohttpClient, **options: Any) -> tuple[str, int]:
    app = web.Application(middlewares=[request_gate(checks=[_refuse])])
    setup_headers(app, HttpSection(use_x_frame_options=options.get("frame_options", True)))
    setup_cors(app, options.get("origins", ()))
    no_store(app, options.get("no_store", ()))
    if options.get("signal"):
        app.on_response_prepare.append(options["signal"])
    for path in ("/ordinary", "/api/ordinary", "/auth/ordinary"):
        app.router.add_route("*", path, _ordinary)
    client = await aiohttp_client(app)
    return str(client.server.host), int(client.server.port)


async def _exchange(address: tuple[str, int], raw: bytes, expect: int = 2) -> list[bytes]:
    """Send raw requests on one connection; the responses, until `expect` or the server closes."""
    reader, writer = await asyncio.open_connection(*address)
    replies: list[bytes] = []
    try:
        writer.write(raw)
        await writer.drain()
        while len(replies) < expect:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            except asyncio.IncompleteReadError:
                break  # closed by the server
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            size = int(length.group(1)) if length and not raw.startswith(b"HEAD") else 0
            replies.append(head + await reader.readexactly(size))
    finally:
        writer.close()
    return replies


def _fields(reply: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = reply.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines:
        name, _, value = line.partition(":")
        assert name.lower() not in fields, f"{name} twice"
        fields[name.lower()] = value.strip()
    fields.pop("date")
    return status, fields, body


def _get(path: str, *extra: str, version: str = "1.1", method: str = "GET") -> bytes:
    lines = [f"{method} {path} HTTP/{version}", "Host: 127.0.0.1", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    ("prefix", "extra", "options"),
    [
        ("", (), {}),
        ("/api", (), {}),  # no-store
        ("", (), {"frame_options": False}),
        ("/auth", (), {"no_store": ["/auth/"]}),  # no-store and Pragma
        ("/api", (f"Origin: {ORIGIN}",), {"origins": [ORIGIN]}),  # CORS
        ("", ("Origin: https://other.example",), {"origins": [ORIGIN]}),
    ],
)
async def test_rendered_matches_the_ordinary_response(
    aiohttp_client: AiohttpClient, prefix: str, extra: tuple[str, ...], options: dict[str, Any]
) -> None:
    address = await _server(aiohttp_client, **options)
    rendered, ordinary = await _exchange(
        address, _get(f"{prefix}/rendered", *extra) + _get(f"{prefix}/ordinary", *extra)
    )
    assert _fields(rendered) == _fields(ordinary)
    status, fields, body = _fields(rendered)
    assert status == "HTTP/1.1 401 Unauthorized"
    assert body == b'{"message":"Missing access token."}'
    assert "strict-transport-security" not in fields
    assert (fields.get("cache-control") == "no-store") == (prefix != "")


async def test_head_http10_and_closing_refusals(aiohttp_client: AiohttpClient) -> None:
    address = await _server(aiohttp_client)
    rendered, ordinary = await _exchange(
        address, _get("/rendered", method="HEAD") + _get("/ordinary", method="HEAD")
    )
    assert _fields(rendered) == _fields(ordinary)
    assert _fields(rendered)[2] == b""
    (old,) = await _exchange(address, _get("/rendered", version="1.0"), 1)
    (old_ordinary,) = await _exchange(address, _get("/ordinary", version="1.0"), 1)
    assert _fields(old) == _fields(old_ordinary)
    assert old.startswith(b"HTTP/1.0 401 ")
    # A closing refusal ends the connection: the request after it is never answered.
    replies = await _exchange(address, _get("/closing") + _get("/ordinary"))
    assert len(replies) == 1
    assert _fields(replies[0])[1]["connection"] == "close"


async def test_other_signals_still_run(aiohttp_client: AiohttpClient) -> None:
    """With a response-prepare signal besides the hub's headers, the refusal is built normally."""

    async def mark(_request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Marked"] = "yes"

    address = await _server(aiohttp_client, signal=mark)
    (reply,) = await _exchange(address, _get("/rendered"), 1)
    assert _fields(reply)[1]["x-marked"] == "yes"


def test_over_tls_the_block_has_hsts() -> None:
    spec = ResponseHeaders()
    for secure in (False, True):
        head = MISSING.head(spec, (1, 1), secure=secure, keep_alive=True, per_request=[])
        assert (f"Strict-Transport-Security: {HSTS}\r\n".encode() in head) is secure
        for name, value in spec.block(html=False, secure=secure).items():
            assert f"{name}: {value}\r\n".encode() in head


def test_touching_the_headers_makes_an_ordinary_response() -> None:
    response = MISSING.response()
    assert isinstance(response, RenderedResponse)
    response.headers["X-Extra"] = "1"
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.body == b'{"message":"Missing access token."}'
