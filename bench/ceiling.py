"""The ceiling: a bare aiohttp application returning the same bytes as Hearth, doing nothing else.

Run as `python -m bench.ceiling PORT FIXTURE_DIR [TLS_PORT CERT KEY]...`: plain HTTP on PORT,
HTTPS (Python's default server context, the given pair) on each TLS_PORT.
FIXTURE_DIR/routes.json maps a path to `[status, file]`; `event.json` holds a state_changed
event as Hearth sends it, `states.json` the get_states result. The WebSocket speaks just enough
of the protocol for the benchmark's clients: auth (any token), ping, get_states,
subscribe_events, call_service (fans one event out).
"""

from __future__ import annotations

import asyncio
import json
import signal
import ssl
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson
from aiohttp import WSMsgType, web

AUTH_REQUIRED = b'{"type":"auth_required","ha_version":"2025.1.0"}'
AUTH_OK = b'{"type":"auth_ok","ha_version":"2025.1.0"}'

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
KEY_SUBSCRIBERS: web.AppKey[list[tuple[web.WebSocketResponse, bytes]]] = web.AppKey("subscribers")


def static_handler(status: int, body: bytes) -> Handler:
    """A handler that returns fixed JSON bytes."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(
            body=body, status=status, content_type="application/json", headers=headers
        )

    return handler


def websocket_handler(states: bytes, event: bytes) -> Handler:
    """The WebSocket endpoint: the HA handshake, then a few commands answered from fixtures."""

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        subscribers = request.app[KEY_SUBSCRIBERS]
        await ws.send_frame(AUTH_REQUIRED, WSMsgType.TEXT)
        await ws.receive()
        await ws.send_frame(AUTH_OK, WSMsgType.TEXT)
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                break
            data = orjson.loads(msg.data)
            msg_id, kind = data["id"], data["type"]
            if kind == "ping":
                await ws.send_frame(b'{"id":%d,"type":"pong"}' % msg_id, WSMsgType.TEXT)
                continue
            if kind == "get_states":
                result = states
            elif kind == "subscribe_events":
                subscribers.append((ws, b'{"id":%d,"type":"event","event":' % msg_id))
                result = b"null"
            elif kind == "call_service":
                for target, prefix in subscribers:
                    await target.send_frame(prefix + event + b"}", WSMsgType.TEXT)
                result = b'{"context":null}'
            else:
                result = b"null"
            reply = b'{"id":%d,"type":"result","success":true,"result":%s}' % (msg_id, result)
            await ws.send_frame(reply, WSMsgType.TEXT)
        subscribers[:] = [(w, p) for w, p in subscribers if w is not ws]
        return ws

    return handler


def build_app(fixtures: Path) -> web.Application:
    """Routes from the fixture directory."""
    app = web.Application()
    app[KEY_SUBSCRIBERS] = []
    routes = json.loads((fixtures / "routes.json").read_text(encoding="utf-8"))
    for path, (status, name) in routes.items():
        app.router.add_get(path, static_handler(status, (fixtures / name).read_bytes()))
    states = (fixtures / "states.json").read_bytes()
    event = (fixtures / "event.json").read_bytes()
    app.router.add_get("/api/websocket", websocket_handler(states, event))
    return app


async def serve(port: int, fixtures: Path, tls: list[str]) -> None:
    """Listen on both loopback addresses until SIGTERM."""
    runner = web.AppRunner(build_app(fixtures), access_log=None, handle_signals=False)
    await runner.setup()
    for host in ("127.0.0.1", "::1"):
        await web.TCPSite(runner, host, port, reuse_address=True).start()
    for tls_port, cert, key in zip(tls[::3], tls[1::3], tls[2::3], strict=True):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        site = web.TCPSite(runner, "127.0.0.1", int(tls_port), ssl_context=context)
        await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]))
