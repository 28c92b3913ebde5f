"""The Home Assistant-compatible WebSocket API at /api/websocket."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Final

from aiohttp import web

from hearth import const
from hearth.exceptions import BadRequest
from hearth.http.keys import KEY_AUTH, KEY_HUB
from hearth.http.view import public
from hearth.websocket import protocol
from hearth.websocket.commands import COMMANDS
from hearth.websocket.connection import CLOSE_TIMEOUT, Connection, close_websocket
from hearth.websocket.handshake import authenticate
from hearth.websocket.registry import ConnectionRegistry

_LOGGER = logging.getLogger(__name__)

URL: Final = "/api/websocket"
SHUTDOWN_REASON: Final = "Server shutting down."

KEY_WS_CONNECTIONS: web.AppKey[ConnectionRegistry] = web.AppKey("hearth_ws_connections")
# Filled at startup; a list because application state must not be replaced once started.
_KEY_REVOKE_UNSUB: web.AppKey[list[Callable[[], None]]] = web.AppKey("hearth_ws_revoke_unsub")

__all__ = ["COMMANDS", "KEY_WS_CONNECTIONS", "URL", "setup", "websocket_view"]


def setup(app: web.Application) -> None:
    """Add the WebSocket route and close its connections on token revocation and shutdown."""
    app[KEY_WS_CONNECTIONS] = ConnectionRegistry()
    app[_KEY_REVOKE_UNSUB] = []
    app.router.add_get(URL, websocket_view)
    app.on_startup.append(_listen_for_revocations)
    app.on_shutdown.append(_close_connections)
    app.on_cleanup.append(_stop_listening)


# Public: the client authenticates inside the WebSocket, with its first message.
@public
async def websocket_view(request: web.Request) -> web.StreamResponse:
    """Upgrade to a WebSocket, authenticate, then serve commands until closed."""
    ws = web.WebSocketResponse(
        max_msg_size=const.WS_MAX_MESSAGE,
        heartbeat=const.WS_HEARTBEAT,
        # Off: compressing secrets (tokens) next to attacker-influenced text leaks them
        # (CRIME/BREACH-style), and it costs CPU per subscriber.
        compress=False,
        timeout=CLOSE_TIMEOUT,
    )
    if not ws.can_prepare(request).ok:
        raise BadRequest("Expected a WebSocket upgrade request.")
    await ws.prepare(request)
    try:
        await _serve(request, ws)
    except Exception:
        # The upgrade is done: nothing but a close code can reach the client now.
        _LOGGER.exception("Unexpected error in a WebSocket connection from %s", request.remote)
        await close_websocket(ws, request, protocol.CLOSE_INTERNAL_ERROR, "Internal error.")
    return ws


async def _serve(request: web.Request, ws: web.WebSocketResponse) -> None:
    app = request.app
    registry = app[KEY_WS_CONNECTIONS]
    closer = functools.partial(close_websocket, ws, request)
    # Tracked until authenticated, so that a shutdown closes it at once (1001) rather than
    # waiting for the auth message or its timeout.
    untrack = registry.start_handshake(closer)
    if untrack is None:
        await closer(protocol.CLOSE_GOING_AWAY, SHUTDOWN_REASON)
        return
    try:
        validated = await authenticate(ws, request, app[KEY_AUTH])
    finally:
        untrack()
    if validated is None or ws.closed:
        return
    user, refresh_token = validated
    conn = Connection(
        request,
        ws,
        hub=app[KEY_HUB],
        auth=app[KEY_AUTH],
        user=user,
        refresh_token=refresh_token,
        registry=app[KEY_WS_CONNECTIONS],
        commands=COMMANDS,
    )
    await conn.run()


async def _listen_for_revocations(app: web.Application) -> None:
    registry = app[KEY_WS_CONNECTIONS]

    def on_revoke(token_id: str) -> None:
        registry.close_token(token_id, protocol.CLOSE_POLICY_VIOLATION, "Token revoked.")

    app[_KEY_REVOKE_UNSUB].append(app[KEY_AUTH].add_revoke_listener(on_revoke))


async def _close_connections(app: web.Application) -> None:
    registry = app[KEY_WS_CONNECTIONS]
    closed = registry.close_all(protocol.CLOSE_GOING_AWAY, SHUTDOWN_REASON)
    if closed:
        _LOGGER.info("Closing %d WebSocket connections", closed)
    await registry.close_handshakes(protocol.CLOSE_GOING_AWAY, SHUTDOWN_REASON)


async def _stop_listening(app: web.Application) -> None:
    unsubscribes = app[_KEY_REVOKE_UNSUB]
    while unsubscribes:
        unsubscribes.pop()()
