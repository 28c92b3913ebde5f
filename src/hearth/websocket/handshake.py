"""The authentication phase: auth_required, one auth message within the timeout, verdict."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from hearth import const
from hearth.exceptions import StorageError
from hearth.http.ban import record_auth_failure
from hearth.http.network import request_is_local
from hearth.http.view import client_ip
from hearth.websocket import protocol
from hearth.websocket.connection import close_websocket
from hearth.websocket.protocol import ProtocolError

if TYPE_CHECKING:
    from hearth.auth.manager import AuthManager
    from hearth.auth.models import RefreshToken, User

_LOGGER = logging.getLogger(__name__)

CLOSE_TRY_AGAIN_LATER = 1013
INVALID_TOKEN_MESSAGE = "Invalid access token or password"  # noqa: S105 - a message
LOCAL_ONLY_MESSAGE = "This user may use the hub only from the local network."


async def authenticate(
    ws: web.WebSocketResponse, request: web.Request, auth: AuthManager
) -> tuple[User, RefreshToken] | None:
    """The user and refresh token behind the client's access token, or None (connection closed).

    The caller sends auth_ok, once the connection is registered for revocation.
    """
    try:
        return await _authenticate(ws, request, auth)
    except ConnectionError:
        _LOGGER.debug("Peer %s went away during authentication", request.remote)
        await close_websocket(ws, request, protocol.CLOSE_GOING_AWAY, "")
        return None


async def _authenticate(
    ws: web.WebSocketResponse, request: web.Request, auth: AuthManager
) -> tuple[User, RefreshToken] | None:
    await ws.send_frame(protocol.auth_required_message(), WSMsgType.TEXT)
    try:
        msg = await ws.receive(timeout=const.WS_AUTH_TIMEOUT)
    except TimeoutError:
        _LOGGER.info("No WebSocket auth message from %s in time", request.remote)
        reason = "Authentication timed out."
        await close_websocket(ws, request, protocol.CLOSE_POLICY_VIOLATION, reason)
        return None
    if msg.type is WSMsgType.BINARY:
        reason = "Binary messages are not supported."
        await close_websocket(ws, request, protocol.CLOSE_UNSUPPORTED_DATA, reason)
        return None
    if msg.type is not WSMsgType.TEXT:
        await close_websocket(ws, request, protocol.CLOSE_NORMAL, "")
        return None
    try:
        token = protocol.parse_auth(msg.data)
    except ProtocolError as err:
        _LOGGER.info("Malformed WebSocket auth message from %s", request.remote)
        await _reject(ws, request, err.reason)
        return None
    try:
        checked = auth.check_access_token(token)
    except StorageError:
        # The store could not be read (very rare in WAL mode): not the client's fault, and not
        # an internal error either. 1013 tells it to come back.
        reason = "Storage unavailable; try again shortly."
        await close_websocket(ws, request, CLOSE_TRY_AGAIN_LATER, reason)
        return None
    validated = checked.result
    if validated is None:
        # A token that was never valid: one fail2ban-friendly line with the client address and
        # the reason (never the token), an audit entry, and a count toward the IP ban. A token
        # this hub issued (expired, revoked, user deactivated) is refused without counting.
        if checked.guess:
            record_auth_failure(request, reason="invalid_access_token")
        await _reject(ws, request, INVALID_TOKEN_MESSAGE)
        return None
    user, refresh_token = validated
    if user.local_only and not request_is_local(request):
        # A policy refusal, not a wrong credential: not counted toward a ban.
        await _reject(ws, request, LOCAL_ONLY_MESSAGE)
        return None
    auth.note_token_use(refresh_token, str(client_ip(request)))
    return validated


async def _reject(ws: web.WebSocketResponse, request: web.Request, message: str) -> None:
    await ws.send_frame(protocol.auth_invalid_message(message), WSMsgType.TEXT)
    await close_websocket(ws, request, protocol.CLOSE_POLICY_VIOLATION, "Authentication failed.")
