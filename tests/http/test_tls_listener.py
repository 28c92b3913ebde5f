"""The HTTPS listener over real sockets: TLS served, plain HTTP refused clearly, idlers dropped."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from hearth.exceptions import ConfigError
from hearth.http.headers import HSTS, setup_headers
from hearth.http.server import HttpServer
from hearth.http.slow_clients import GuardedAppRunner, SlowClientLimits
from hearth.http.tls.listener import PLAIN_HTTP_MESSAGE, TlsSite
from hearth.http.tls.profiles import build_context
from tests.certs.pki import TestCA
from tests.conftest import AiohttpClient
from tests.http.tls_support import client_context, settings_for

HOST = "127.0.0.1"


async def hello(_request: web.Request) -> web.Response:
    return web.json_response({"hello": "world"})


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/", hello)
    setup_headers(app)
    return app


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture
def ca_file(ca: TestCA, tmp_path: Path) -> Path:
    return ca.write(tmp_path / "ca.pem")


@pytest.fixture
def server_context(ca: TestCA, tmp_path: Path) -> ssl.SSLContext:
    context, _ = build_context(
        settings_for(ca.issue(tmp_path)),
        __import__("datetime").datetime.now(__import__("datetime").UTC),
    )
    return context


Start = Callable[..., Awaitable[int]]


@pytest.fixture
async def start_site(server_context: ssl.SSLContext) -> AsyncIterator[Start]:
    """Start a TlsSite on a free port; returns the port."""
    runners: list[web.AppRunner] = []

    async def start(**timeouts: float) -> int:
        runner = web.AppRunner(make_app(), access_log=None)
        await runner.setup()
        runners.append(runner)
        site = TlsSite(runner, HOST, 0, server_context, **timeouts)
        await site.start()
        server = site._server
        assert server is not None
        port: int = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return port

    yield start
    for runner in runners:
        await runner.cleanup()


async def raw(port: int, data: bytes, *, wait: float = 5.0) -> bytes:
    """Send `data` on a plain TCP connection and read until the server closes it."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        if data:
            writer.write(data)
            await writer.drain()
        received = b""
        async with asyncio.timeout(wait):
            while chunk := await reader.read(65536):
                received += chunk
        return received
    except ConnectionResetError:
        return b"<reset>"
    finally:
        writer.close()


async def test_https_is_served_with_hsts(start_site: Start, ca_file: Path) -> None:
    port = await start_site()
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"https://localhost:{port}/", ssl=client_context(ca_file)) as resp,
    ):
        assert resp.status == 200
        assert await resp.json() == {"hello": "world"}
        assert resp.headers["Strict-Transport-Security"] == HSTS == "max-age=63072000"


async def test_plain_http_gets_a_clear_error(start_site: Start, ca_file: Path) -> None:
    port = await start_site()
    reply = await raw(port, b"GET /api/ HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer x\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 400 Bad Request"
    headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines[1:])}
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in headers
    assert json.loads(body) == {"message": PLAIN_HTTP_MESSAGE}
    assert "https://" in PLAIN_HTTP_MESSAGE
    # The port still serves TLS afterwards.
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"https://localhost:{port}/", ssl=client_context(ca_file)) as resp,
    ):
        assert resp.status == 200


@pytest.mark.parametrize(
    "request_line", [b"POST /auth/token HTTP/1.1", b"OPTIONS * HTTP/1.1", b"PRI * HTTP/2.0"]
)
async def test_every_method_is_recognised_as_plain_http(
    start_site: Start, request_line: bytes
) -> None:
    port = await start_site()
    reply = await raw(port, request_line + b"\r\nHost: hub\r\nContent-Length: 3\r\n\r\nabc")
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n")


async def test_the_reply_never_echoes_the_request(start_site: Start) -> None:
    port = await start_site()
    reply = await raw(
        port, b"GET /<script>alert(1)</script> HTTP/1.1\r\nHost: evil.example\r\n\r\n"
    )
    assert b"script" not in reply
    assert b"evil.example" not in reply


@pytest.mark.parametrize("junk", [b"\x00" * 16, b"\x80\x2e\x01\x00\x02", b"ssh-2.0\r\n"])
async def test_non_http_non_tls_bytes_go_to_openssl(start_site: Start, junk: bytes) -> None:
    port = await start_site(handshake_timeout=1.0)  # an incomplete record waits for more
    reply = await raw(port, junk)
    assert not reply.startswith(b"HTTP/"), "only plain HTTP gets an HTTP answer"


