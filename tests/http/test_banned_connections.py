"""Banned peers are answered at the connection: no aiohttp request is built for them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from ipaddress import ip_network

import pytest
from aiohttp import web

from hearth.auth.manager import AuthManager
from hearth.auth.throttle import AccountThrottle
from hearth.bans.manager import BanManager
from hearth.bans.policy import BanPolicy
from hearth.http.ban import BANNED_MESSAGE, ban_check, setup_ban
from hearth.http.gate import request_gate
from hearth.http.headers import setup_headers
from hearth.http.slow_clients import GuardedAppRunner, SlowClientLimits

HOST = "127.0.0.1"
LIMITS = SlowClientLimits(header_timeout=0.5, body_timeout=0.5, max_connections=64)
GET = b"GET /api/ HTTP/1.1\r\nHost: x\r\n\r\n"
BANNED_BODY = b'{"message":"' + BANNED_MESSAGE.encode() + b'"}'
Serve = Callable[..., Awaitable[tuple[int, BanManager, list[str]]]]


async def _ok(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


@pytest.fixture
async def serve(auth: AuthManager) -> AsyncIterator[Serve]:
    """The ban check behind GuardedAppRunner, 127.0.0.1 banned; `built` names every request
    that became an aiohttp request (the gate's first check records it)."""
    runners: list[GuardedAppRunner] = []

    async def start(exempt: tuple[str, ...] = ()) -> tuple[int, BanManager, list[str]]:
        built: list[str] = []

        def record(request: web.Request) -> None:
            built.append(request.path)

        bans = BanManager(auth.db, BanPolicy())
        await bans.ban(HOST, reason="test")
        app = web.Application(middlewares=[request_gate(target=record, checks=[ban_check(bans)])])
        setup_headers(app)
        setup_ban(app, bans, AccountThrottle())
        app.router.add_route("*", "/api/", _ok)
        runner = GuardedAppRunner(
            app,
            limits=LIMITS,
            exempt=[ip_network(text) for text in exempt],
            access_log=None,
            shutdown_timeout=1,
        )
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, HOST, 0).start()
        return runner.addresses[0][1], bans, built

    yield start
    for runner in runners:
        await runner.cleanup()


async def _replies(reader: asyncio.StreamReader, count: int) -> list[tuple[int, bytes, bytes]]:
    """`count` responses: status, head and body."""
    replies = []
    for _ in range(count):
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        body = await reader.readexactly(length)
        replies.append((int(head.split(b" ")[1]), head, body))
    return replies


async def test_a_banned_peer_gets_403s_without_a_request_being_built(serve: Serve) -> None:
    port, bans, built = await serve()
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        # Pipelined, then more on the same kept-alive connection; Host and target do not matter.
        writer.write(GET * 3 + b"GET /%2e%2e/etc HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        replies = await _replies(reader, 4)
        writer.write(GET)
        replies += await _replies(reader, 1)
    finally:
        writer.close()
    assert [status for status, _, _ in replies] == [403] * 5
    assert {body for _, _, body in replies} == {BANNED_BODY}
    head = replies[0][1].decode().lower()
    assert "cache-control: no-store" in head  # /api/: as the ordinary 403 would have it
    assert "x-content-type-options: nosniff" in head
    assert "connection: close" not in head
    assert built == []  # never an aiohttp request
    assert sum(bans.take_refused().values()) == 5  # all in the once-a-minute summary


async def test_a_request_with_a_body_gets_the_last_answer(serve: Serve) -> None:
    port, _, built = await serve()
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(b"POST /api/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + GET)
        ((status, head, _),) = await _replies(reader, 1)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed: GET not answered
    finally:
        writer.close()
    assert status == 403
    assert b"Connection: close" in head
    assert built == []


async def test_garbage_and_idleness_end_the_connection(serve: Serve) -> None:
    port, _, _ = await serve()
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(b"\x16\x03\x01 not http\r\n\r\n")
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(GET)
    await _replies(reader, 1)
    # Nothing more: dropped at the header deadline, not kept for the keep-alive timeout.
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()


async def test_a_lifted_ban_serves_the_same_connection(serve: Serve) -> None:
    port, bans, built = await serve()
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(GET)
        ((status, _, _),) = await _replies(reader, 1)
        assert status == 403
        await bans.unban(HOST)
        writer.write(GET)
        ((status, _, body),) = await _replies(reader, 1)
    finally:
        writer.close()
    assert (status, body) == (200, b'{"ok": true}')
    assert built == ["/api/"]


async def test_a_trusted_proxy_is_not_refused_at_the_connection(serve: Serve) -> None:
    """Behind a proxy the banned client is someone else: the gate's ban check decides."""
    port, _, built = await serve(exempt=(f"{HOST}/32",))
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(GET)
        ((status, _, body),) = await _replies(reader, 1)
    finally:
        writer.close()
    assert (status, body) == (403, BANNED_BODY)
    assert built == ["/api/"]  # the request was built, and refused by the gate
