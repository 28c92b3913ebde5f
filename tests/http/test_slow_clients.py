"""Slow clients: header and body deadlines, and the per-address connection cap."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from ipaddress import ip_network

import aiohttp
import pytest
from aiohttp import web

from hearth.http.gate import request_gate
from hearth.http.slow_clients import GuardedAppRunner, SlowClientLimits

HOST = "127.0.0.1"
FAST = SlowClientLimits(header_timeout=0.5, body_timeout=0.5, max_connections=64)
Serve = Callable[..., Awaitable[int]]


async def _ok(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _echo(request: web.Request) -> web.Response:
    return web.json_response({"size": len(await request.read())})


async def _ws(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        await ws.send_str(message.data)
    return ws


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start a bare application behind GuardedAppRunner; returns its port."""
    runners: list[GuardedAppRunner] = []

    async def start(limits: SlowClientLimits = FAST, exempt: tuple[str, ...] = ()) -> int:
        app = web.Application(middlewares=[request_gate()])
        app.router.add_get("/", _ok)
        app.router.add_post("/echo", _echo)
        app.router.add_get("/ws", _ws)
        runner = GuardedAppRunner(
            app,
            limits=limits,
            exempt=[ip_network(text) for text in exempt],
            access_log=None,
            shutdown_timeout=1,
        )
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        port: int = runner.addresses[0][1]
        return port

    yield start
    for runner in runners:
        await runner.cleanup()


async def _read_all(reader: asyncio.StreamReader, timeout: float = 5.0) -> bytes:
    """Everything until the server closes the connection."""
    return await asyncio.wait_for(reader.read(), timeout)


def _status(data: bytes) -> int:
    return int(data.split(b" ", 2)[1])


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


async def test_silent_connection_is_closed_after_the_header_deadline(serve: Serve) -> None:
    port = await serve()
    reader, writer = await asyncio.open_connection(HOST, port)
    started = time.monotonic()
    data = await _read_all(reader)
    elapsed = time.monotonic() - started
    writer.close()
    assert 0.4 < elapsed < 2.0
    assert _status(data) == 408
    assert data.endswith(b'{"message":"The request headers did not arrive in time."}')
    assert b"X-Content-Type-Options: nosniff" in data
    assert b"Server:" not in data


async def test_trickled_headers_are_cut_off(serve: Serve) -> None:
    port = await serve()
    reader, writer = await asyncio.open_connection(HOST, port)
    started = time.monotonic()
    answer = asyncio.create_task(reader.read(65536))
    writer.write(b"GET / HTTP/1.1\r\n")
    # A header byte every 0.05 s: never done, always "active".
    while not answer.done() and time.monotonic() - started < 3:
        writer.write(b"X")
        await asyncio.sleep(0.05)
    data = await answer
    writer.close()
    assert _status(data) == 408
    assert time.monotonic() - started < 2.0


async def test_idle_keep_alive_is_not_a_late_header(serve: Serve) -> None:
    """Between requests the keep-alive timeout rules; the header clock starts at the first byte."""
    port = await serve()
    reader, writer = await asyncio.open_connection(HOST, port)
    for _ in range(2):
        writer.write(GET)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert _status(head) == 200
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        await asyncio.sleep(0.8)  # longer than the header deadline
    writer.close()


async def test_late_body_gets_408(serve: Serve) -> None:
    port = await serve()
    reader, writer = await asyncio.open_connection(HOST, port)
    started = time.monotonic()
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
    await writer.drain()
    data = await _read_all(reader)
    writer.close()
    assert _status(data) == 408
    assert data.endswith(b'{"message":"Request Timeout"}')
    assert 0.4 < time.monotonic() - started < 2.0


async def test_body_in_time_is_served(serve: Serve) -> None:
    port = await serve()
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 50)
    await asyncio.sleep(0.2)
    writer.write(b"y" * 50)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert _status(head) == 200
    assert await reader.readexactly(len(b'{"size": 100}')) == b'{"size": 100}'
    # The next request on the same connection gets its own, fresh deadlines.
    await asyncio.sleep(0.4)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert _status(head) == 200
    writer.close()


async def test_header_deadline_after_a_body_is_not_the_body_deadline(serve: Serve) -> None:
    """A long body deadline, then a short header deadline: the earlier one still fires on time."""
    port = await serve(SlowClientLimits(header_timeout=0.5, body_timeout=5, max_connections=8))
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\na")
    await asyncio.sleep(0.1)
    writer.write(b"b")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert _status(head) == 200
    await reader.readexactly(len(b'{"size": 2}'))
    writer.write(b"GET / HTTP/1.1\r\n")  # and then nothing more
    started = time.monotonic()
    data = await _read_all(reader)
    writer.close()
    assert _status(data) == 408
    assert 0.4 < time.monotonic() - started < 1.5


async def test_connections_per_address_are_capped(serve: Serve) -> None:
    limits = SlowClientLimits(header_timeout=5, body_timeout=5, max_connections=3)
    port = await serve(limits)
    held = [await asyncio.open_connection(HOST, port) for _ in range(3)]
    reader, writer = await asyncio.open_connection(HOST, port)
    data = await _read_all(reader, timeout=2)
    writer.close()
    assert _status(data) == 503
    assert b"Retry-After:" in data
    assert data.endswith(b'{"message":"Too many connections from your address."}')
    # The held connections still work; closing one frees a slot.
    held[0][1].write(GET)
    assert _status(await asyncio.wait_for(held[0][0].readuntil(b"\r\n\r\n"), 5)) == 200
    held[0][1].close()
    await asyncio.sleep(0.1)
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(GET)
    assert _status(await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)) == 200
    writer.close()
    for _, other in held[1:]:
        other.close()


async def test_trusted_proxies_are_exempt_from_the_cap(serve: Serve) -> None:
    limits = SlowClientLimits(header_timeout=5, body_timeout=5, max_connections=2)
    port = await serve(limits, exempt=("127.0.0.1/32",))
    held = [await asyncio.open_connection(HOST, port) for _ in range(6)]
    for reader, writer in held:
        writer.write(GET)
        assert _status(await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)) == 200
        writer.close()


async def test_websocket_is_not_subject_to_the_header_deadline(serve: Serve) -> None:
    port = await serve()
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"http://{HOST}:{port}/ws") as ws,
    ):
        await asyncio.sleep(0.8)
        await ws.send_str("still here")
        assert (await ws.receive(timeout=5)).data == "still here"


async def test_counts_are_released(serve: Serve) -> None:
    limits = SlowClientLimits(header_timeout=0.3, body_timeout=5, max_connections=2)
    port = await serve(limits)
    for _ in range(5):  # connections that time out free their slot
        pair = [await asyncio.open_connection(HOST, port) for _ in range(2)]
        for reader, writer in pair:
            assert _status(await _read_all(reader)) == 408
            writer.close()