async def test_silent_connection_is_closed(start_site: Start) -> None:
    port = await start_site(first_byte_timeout=0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await raw(port, b"", wait=5) in (b"", b"<reset>")
    assert loop.time() - started < 3


async def test_stalled_handshake_is_closed(start_site: Start) -> None:
    port = await start_site(handshake_timeout=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    # The start of a TLS record, then nothing more.
    assert await raw(port, b"\x16\x03\x01\x00\xff", wait=5) in (b"", b"<reset>")
    assert loop.time() - started < 3


async def test_failed_handshake_leaves_the_server_serving(start_site: Start, ca_file: Path) -> None:
    port = await start_site()
    untrusting = ssl.create_default_context()  # does not trust our CA
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get(f"https://localhost:{port}/", ssl=untrusting)
        async with session.get(f"https://localhost:{port}/", ssl=client_context(ca_file)) as resp:
            assert resp.status == 200


async def test_http_server_listens_with_tls_and_stops(
    server_context: ssl.SSLContext, ca_file: Path
) -> None:
    server = HttpServer(make_app(), [HOST], 0, server_context)
    await server.start()
    try:
        [(host, port)] = server.bound
        assert host == HOST
        async with aiohttp.ClientSession() as session:
            url = f"https://localhost:{port}/"
            async with session.get(url, ssl=client_context(ca_file)) as resp:
                assert resp.status == 200
    finally:
        await server.stop()
    with pytest.raises(ConnectionRefusedError), socket.create_connection((HOST, port), timeout=1):
        pass


async def test_open_keepalive_connection_is_closed_on_stop(
    server_context: ssl.SSLContext, ca_file: Path
) -> None:
    server = HttpServer(make_app(), [HOST], 0, server_context)
    await server.start()
    [(_, port)] = server.bound
    reader, writer = await asyncio.open_connection(
        HOST, port, ssl=client_context(ca_file), server_hostname="localhost"
    )
    writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
    await server.stop()
    async with asyncio.timeout(5):
        while await reader.read(65536):
            pass
    writer.close()


async def test_port_in_use_is_a_config_error(server_context: ssl.SSLContext) -> None:
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = HttpServer(make_app(), [HOST], port, server_context)
        with pytest.raises(ConfigError, match=f"port {port} is already in use on {HOST} ") as info:
            await server.start()
        assert info.value.key == "http.server_port"


async def test_no_hsts_over_plain_http(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(make_app())
    resp = await client.get("/")
    assert resp.status == 200
    assert "Strict-Transport-Security" not in resp.headers


# --- connection caps before and after the handshake -------------------------------------------


async def test_silent_connections_count_against_the_cap_and_slots_pass_on(
    server_context: ssl.SSLContext, ca_file: Path
) -> None:
    """A connection counts from accept; after the handshake the request handler owns its slot."""
    limits = SlowClientLimits(header_timeout=5, body_timeout=5, max_connections=3)
    runner = GuardedAppRunner(make_app(), limits=limits, access_log=None)
    await runner.setup()
    try:
        site = TlsSite(runner, HOST, 0, server_context)
        await site.start()
        server = site._server
        assert server is not None
        port: int = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        silent = [await asyncio.open_connection(HOST, port) for _ in range(5)]
        # The two beyond the cap are closed at once, without a word.
        closed = 0
        for reader, _writer in silent:
            try:
                async with asyncio.timeout(0.5):
                    if await reader.read() == b"":
                        closed += 1
            except TimeoutError:
                pass
        assert closed == 2
        assert runner.counter.total == 3
        for _reader, writer in silent:
            writer.close()
        for _ in range(50):  # the server sees the closes
            if runner.counter.total == 0:
                break
            await asyncio.sleep(0.02)
        assert runner.counter.total == 0
        # A served connection holds one slot, handed from the listener to the handler.
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"https://localhost:{port}/", ssl=client_context(ca_file)) as resp,
        ):
            assert resp.status == 200
            assert runner.counter.total == 1
        for _ in range(50):
            if runner.counter.total == 0:
                break
            await asyncio.sleep(0.02)
        assert runner.counter.total == 0
    finally:
        await runner.cleanup()
