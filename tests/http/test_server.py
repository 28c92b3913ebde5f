"""HttpServer can bind every address before it accepts anything.

Threat: a hub started as root binds its addresses one after the other; if the first accepted
connections while the second was being bound, a request arriving in that window would be
handled as root, before the hub switches users (hearth.privileges).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from hearth.http.server import HttpServer
from tests.acceptance.support import free_port

REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


async def hello(_request: web.Request) -> web.Response:
    return web.Response(text="served")


async def test_nothing_is_accepted_before_serve() -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    port = free_port()
    server = HttpServer(app, ["127.0.0.1", "::1"], port)
    await server.start(serve=False)
    try:
        assert {address for address, _ in server.bound} == {"127.0.0.1", "::1"}
        # Bound but not listening yet (asyncio listens when serving starts): refused, or at most
        # queued by the kernel, never answered.
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except ConnectionRefusedError:
            pass
        else:
            writer.write(REQUEST)
            early = asyncio.ensure_future(reader.read())
            done, _ = await asyncio.wait({early}, timeout=0.5)
            assert not done, "a request was answered before serve()"
            early.cancel()
            writer.close()
        await server.serve()
        for host in ("127.0.0.1", "::1"):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(REQUEST)
            reply = await asyncio.wait_for(reader.read(), timeout=5)
            writer.close()
            assert reply.startswith(b"HTTP/1.1 200")
            assert reply.endswith(b"served")
    finally:
        await server.stop()
