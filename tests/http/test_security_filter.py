"""Attack targets get 400 before routing; ordinary targets pass; the check is linear time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth import const
from hearth.http.gate import request_gate
from hearth.http.headers import setup_headers
from hearth.http.lowlevel import install as harden_aiohttp
from hearth.http.security_filter import check_target, target_problem
from tests.conftest import AiohttpClient

Client = TestClient[Any, Any]

# Sent byte for byte through a raw socket: no client library normalises them first.
ATTACKS: dict[str, tuple[bytes, str | None]] = {
    # name: (raw target, what target_problem says; None: aiohttp's parser refuses it first)
    "dot-dot": (b"/../etc/passwd", "path traversal"),
    "dot-dot-deep": (b"/api/../../etc/passwd", "path traversal"),
    "dot-dot-end": (b"/api/..", "path traversal"),
    "encoded-dots": (b"/%2e%2e/etc/passwd", "path traversal"),
    "encoded-dots-upper": (b"/%2E%2E/%2E%2E/etc/passwd", "path traversal"),
    "half-encoded-1": (b"/.%2e/etc/passwd", "path traversal"),
    "half-encoded-2": (b"/%2e./etc/passwd", "path traversal"),
    "encoded-slashes": (b"/api/%2e%2e%2f%2e%2e%2fetc/passwd", "path traversal"),
    "encoded-slash-only": (b"/..%2fetc%2fpasswd", "path traversal"),
    "double-encoded": (b"/%252e%252e/etc/passwd", "path traversal"),
    "triple-encoded": (b"/%25252e%25252e/etc/passwd", "path traversal"),
    "encoded-percent-digits": (b"/api/%25%32%65%25%32%65/x", "path traversal"),
    "backslashes": (b"/..\\..\\windows\\win.ini", "path traversal"),
    "encoded-backslashes": (b"/..%5c..%5cwindows%5cwin.ini", "path traversal"),
    "tomcat-semicolon": (b"/api/..;/admin", "path traversal"),
    "query-file": (b"/api/?file=../../etc/passwd", "path traversal"),
    "query-file-encoded": (b"/api/?file=..%2f..%2fetc%2fpasswd", "path traversal"),
    "query-dot-dot-value": (b"/api/?dir=..", "path traversal"),
    "absolute-form": (b"http://evil.example/../etc/passwd", "path traversal"),
    "fullwidth-dots": (b"/%ef%bc%8e%ef%bc%8e%ef%bc%8fetc/passwd", "path traversal"),
    "overlong-dot": (b"/%c0%ae%c0%ae/etc/passwd", "invalid percent-encoding"),
    "overlong-dot-3": (b"/%e0%80%ae%e0%80%ae/etc/passwd", "invalid percent-encoding"),
    "invalid-utf8": (b"/api/%ff", "invalid percent-encoding"),
    "encoded-nul": (b"/api/%00", "control character"),
    "nul-before-dots": (b"/static/..%00/etc/passwd", "control character"),
    "crlf-injection": (b"/api/states%0d%0aSet-Cookie:%20x=1", "control character"),
    "encoded-newline": (b"/api/%0a", "control character"),
    "query-crlf": (b"/api/?q=%0d%0a", "control character"),
    "ansi-escape": (b"/api/%1b[31mred", "control character"),
    "encoded-del": (b"/api/%7f", "control character"),
    "bidi-override": (b"/api/%e2%80%aetxt.exe", "control character"),
    "double-encoded-nul": (b"/api/%2500", "control character"),
    "too-deep": (b"/api/%25252525252e", "too deeply percent-encoded"),
    "raw-control": (b"/api/\x01", None),
    "raw-tab": (b"/api/a\tb", None),
    "raw-del": (b"/api/\x7f", None),
    "raw-non-ascii": (b"/api/\xc3\xa9", None),
    "raw-nul": (b"/api/\x00", None),
}

ORDINARY = [
    "/",
    "/api/",
    "/api/states/light.demo_light_1",
    "/api/history/period/2024-01-01T00:00:00+00:00?filter_entity_id=sensor.x",
    "/api/a..b",
    "/api/...",
    "/api/.hidden",
    "/api/%20space",
    "/api/caf%C3%A9",
    "/api/100%25",
    "/api/100%",
    "/api?x=1..2",
    "/auth/authorize?client_id=https%3A%2F%2Fexample.com%2F&redirect_uri=https%3A%2F%2Fexample.com%2Fcb",
    "//double/slash",
    "/api/%2fencoded-slash",
]


@pytest.mark.parametrize(("name", "case"), list(ATTACKS.items()), ids=list(ATTACKS))
def test_attack_targets(name: str, case: tuple[bytes, str | None]) -> None:
    raw, problem = case
    if problem is not None:
        assert target_problem(raw.decode("latin-1")) == problem


@pytest.mark.parametrize("target", ORDINARY)
def test_ordinary_targets_pass(target: str) -> None:
    assert target_problem(target) is None


@pytest.mark.parametrize(
    "target",
    [
        "/" + "a" * 25_000,
        "/" + "%25" * 8_000,
        "/" + "%2e" * 8_000,
        "/" + "%" * 25_000,
        "/" + "../" * 8_000,
        "/" + ".." * 12_500,
        "/" + "." * 25_000,
        "/" + "/" * 25_000,
        "/" + "%c0%ae" * 4_000,
        "/" + "a=" * 12_500,
        "/?" + "&" * 25_000,
        "/" + "%ef%bc%8e" * 2_700,
        "/" + "\u00e9" * 25_000,
    ],
    ids=lambda target: f"{target[1:6]!r}x{len(target)}",
)
def test_long_targets_are_judged_quickly(target: str) -> None:
    """No backtracking regex: at most a few linear passes, even over 25 KB of hostile input."""
    timings = []
    for _ in range(3):  # the best of three, so a busy machine does not fail the test
        started = time.perf_counter()
        target_problem(target)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.05


# --- through a raw socket, in front of a bare application -------------------------------------


async def _ok(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _client(aiohttp_client: AiohttpClient) -> Client:
    harden_aiohttp()
    app = web.Application(
        middlewares=[request_gate(target=check_target)],
        client_max_size=const.MAX_REQUEST_BODY,
    )
    setup_headers(app)
    app.router.add_route("*", "/{tail:.*}", _ok)
    return await aiohttp_client(app)


async def _raw(client: Client, data: bytes) -> tuple[int, str, bytes]:
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    try:
        writer.write(data)
        await writer.drain()
        received = await asyncio.wait_for(reader.read(65536), 5)
    finally:
        writer.close()
    head, _, body = received.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    return int(status_line.split(" ")[1]), head.decode("latin-1"), body


@pytest.mark.parametrize(("name", "case"), list(ATTACKS.items()), ids=list(ATTACKS))
async def test_attacks_get_400_json_over_a_raw_socket(
    aiohttp_client: AiohttpClient, name: str, case: tuple[bytes, str | None]
) -> None:
    client = await _client(aiohttp_client)
    raw, problem = case
    status, head, body = await _raw(client, b"GET " + raw + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 400
    assert "application/json" in head
    assert "X-Content-Type-Options: nosniff" in head
    if problem is not None:
        assert body == b'{"message":"Malformed request target."}'
        assert "Connection: close" in head
    assert raw not in body


@pytest.mark.parametrize("target", ORDINARY)
async def test_ordinary_targets_are_served(aiohttp_client: AiohttpClient, target: str) -> None:
    client = await _client(aiohttp_client)
    status, _, body = await _raw(
        client, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    )
    assert (status, body) == (200, b'{"ok": true}')


async def test_long_target_is_refused_quickly(aiohttp_client: AiohttpClient) -> None:
    client = await _client(aiohttp_client)
    for target in (b"/" + b"a" * 25_000, b"/" + b"%2e%2e/" * 4_000, b"/" + b"%25" * 8_000):
        started = time.perf_counter()
        status, _, _ = await _raw(client, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 400
        assert time.perf_counter() - started < 1.0
    # Just under the request-line limit, the filter itself judges it.
    target = b"/" + b"%2e%2e/" * 1_150
    status, _, body = await _raw(client, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (status, body) == (400, b'{"message":"Malformed request target."}')


async def test_declared_oversized_body_is_413_before_it_is_sent(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await _client(aiohttp_client)
    size = const.MAX_REQUEST_BODY + 1
    status, head, body = await _raw(
        client,
        f"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode(),
    )
    assert status == 413
    assert body == f'{{"message":"Request body too large (at most {size - 1} bytes)."}}'.encode()
    assert "Connection: close" in head


async def test_undeclared_oversized_body_is_413(aiohttp_client: AiohttpClient) -> None:
    """A chunked body has no length up front; reading past the limit is refused with 413."""

    async def read(request: web.Request) -> web.Response:
        return web.json_response({"size": len(await request.read())})

    harden_aiohttp()
    app = web.Application(
        middlewares=[request_gate(target=check_target)],
        client_max_size=const.MAX_REQUEST_BODY,
    )
    app.router.add_post("/read", read)
    client: Client = await aiohttp_client(app)

    async def chunks() -> Any:
        for _ in range(5):
            yield b"x" * (const.MAX_REQUEST_BODY // 4)

    resp = await client.post("/read", data=chunks())
    assert resp.status == 413
    small = await client.post("/read", data=b"x" * 100)
    assert await small.json() == {"size": 100}
