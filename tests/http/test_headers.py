"""Security headers on every response, and no software banner, not even from the HTTP parser."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hearth.http.headers import BASE_HEADERS

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
